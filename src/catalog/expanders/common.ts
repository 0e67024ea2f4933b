// Pieces shared by the expanders: turning validated parameters into model elements.
import type { ModelBuilder, RoleAccess, RoleDefinition } from '../../model/builder.js';
import type { AttributeName, Grant, Origin, Password, RoleAttributes, Target } from '../../model/model.js';
import type { Plan, PlanInstance } from '../../plan/load.js';
import type { PathSegment } from '../../plan/source.js';
import { normalizePrivileges, type ObjectKind } from '../../sql/privileges.js';
import type { IntentEntry, PatternDef } from '../catalog.js';

export interface ExpandContext {
  plan: Plan;
  instance: PlanInstance;
  def: PatternDef;
  params: Record<string, unknown>;
  b: ModelBuilder;
  /** The origin of a parameter of this instance (a path below the instance). */
  origin(...sub: PathSegment[]): Origin;
}

export type Expander = (ctx: ExpandContext) => void;

export interface TableRef {
  schema: string;
  name: string;
}

type TableValue = string | { schema?: string; name: string };
type FunctionValue = string | { schema?: string; name: string; args: string[] };

/** "schema.table", "table" (schema defaults to `defaultSchema`), or {schema, name}. */
export function resolveTable(value: TableValue, defaultSchema: string): TableRef {
  if (typeof value === 'string') {
    const dot = value.indexOf('.');
    return dot < 0 ? { schema: defaultSchema, name: value } : { schema: value.slice(0, dot), name: value.slice(dot + 1) };
  }
  return { schema: value.schema ?? defaultSchema, name: value.name };
}

/** A type name in a function signature: words (or quoted words), optional qualification, typmod, arrays. */
const TYPE_WORD = String.raw`(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"\u0000]|"")+")`;
export const ARGUMENT_TYPE = new RegExp(
  String.raw`^${TYPE_WORD}(?:\.${TYPE_WORD})?(?: ${TYPE_WORD})*(?:\(\d+(?:, ?\d+)?\))?(?:\[\d*\])*$`,
);

/** Splits "a, numeric(10,2), b" at top-level commas. */
function splitArguments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '' || parts.length > 0) parts.push(current);
  return parts.map((p) => p.trim().replace(/\s+/g, ' '));
}

export function resolveFunction(value: FunctionValue, defaultSchema: string): { schema: string; name: string; args: string[] } {
  if (typeof value === 'string') {
    const open = value.indexOf('(');
    const head = value.slice(0, open);
    const args = splitArguments(value.slice(open + 1, -1));
    const dot = head.indexOf('.');
    return dot < 0
      ? { schema: defaultSchema, name: head.trim(), args }
      : { schema: head.slice(0, dot).trim(), name: head.slice(dot + 1).trim(), args };
  }
  return { schema: value.schema ?? defaultSchema, name: value.name, args: value.args.map((a) => a.trim().replace(/\s+/g, ' ')) };
}

/** The parameter an intent entry reads its privileges from (`$privileges`), if any. */
export function intentSource(def: PatternDef, kind: string): string | undefined {
  const entry = (def.intent[kind] ?? []).find((e) => typeof e === 'string' && e.startsWith('$'));
  return typeof entry === 'string' ? entry.slice(1) : undefined;
}

/** Privileges from a pattern's intent for one object kind, given the instance's parameters. */
export function intentPrivileges(def: PatternDef, kind: string, params: Record<string, unknown>): string[] {
  const entries: IntentEntry[] = def.intent[kind] ?? [];
  const words: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') {
      if (entry.startsWith('$')) words.push(...((params[entry.slice(1)] as string[] | undefined) ?? []));
      else words.push(entry);
    } else if (params[entry.if] === true) {
      words.push(...entry.then);
    }
  }
  return words;
}

