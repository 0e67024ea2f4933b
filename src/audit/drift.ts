// Drift between a plan's intent and an audited state (audit.sql's JSON): what is missing, extra or
// different, for the roles the plan creates and within its scope — the same rules as verify.sql.
import type { Model, Target } from '../model/model.js';
import { PUBLIC } from '../model/model.js';
import { UserError } from '../diagnostics.js';

export interface AuditState {
  pgrant_audit: number;
  database: string;
  current_user: string;
  roles: { name: string; login: boolean; superuser: boolean; createdb: boolean; createrole: boolean; inherit: boolean; replication: boolean; bypassrls: boolean; connection_limit: number; valid_until: string | null }[];
  memberships: { role: string; member: string; admin: boolean; inherit: boolean | null; set: boolean | null }[];
  /**
   * `owned_by_schema`, `owned_by_table`: for a sequence behind a serial or identity column, its table.
   * Older audits wrote `owned_by` as "schema.table" instead (ambiguous when a name holds a dot).
   */
  /** `signature`: a routine's identity arguments, with parameter names; `arguments`: its argument types alone (absent from older audits). */
  objects: { kind: string; schema: string | null; name: string; signature: string | null; arguments?: string | null; owner: string; owned_by_schema?: string | null; owned_by_table?: string | null; owned_by?: string | null }[];
  /** `public`: the row is PUBLIC's (every role), and `grantee` is null; older audits wrote grantee "PUBLIC" instead. */
  privileges: { kind: string; schema: string | null; name: string; signature: string | null; column: string | null; grantee: string | null; public?: boolean; grantor?: string; privilege: string; grantable: boolean }[];
  default_privileges: { owner: string; schema: string | null; objects: string; grantee: string | null; public?: boolean; privilege: string; grantable: boolean }[];
  row_security: { schema: string; table: string; enabled: boolean; forced: boolean; policies: { name: string; permissive: boolean; command: string; roles: string[] }[] }[];
}

export interface Drift {
  kind: 'missing' | 'extra' | 'different';
  what: string;
}

const ATTRS = [
  ['login', 'login'],
  ['superuser', 'superuser'],
  ['createdb', 'createdb'],
  ['createrole', 'createrole'],
  ['inherit', 'inherit'],
  ['replication', 'replication'],
  ['bypassrls', 'bypassrls'],
] as const;

/** Common spellings of argument types, as pg_get_function_identity_arguments() writes them. */
const TYPE_ALIASES: Record<string, string> = {
  int: 'integer', int4: 'integer', int8: 'bigint', int2: 'smallint', bool: 'boolean', varchar: 'character varying',
  float8: 'double precision', float4: 'real', timestamptz: 'timestamp with time zone', timestamp: 'timestamp without time zone',
  decimal: 'numeric', char: 'character', timetz: 'time with time zone', time: 'time without time zone',
};
const normalizeArgs = (args: string) =>
  args.split(',').map((a) => a.trim().toLowerCase().replace(/^(\w+)/, (w) => TYPE_ALIASES[w] ?? w)).filter(Boolean).join(', ');

const isRoutine = (o: { kind: string }) => o.kind === 'function' || o.kind === 'procedure';
const routineId = (o: { kind: string; schema: string | null; name: string; signature: string | null }) => JSON.stringify([o.kind, o.schema, o.name, o.signature]);

interface Atom {
  grantee: string;
  kind: string;
  object: string;
  privilege: string;
  grantable: boolean;
  grantor?: string;
}

/** The kind of objects a default privilege covers, per kind of object in the audit. */
const DEFAULT_OBJECTS: Record<string, string> = { table: 'tables', sequence: 'sequences', function: 'functions', procedure: 'functions' };

