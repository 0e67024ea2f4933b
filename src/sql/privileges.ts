// PostgreSQL privileges by object kind and major: the fixed lists that keyword slots may take.

export type ObjectKind = 'table' | 'column' | 'sequence' | 'function' | 'schema' | 'database' | 'large_object';

const TABLE_BASE = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] as const;

/** Privileges that apply to an object kind on a major, in PostgreSQL's documentation order. */
export function privilegesFor(kind: ObjectKind, major: number): readonly string[] {
  switch (kind) {
    case 'table':
      return major >= 17 ? [...TABLE_BASE, 'MAINTAIN'] : TABLE_BASE;
    case 'column':
      return ['SELECT', 'INSERT', 'UPDATE', 'REFERENCES'];
    case 'sequence':
      return ['USAGE', 'SELECT', 'UPDATE'];
    case 'function':
      return ['EXECUTE'];
    case 'schema':
      return ['USAGE', 'CREATE'];
    case 'database':
      return ['CONNECT', 'CREATE', 'TEMPORARY'];
    case 'large_object':
      return ['SELECT', 'UPDATE'];
  }
}

/** Every privilege word PostgreSQL knows on any supported major; `ALL` is expanded before rendering. */
export const ALL_PRIVILEGE_WORDS: readonly string[] = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'TRUNCATE',
  'REFERENCES',
  'TRIGGER',
  'MAINTAIN',
  'USAGE',
  'CREATE',
  'CONNECT',
  'TEMPORARY',
  'EXECUTE',
];

/** Accepted spellings in plans, mapped to the canonical word (TEMP is PostgreSQL's alias of TEMPORARY). */
export function canonicalPrivilege(word: string): string | undefined {
  const upper = word.toUpperCase().trim();
  if (upper === 'TEMP') return 'TEMPORARY';
  if (upper === 'ALL PRIVILEGES') return 'ALL';
  if (upper === 'ALL') return 'ALL';
  return ALL_PRIVILEGE_WORDS.includes(upper) ? upper : undefined;
}

/**
 * Expands and validates a privilege list for a kind: returns the canonical, ordered list, or a message
 * naming the first privilege that does not apply.
 */
export function normalizePrivileges(words: readonly string[], kind: ObjectKind, major: number): { privileges: string[] } | { error: string; hint: string } {
  const valid = privilegesFor(kind, major);
  const wanted = new Set<string>();
  for (const word of words) {
    const canonical = canonicalPrivilege(word);
    if (canonical === 'ALL') {
      valid.forEach((p) => wanted.add(p));
      continue;
    }
    if (canonical === 'MAINTAIN' && (kind === 'table') && major < 17) {
      return { error: `MAINTAIN needs PostgreSQL 17 or later; this plan targets ${major}`, hint: 'set "postgres: 17" or remove MAINTAIN' };
    }
    if (!canonical || !valid.includes(canonical)) {
      return {
        error: `${word} is not a privilege on ${kindLabel(kind)}`,
        hint: `privileges on ${kindLabel(kind)}: ${valid.join(', ')}, ALL`,
      };
    }
    wanted.add(canonical);
  }
  return { privileges: valid.filter((p) => wanted.has(p)) };
}

export function kindLabel(kind: ObjectKind): string {
  switch (kind) {
    case 'table':
      return 'tables';
    case 'column':
      return 'columns';
    case 'sequence':
      return 'sequences';
    case 'function':
      return 'functions';
    case 'schema':
      return 'schemas';
    case 'database':
      return 'databases';
    case 'large_object':
      return 'large objects';
  }
}

/** Role attributes and their SQL keywords (positive, negative). */
export const ROLE_FLAGS = {
  superuser: ['SUPERUSER', 'NOSUPERUSER'],
  createdb: ['CREATEDB', 'NOCREATEDB'],
  createrole: ['CREATEROLE', 'NOCREATEROLE'],
  inherit: ['INHERIT', 'NOINHERIT'],
  login: ['LOGIN', 'NOLOGIN'],
  replication: ['REPLICATION', 'NOREPLICATION'],
  bypassrls: ['BYPASSRLS', 'NOBYPASSRLS'],
} as const;

export type RoleFlag = keyof typeof ROLE_FLAGS;

/** Words a template may emit through the `keyword` helper: everything above, plus clause words. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  ...ALL_PRIVILEGE_WORDS,
  ...Object.values(ROLE_FLAGS).flat(),
  'TABLES',
  'SEQUENCES',
  'FUNCTIONS',
  'ROUTINES',
  'TYPES',
  'SCHEMAS',
  'LARGE OBJECTS',
  'TABLE',
  'SEQUENCE',
  'FUNCTION',
  'PROCEDURE',
  'ROUTINE',
  'SCHEMA',
  'DATABASE',
  'ALL',
  'SELECT',
  'PERMISSIVE',
  'RESTRICTIVE',
  'CASCADE',
  'RESTRICT',
  'TRUE',
  'FALSE',
  'ADMIN',
  'OPTION',
  'SET',
  'PUBLIC',
  'CURRENT_USER',
]);