/** Validates privilege words for a kind, reporting at `origin`; returns the canonical list. */
export function privileges(ctx: ExpandContext, words: string[], kind: ObjectKind, origin: Origin): string[] | undefined {
  const result = normalizePrivileges(words, kind, ctx.plan.postgres);
  if ('error' in result) {
    ctx.b.error(origin, result.error, result.hint);
    return undefined;
  }
  return result.privileges;
}

const ATTRIBUTE_KEYS: Record<string, AttributeName> = {
  login: 'login',
  superuser: 'superuser',
  createdb: 'createdb',
  createrole: 'createrole',
  inherit: 'inherit',
  replication: 'replication',
  bypassrls: 'bypassrls',
  connection_limit: 'connectionLimit',
  valid_until: 'validUntil',
};

/** The role attributes a parameter object states (snake_case keys as in plans). */
export function statedAttributes(values: Record<string, unknown>): Partial<RoleAttributes> {
  const attrs: Partial<RoleAttributes> = {};
  for (const [key, attr] of Object.entries(ATTRIBUTE_KEYS)) {
    if (values[key] !== undefined) (attrs as Record<string, unknown>)[attr] = values[key];
  }
  return attrs;
}

type PasswordValue = string | { psql?: string; env?: string; scram?: string };

/**
 * Shell, compose, template and Python placeholders: a password written like this was meant to be filled
 * in by a tool that never saw the plan, so taking it literally would set the password to the placeholder.
 * Each yields the variable's name.
 */
const PLACEHOLDERS: readonly { form: string; match: RegExp }[] = [
  { form: '${VAR}', match: /^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:[:?+=-][^}]*)?\}$/ },
  { form: '$VAR', match: /^\$([A-Za-z_][A-Za-z0-9_]*)$/ },
  // Helm, Jinja, Ansible, Mustache: the expression (`.Values.db.password`) names no usable variable.
  { form: '{{…}}', match: /^\{\{[^]*\}\}$/ },
  { form: '%(…)s', match: /^%\(([^)]*)\)s$/ },
];

/** The variable a placeholder-looking password names (`null` when it names none), or undefined. */
export function placeholderVariable(password: string): { form: string; variable: string | null } | undefined {
  const text = password.trim();
  for (const { form, match } of PLACEHOLDERS) {
    const m = match.exec(text);
    if (m) return { form, variable: m[1] && /^[A-Za-z_][A-Za-z0-9_]*$/.test(m[1]) ? m[1] : null };
  }
  return undefined;
}

/** Turns a plan's password into what may be written: a psql variable or a SCRAM verifier. */
export function resolvePassword(ctx: ExpandContext, value: PasswordValue | undefined, role: string, origin: Origin): Password | null {
  if (value === undefined) return null;
  if (typeof value === 'string') {
    const placeholder = placeholderVariable(value);
    if (placeholder) {
      const env = placeholder.variable ?? `${role.replace(/[^A-Za-z0-9_]/g, '_').toUpperCase()}_PASSWORD`;
      ctx.b.error(
        origin,
        `the password of "${role}" looks like a ${placeholder.form} variable reference, which pgrant would take literally as the password`,
        `write password: {env: ${env}} (read from the environment when rendering) or {psql: ${env.toLowerCase()}} (given to psql when deploy.sql runs); a password that really is this text can be given as {scram: …}`,
      );
      return null;
    }
    return { kind: 'verifier', verifier: ctx.plan.salts.verifier(role, value), from: 'plain', plaintext: value };
  }
  if (value.psql) return { kind: 'psql', variable: value.psql };
  if (value.scram) return { kind: 'verifier', verifier: value.scram, from: 'scram' };
  const variable = value.env!;
  const secret = process.env[variable];
  if (secret === undefined || secret === '') {
    // PostgreSQL takes an empty password as none: an empty variable is as good as unset.
    ctx.b.error(origin, `environment variable ${variable} is not set (it holds the password of "${role}")`, `export ${variable}=… before rendering, or use {psql: ${variable}} to supply it when deploy.sql runs`);
    return null;
  }
  return { kind: 'verifier', verifier: ctx.plan.salts.verifier(role, secret), from: 'env', plaintext: secret };
}

