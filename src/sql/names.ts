// Rules for PostgreSQL names, checked before anything is rendered.

/** PostgreSQL keeps NAMEDATALEN - 1 = 63 bytes of an identifier and silently truncates the rest. */
export const MAX_NAME_BYTES = 63;

export type NamePurpose = 'role' | 'create-role' | 'schema' | 'table' | 'column' | 'function' | 'database' | 'policy' | 'object';

export interface NameProblem {
  message: string;
  hint?: string;
  /** Lint rule id, for problems `pgrant lint` also reports by rule. */
  rule?: string;
}

export function byteLength(name: string): number {
  return Buffer.byteLength(name, 'utf8');
}

/** What PostgreSQL would keep of an over-long name (it cuts at a character boundary). */
export function truncatedName(name: string): string {
  let out = '';
  for (const ch of name) {
    if (byteLength(out + ch) > MAX_NAME_BYTES) break;
    out += ch;
  }
  return out;
}

/** Returns a problem with the name for its purpose, or undefined if it is acceptable. */
export function checkName(name: string, purpose: NamePurpose): NameProblem | undefined {
  if (name.length === 0) return { message: 'name is empty', hint: 'give a non-empty name' };
  if (name.includes('\0')) return { message: 'name contains a NUL byte, which PostgreSQL cannot store' };
  const bytes = byteLength(name);
  if (bytes > MAX_NAME_BYTES) {
    return {
      message: `name "${name}" is ${bytes} bytes long; PostgreSQL keeps ${MAX_NAME_BYTES} bytes and would silently truncate it to "${truncatedName(name)}"`,
      hint: `shorten it to ${MAX_NAME_BYTES} bytes of UTF-8 or fewer`,
      rule: 'name-too-long',
    };
  }
  if (purpose === 'create-role') {
    if (name === 'public' || name === 'none') {
      return {
        message: `a role cannot be named "${name}": PostgreSQL reserves it (${name === 'public' ? 'PUBLIC means every role' : 'NONE means no role'})`,
        hint: 'choose another name',
      };
    }
    if (name.startsWith('pg_')) {
      return {
        message: `a role cannot be created with the prefix "pg_": PostgreSQL reserves it for predefined roles`,
        hint: 'choose a name that does not start with pg_ (predefined roles may still be referenced, e.g. in member_of)',
      };
    }
  }
  return undefined;
}