function objectLabel(kind: string, schema: string | null, name: string, extra: string | null): string {
  if (kind === 'column') return `column ${schema}.${name} (${extra})`;
  if (kind === 'function' || kind === 'procedure') return `${kind} ${schema}.${name}(${extra ?? ''})`;
  if (kind === 'schema' || kind === 'database') return `${kind} ${name}`;
  return `${kind} ${schema}.${name}`;
}

/**
 * The role a privilege row is for; null for PUBLIC, the pseudo-role of every role. An older audit has no
 * `public` field and names PUBLIC "PUBLIC", as a real role may be named: read as it meant it, PUBLIC.
 */
export function granteeOf(row: { grantee: string | null; public?: boolean }): string | null {
  if (row.public !== undefined) return row.public ? null : row.grantee;
  return row.grantee === 'PUBLIC' ? null : row.grantee;
}

/** True when `o` is a sequence that the table `schema`.`table` owns (a serial or identity column's). */
export function sequenceOwnedBy(o: AuditState['objects'][number], schema: string, table: string): boolean {
  if (o.kind !== 'sequence') return false;
  if (o.owned_by_table !== undefined) return o.owned_by_schema === schema && o.owned_by_table === table;
  return o.owned_by === `${schema}.${table}`;
}

export function checkAuditState(value: unknown, source: string): AuditState {
  const s = value as Partial<AuditState>;
  if (!s || typeof s !== 'object' || s.pgrant_audit !== 1 || !Array.isArray(s.roles) || !Array.isArray(s.privileges)) {
    throw new UserError({ level: 'error', path: '', message: `${source} is not the JSON audit.sql prints`, hint: 'run psql -X -q -d <database> -f audit.sql > state.json (pgrant audit writes audit.sql)' });
  }
  return s as AuditState;
}