/**
 * A role definition from a login spec or a pattern's role parameters; `valuesOrigin` is where the
 * attribute keys are written (the login mapping, or the pattern instance).
 */
export function roleDefinition(
  ctx: ExpandContext,
  name: string,
  values: Record<string, unknown>,
  valuesOrigin: Origin,
  base: Partial<RoleAttributes> = {},
): RoleDefinition {
  return {
    name,
    explicit: { ...base, ...statedAttributes(values) },
    password: resolvePassword(ctx, values.password as PasswordValue | undefined, name, { ...valuesOrigin, path: [...valuesOrigin.path, 'password'] }),
    comment: (values.comment as string | undefined) ?? null,
    allowSuperuser: (values.allow_superuser as boolean | undefined) ?? false,
    renamedFrom: (values.renamed_from as string | undefined) ?? null,
  };
}

/** The access this instance gives the role it is about: its pattern's kind (and whether it may merge). */
export function accessOf(ctx: ExpandContext): RoleAccess {
  return { kind: ctx.def.name, merge: ctx.params.merge === true };
}

/** Defines a login from a `login` value (`name` or `{name, …attributes}`) and returns its name. */
export function defineLogin(ctx: ExpandContext, value: Record<string, unknown>, origin: Origin): string {
  const name = value.name as string;
  ctx.b.defineRole(roleDefinition(ctx, name, value, origin, { login: true }), origin);
  return name;
}

/** Expands one generic grant (`privileges` + one object kind) for a grantee. */
export function expandGrant(ctx: ExpandContext, value: Record<string, unknown>, grantee: string, defaultSchema: string, origin: Origin): Grant[] {
  const words = value.privileges as string[];
  const grantOption = value.with_grant_option as boolean;
  const at = (key: string): Origin => ({ ...origin, path: [...origin.path, key] });
  const make = (kind: ObjectKind, key: string, targets: Target[]): Grant[] => {
    const privs = privileges(ctx, words, kind, at('privileges'));
    if (!privs) return [];
    return targets.map((target) => ({ grantee, target, privileges: privs, grantOption, origin: at(key) }));
  };
  const schemaList = (key: string) => value[key] as string[];
  if (value.tables) return make('table', 'tables', (value.tables as TableValue[]).map((t) => ({ kind: 'table', ...resolveTable(t, defaultSchema) })));
  if (value.all_tables_in) return make('table', 'all_tables_in', schemaList('all_tables_in').map((schema) => ({ kind: 'all-tables', schema })));
  if (value.columns) {
    return make(
      'column',
      'columns',
      Object.entries(value.columns as Record<string, string[]>).map(([table, columns]) => {
        const t = resolveTable(table, defaultSchema);
        return { kind: 'columns', schema: t.schema, table: t.name, columns };
      }),
    );
  }
  if (value.sequences) return make('sequence', 'sequences', (value.sequences as TableValue[]).map((t) => ({ kind: 'sequence', ...resolveTable(t, defaultSchema) })));
  if (value.all_sequences_in) return make('sequence', 'all_sequences_in', schemaList('all_sequences_in').map((schema) => ({ kind: 'all-sequences', schema })));
  for (const [key, routine] of [['functions', 'FUNCTION'], ['procedures', 'PROCEDURE']] as const) {
    if (value[key]) {
      const targets: Target[] = [];
      (value[key] as FunctionValue[]).forEach((f, i) => {
        const fn = resolveFunction(f, defaultSchema);
        if (checkFunction(ctx, fn, { ...origin, path: [...origin.path, key, i] })) targets.push({ kind: 'function', routine, ...fn });
      });
      return make('function', key, targets);
    }
  }
  if (value.all_functions_in) return make('function', 'all_functions_in', schemaList('all_functions_in').map((schema) => ({ kind: 'all-functions', schema, routine: 'FUNCTION' })));
  if (value.all_procedures_in) return make('function', 'all_procedures_in', schemaList('all_procedures_in').map((schema) => ({ kind: 'all-functions', schema, routine: 'PROCEDURE' })));
  if (value.schemas) return make('schema', 'schemas', schemaList('schemas').map((name) => ({ kind: 'schema', name })));
  return make('database', 'databases', (value.databases as string[]).map((name) => ({ kind: 'database', name })));
}

/** Checks a function reference's names and argument types. */
export function checkFunction(ctx: ExpandContext, fn: { schema: string; name: string; args: string[] }, origin: Origin): boolean {
  let ok = ctx.b.checkName(fn.schema, 'schema', origin) && ctx.b.checkName(fn.name, 'function', origin);
  for (const arg of fn.args) {
    if (!ARGUMENT_TYPE.test(arg)) {
      ctx.b.error(origin, `"${arg}" is not an argument type pgrant can write`, 'write type names such as integer, text, "my type", public.t, numeric(10,2) or int[]; name a function with odd characters in {schema, name, args}');
      ok = false;
    }
  }
  return ok;
}

/** Checks the names of a table reference; returns it when valid. */
export function checkTable(ctx: ExpandContext, t: TableRef, origin: Origin): boolean {
  return ctx.b.checkName(t.schema, 'schema', origin) && ctx.b.checkName(t.name, 'table', origin);
}

const FUTURE_OBJECTS: Partial<Record<Target['kind'], { objects: 'tables' | 'sequences' | 'functions'; kind: ObjectKind }>> = {
  'all-tables': { objects: 'tables', kind: 'table' },
  'all-sequences': { objects: 'sequences', kind: 'sequence' },
  'all-functions': { objects: 'functions', kind: 'function' },
};

/**
 * Adds a generic grant for a grantee; an all_*_in grant (unless `future: false`) also gets default
 * privileges FOR ROLE each owner (null = the role that runs deploy.sql) for objects created later.
 */
export function addGrant(ctx: ExpandContext, value: Record<string, unknown>, grantee: string, defaultSchema: string, origin: Origin, owners: (string | null)[]): void {
  for (const g of expandGrant(ctx, value, grantee, defaultSchema, origin)) {
    ctx.b.addGrant(g);
    const future = FUTURE_OBJECTS[g.target.kind];
    // Default privileges exist for functions, not procedures: ALL PROCEDURES grants cover existing ones only.
    if (!future || value.future === false || (g.target.kind === 'all-functions' && g.target.routine === 'PROCEDURE')) continue;
    const schema = (g.target as { schema: string }).schema;
    for (const owner of owners) {
      ctx.b.addDefault({ owner, schema, objects: future.objects, grantee, privileges: g.privileges, grantOption: g.grantOption, origin: g.origin });
    }
  }
}

/** Adds memberships from `member_of`-style values: a role name or {role, admin, inherit, set}. */
export function addMemberships(ctx: ExpandContext, values: Record<string, unknown>[], member: string, origin: (i: number) => Origin): void {
  values.forEach((m, i) => {
    ctx.b.addMembership({
      group: m.role as string,
      member,
      admin: (m.admin as boolean | undefined) ?? false,
      inherit: (m.inherit as boolean | undefined) ?? null,
      set: (m.set as boolean | undefined) ?? null,
      origin: origin(i),
    });
  });
}

/** The owners whose future objects get default privileges: the `owners` parameter, else the deploying role. */
export function ownersOf(ctx: ExpandContext): (string | null)[] {
  const owners = ctx.params.owners as string[] | undefined;
  owners?.forEach((o, i) => ctx.b.reference(o, ctx.origin('owners', i)));
  return owners ?? [null];
}