export function drift(model: Model, state: AuditState): Drift[] {
  const out: Drift[] = [];
  const managed = model.roles.filter((r) => !model.additiveRoles.includes(r.name));
  const managedNames = new Set(managed.map((r) => r.name));
  const roles = new Map(state.roles.map((r) => [r.name, r]));

  // Roles and attributes.
  for (const r of model.roles) {
    const actual = roles.get(r.name);
    if (!actual) {
      out.push({ kind: 'missing', what: `role ${r.name}` });
      continue;
    }
    for (const [key, attr] of ATTRS) {
      if (actual[key] !== r.attrs[attr]) out.push({ kind: 'different', what: `role ${r.name}: ${key.toUpperCase()} is ${actual[key]}, the plan says ${r.attrs[attr]}` });
    }
    if (actual.connection_limit !== r.attrs.connectionLimit) out.push({ kind: 'different', what: `role ${r.name}: CONNECTION LIMIT is ${actual.connection_limit}, the plan says ${r.attrs.connectionLimit}` });
    const until = actual.valid_until && !actual.valid_until.startsWith('infinity') ? actual.valid_until : null;
    if ((until === null) !== (r.attrs.validUntil === null)) {
      out.push({ kind: 'different', what: `role ${r.name}: VALID UNTIL is ${until ?? 'unset'}, the plan says ${r.attrs.validUntil ?? 'unset'}` });
    }
  }
  for (const d of model.drops) if (roles.has(d.name)) out.push({ kind: 'extra', what: `role ${d.name} (the plan drops it)` });

  // Memberships of managed roles, in managed and predefined roles.
  const planned = new Map(model.memberships.map((m) => [`${m.group}\0${m.member}`, m]));
  const actualMembers = new Map(state.memberships.map((m) => [`${m.role}\0${m.member}`, m]));
  for (const [key, m] of planned) {
    const a = actualMembers.get(key);
    if (!a) out.push({ kind: 'missing', what: `membership of ${m.member} in ${m.group}` });
    else if (a.admin !== m.admin) out.push({ kind: 'different', what: `membership of ${m.member} in ${m.group}: admin option is ${a.admin}, the plan says ${m.admin}` });
  }
  for (const [key, a] of actualMembers) {
    if (planned.has(key) || !managedNames.has(a.member)) continue;
    if (managedNames.has(a.role) || a.role.startsWith('pg_')) out.push({ kind: 'extra', what: `membership of ${a.member} in ${a.role}` });
  }

  // Privileges: the plan's atoms, expanded over the audited objects, against the audited ACLs.
  const scope = new Set(model.scope.schemas);
  const objects = state.objects;
  const expected = new Map<string, Atom>();
  const add = (grantee: string, kind: string, object: string, privilege: string, grantable: boolean) =>
    expected.set(`${grantee}\0${object}\0${privilege}`, { grantee, kind, object, privilege, grantable });
  // Routines are named by their argument types, as plans name them: parameter names are not part of the identity.
  const typesOf = new Map(objects.filter(isRoutine).map((o) => [routineId(o), o.arguments ?? o.signature]));
  const argumentTypes = (o: { kind: string; schema: string | null; name: string; signature: string | null }) => typesOf.get(routineId(o)) ?? o.signature;
  const expand = (t: Target): { kind: string; label: string }[] => {
    switch (t.kind) {
      case 'table':
      case 'sequence':
        return [{ kind: t.kind, label: objectLabel(t.kind, t.schema, t.name, null) }];
      case 'owned-sequences':
        return objects.filter((o) => sequenceOwnedBy(o, t.schema, t.table)).map((o) => ({ kind: 'sequence', label: objectLabel('sequence', o.schema, o.name, null) }));
      case 'all-tables':
      case 'all-sequences': {
        const kind = t.kind === 'all-tables' ? 'table' : 'sequence';
        return objects.filter((o) => o.kind === kind && o.schema === t.schema).map((o) => ({ kind, label: objectLabel(kind, o.schema, o.name, null) }));
      }
      case 'columns':
        return t.columns.map((c) => ({ kind: 'column', label: objectLabel('column', t.schema, t.table, c) }));
      case 'function': {
        const kind = t.routine === 'PROCEDURE' ? 'procedure' : 'function';
        const found = objects.find((o) => isRoutine(o) && o.schema === t.schema && o.name === t.name && normalizeArgs(argumentTypes(o) ?? '') === normalizeArgs(t.args.join(', ')));
        return [{ kind: found?.kind ?? kind, label: objectLabel(found?.kind ?? kind, t.schema, t.name, found ? argumentTypes(found) : t.args.join(', ')) }];
      }
      case 'all-functions': {
        const kinds = t.routine === 'PROCEDURE' ? ['procedure'] : ['function'];
        return objects.filter((o) => kinds.includes(o.kind) && o.schema === t.schema).map((o) => ({ kind: o.kind, label: objectLabel(o.kind, o.schema, o.name, argumentTypes(o)) }));
      }
      case 'schema':
      case 'database':
        return [{ kind: t.kind, label: objectLabel(t.kind, null, t.name, null) }];
    }
  };
  for (const g of model.grants) {
    if (g.grantee === PUBLIC) continue;
    for (const o of expand(g.target)) for (const p of g.privileges) add(g.grantee, o.kind, o.label, p, g.grantOption);
  }
  const actual = new Map<string, Atom>();
  for (const p of state.privileges) {
    const grantee = granteeOf(p);
    if (grantee === null || !managedNames.has(grantee)) continue;
    const inScope = p.kind === 'database' ? model.scope.databases.includes(p.name) : p.kind === 'schema' ? scope.has(p.name) : scope.has(p.schema ?? '');
    if (!inScope) continue;
    const label = objectLabel(p.kind, p.schema, p.name, p.kind === 'column' ? p.column : isRoutine(p) ? argumentTypes(p) : p.signature);
    actual.set(`${grantee}\0${label}\0${p.privilege}`, { grantee, kind: p.kind, object: label, privilege: p.privilege, grantable: p.grantable, grantor: p.grantor });
  }
  for (const [key, e] of expected) {
    if (!managedNames.has(e.grantee) && !roles.has(e.grantee)) continue;
    const a = actual.get(key);
    if (!a) out.push({ kind: 'missing', what: `role ${e.grantee} lacks ${e.privilege} on ${e.object}` });
    else if (a.grantable !== e.grantable) out.push({ kind: 'different', what: `role ${e.grantee}: ${e.privilege} on ${e.object} is ${a.grantable ? '' : 'not '}grantable, the plan says ${e.grantable ? '' : 'not '}grantable` });
  }
  // What the plan's own default privileges give on an object their owner created is the plan's (as in verify.sql).
  const objectByLabel = new Map(objects.map((o) => [objectLabel(o.kind, o.schema, o.name, isRoutine(o) ? argumentTypes(o) : null), o]));
  const givenByDefault = (a: Atom): boolean => {
    const o = objectByLabel.get(a.object);
    if (!o || (a.grantor !== undefined && a.grantor !== o.owner)) return false;
    return model.defaults.some(
      (d) => d.grantee === a.grantee && d.privileges.includes(a.privilege) && (d.grantOption || !a.grantable) && (d.owner ?? state.current_user) === o.owner
        && (d.schema === null || d.schema === o.schema) && d.objects === DEFAULT_OBJECTS[o.kind],
    );
  };
  for (const [key, a] of actual) if (!expected.has(key) && !givenByDefault(a)) out.push({ kind: 'extra', what: `role ${a.grantee} holds ${a.privilege} on ${a.object}` });

  // Default privileges for the plan's owners (no owner: the auditing role stands for the deploying one).
  const owners = new Set(model.owners.map((o) => o ?? state.current_user));
  const dkey = (owner: string, schema: string | null, objects: string, grantee: string, privilege: string) => JSON.stringify([owner, schema, objects, grantee, privilege]);
  const plannedDefaults = new Set(model.defaults.flatMap((d) => d.privileges.map((p) => dkey(d.owner ?? state.current_user, d.schema, d.objects, d.grantee, p))));
  const actualDefaults = new Set(
    state.default_privileges.flatMap((d) => {
      const grantee = granteeOf(d);
      return grantee !== null && managedNames.has(grantee) && owners.has(d.owner) && (d.schema === null || scope.has(d.schema)) ? [dkey(d.owner, d.schema, d.objects, grantee, d.privilege)] : [];
    }),
  );
  const describeDefault = (k: string) => {
    const [owner, schema, objects, grantee, privilege] = JSON.parse(k) as string[];
    return `role ${grantee} gets ${privilege} on ${objects} created by ${owner}${schema ? ` in schema ${schema}` : ''}`;
  };
  for (const k of plannedDefaults) if (!actualDefaults.has(k)) out.push({ kind: 'missing', what: `default privilege: ${describeDefault(k)}` });
  for (const k of actualDefaults) if (!plannedDefaults.has(k)) out.push({ kind: 'extra', what: `default privilege: ${describeDefault(k)}` });

  // Row-level security.
  for (const r of model.rowSecurity) {
    const a = state.row_security.find((x) => x.schema === r.schema && x.table === r.table);
    if (!a || !a.enabled) out.push({ kind: 'missing', what: `row level security on ${r.schema}.${r.table}` });
    else if (a.forced !== r.force) out.push({ kind: 'different', what: `row level security on ${r.schema}.${r.table}: forced is ${a.forced}, the plan says ${r.force}` });
    for (const p of r.policies) if (!a?.policies.some((x) => x.name === p.name)) out.push({ kind: 'missing', what: `policy ${p.name} on ${r.schema}.${r.table}` });
    if (!r.additive) for (const x of a?.policies ?? []) if (!r.policies.some((p) => p.name === x.name)) out.push({ kind: 'extra', what: `policy ${x.name} on ${r.schema}.${r.table}` });
  }

  return out.sort((a, b) => a.what.localeCompare(b.what) || a.kind.localeCompare(b.kind));
}
