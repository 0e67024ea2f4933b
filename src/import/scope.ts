// Step 2 of import: the part of the audited state the plan will describe — roles, schemas and the
// database in scope — as per-role facts (attributes, memberships, privileges, default privileges),
// plus what the plan format cannot say (gaps) and what deploy.sql will leave alone (notes).
import { UserError } from '../diagnostics.js';
import { granteeOf } from '../audit/drift.js';
import { quoteIdent } from '../sql/quote.js';
import type { ImportState } from './state.js';

export interface ScopeOptions {
  /** Schemas to describe (default: every non-system schema but `pgrant`). */
  schemas?: string[];
  /** Roles to describe (default: every role but pg_*, superusers, provider roles and the auditing role). */
  roles?: RegExp;
  excludeRoles?: RegExp;
  /**
   * --manage-owners: describe the roles that own objects in scope too. Without it they stay outside the
   * plan (referenced as owners only), so that its deploy.sql never alters them and revert.sql never drops them.
   */
  manageOwners?: boolean;
}

/** Something in scope that the plan cannot say: listed in the plan and in --json; import exits 1. */
export interface Gap {
  what: string;
  why: string;
}

export type AtomKind = 'table' | 'sequence' | 'column' | 'function' | 'procedure' | 'schema' | 'database';

/** One privilege a role holds directly on one object. */
export interface Atom {
  kind: AtomKind;
  schema: string | null;
  name: string;
  /** The column, or a routine's argument types. */
  sub: string | null;
  privilege: string;
  grantable: boolean;
}

export type DefaultKind = 'tables' | 'sequences' | 'functions' | 'large objects';

/** A default privilege a role gets on objects `owner` creates later (schema null: in any schema). */
export interface DefaultFact {
  owner: string;
  schema: string | null;
  objects: DefaultKind;
  privilege: string;
  grantable: boolean;
}

export interface MembershipFact {
  group: string;
  admin: boolean;
  /** PostgreSQL 16+ options, null where the server has none or they are what GRANT gives by default. */
  inherit: boolean | null;
  set: boolean | null;
}

export interface RoleFacts {
  name: string;
  attrs: ImportState['roles'][number];
  memberOf: MembershipFact[];
  atoms: Atom[];
  defaults: DefaultFact[];
}

export interface Scoped {
  state: ImportState;
  major: number;
  database: string;
  schemas: string[];
  roles: RoleFacts[];
  byName: Map<string, RoleFacts>;
  /** Objects in scope, per kind and schema (tables include views, materialized views, foreign tables). */
  objects: ImportState['objects'];
  /** PUBLIC's privileges beyond what PostgreSQL gives it by default, and what it lacks of those. */
  publicExtra: Atom[];
  publicMissing: Atom[];
  gaps: Gap[];
  notes: string[];
}

/** Roles that cloud providers create for their own use. */
const PROVIDER_ROLES = /^(rds|cloudsql|azure_|alloydb|google_|aiven|supabase_|neon_|crdb_)/;

export const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function atomKey(a: Atom): string {
  return JSON.stringify([a.kind, a.schema, a.name, a.sub, a.privilege, a.grantable]);
}

export function defaultKey(d: DefaultFact): string {
  return JSON.stringify([d.owner, d.schema, d.objects, d.privilege, d.grantable]);
}

const DEFAULT_KINDS: Record<string, DefaultKind> = { tables: 'tables', sequences: 'sequences', functions: 'functions', 'large objects': 'large objects' };

export function serverMajor(state: ImportState): number {
  const major = Number.parseInt(state.server_version, 10);
  if (!(major >= 14 && major <= 18)) {
    throw new UserError({ level: 'error', path: '', message: `the server runs PostgreSQL ${state.server_version}; pgrant plans target 14 to 18`, hint: 'import from a server of a supported major' });
  }
  return major;
}

/** Which roles the plan describes: the filters, else everything but system, superuser and provider roles. */
function roleInScope(r: ImportState['roles'][number], state: ImportState, options: ScopeOptions): boolean {
  if (r.name.startsWith('pg_')) return false;
  if (options.excludeRoles?.test(r.name)) return false;
  if (options.roles) return options.roles.test(r.name);
  return !r.superuser && !PROVIDER_ROLES.test(r.name) && r.name !== state.current_user;
}

export function scope(state: ImportState, options: ScopeOptions): Scoped {
  const major = serverMajor(state);
  const gaps: Gap[] = [];
  const notes: string[] = [];
  const allSchemas = state.objects.filter((o) => o.kind === 'schema').map((o) => o.name);
  for (const s of options.schemas ?? []) {
    if (!allSchemas.includes(s)) throw new UserError({ level: 'error', path: '', message: `--schemas names ${s}, which database ${state.database} does not have`, hint: `its schemas: ${allSchemas.sort(compare).join(', ')}` });
  }
  // pgrant's own bookkeeping schema is not access state to describe.
  const schemas = (options.schemas ?? allSchemas.filter((s) => s !== 'pgrant')).sort(compare);
  const inSchemas = new Set(schemas);
  const objects = state.objects.filter((o) => (o.kind === 'schema' ? inSchemas.has(o.name) : o.kind === 'database' ? o.name === state.database : inSchemas.has(o.schema ?? '')));
  const owning = options.manageOwners ? new Set<string>() : new Set(objects.map((o) => o.owner));
  const roleStates = state.roles.filter((r) => roleInScope(r, state, options)).sort((a, b) => compare(a.name, b.name));
  for (const r of roleStates.filter((r) => owning.has(r.name))) {
    notes.push(`role ${r.name} owns objects in scope: the plan refers to it and never alters or drops it (--manage-owners describes it too)`);
  }
  const described = roleStates.filter((r) => !owning.has(r.name));
  const names = new Set(described.map((r) => r.name));
  const ownerOf = new Map(objects.map((o) => [objectId(o.kind === 'procedure' ? 'function' : o.kind, o.schema, o.name, o.signature), o]));

  const facts = new Map<string, RoleFacts>(described.map((r) => [r.name, { name: r.name, attrs: r, memberOf: [], atoms: [], defaults: [] }]));
  collectMemberships(state, major, facts, names, gaps, notes);
  collectPrivileges(state, facts, inSchemas, ownerOf, gaps);
  collectDefaults(state, major, facts, inSchemas, gaps);
  collectUnsayable(state, inSchemas, names, gaps);
  const { extra: publicExtra, missing: publicMissing } = collectPublic(state, major, objects, ownerOf, gaps);
  for (const r of described) {
    const settings = (r.settings ?? []).filter((s) => !s.startsWith('pgrant.'));
    if (settings.length) notes.push(`role ${r.name} has settings in this database (${settings.join(', ')}): deploy.sql leaves them alone`);
    const everywhere = r.settings_all_databases ?? [];
    if (everywhere.length) notes.push(`role ${r.name} has settings in every database (${everywhere.join(', ')}): deploy.sql leaves them alone`);
  }
  const roles = [...facts.values()];
  return { state, major, database: state.database, schemas, roles, byName: facts, objects, publicExtra, publicMissing, gaps, notes };
}

function objectId(kind: string, schema: string | null, name: string, signature: string | null): string {
  return JSON.stringify([kind === 'procedure' ? 'function' : kind, schema, name, signature]);
}

function collectMemberships(state: ImportState, major: number, facts: Map<string, RoleFacts>, names: Set<string>, gaps: Gap[], notes: string[]): void {
  const attrs = new Map(state.roles.map((r) => [r.name, r]));
  const seen = new Set<string>();
  const memberships = [...state.memberships].sort((a, b) => compare(a.role, b.role) || compare(a.member, b.member) || compare(a.grantor ?? '', b.grantor ?? ''));
  for (const m of memberships) {
    const member = facts.get(m.member);
    if (!member) {
      if (names.has(m.role)) notes.push(`role ${m.member} (outside the plan) is a member of ${m.role}: deploy.sql leaves that membership alone`);
      continue;
    }
    // From 16 a superuser's GRANT is recorded as made by the bootstrap superuser: another grantor's
    // membership would be granted a second time.
    if (major >= 16 && state.bootstrap_superuser && m.grantor && m.grantor !== state.bootstrap_superuser) {
      gaps.push({ what: `membership of ${m.member} in ${m.role} granted by ${m.grantor}`, why: `deploy.sql grants memberships as ${state.bootstrap_superuser}; the plan cannot name another grantor` });
    }
    const key = `${m.role}\0${m.member}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // A new membership inherits when its member has INHERIT, and may SET ROLE: only the other cases are written.
    const memberInherits = attrs.get(m.member)?.inherit ?? true;
    member.memberOf.push({
      group: m.role,
      admin: m.admin,
      inherit: m.inherit === null || m.inherit === memberInherits ? null : m.inherit,
      set: m.set === false ? false : null,
    });
  }
}

function collectPrivileges(state: ImportState, facts: Map<string, RoleFacts>, inSchemas: Set<string>, objects: Map<string, ImportState['objects'][number]>, gaps: Gap[]): void {
  const argumentsOf = new Map(state.objects.filter((o) => o.kind === 'function' || o.kind === 'procedure').map((o) => [objectId(o.kind, o.schema, o.name, o.signature), o.arguments ?? null]));
  for (const p of state.privileges) {
    const grantee = granteeOf(p);
    const role = grantee === null ? undefined : facts.get(grantee);
    if (!role) continue;
    const inScope = p.kind === 'database' ? p.name === state.database : p.kind === 'schema' ? inSchemas.has(p.name) : inSchemas.has(p.schema ?? '');
    if (!inScope) continue;
    const object = objects.get(objectId(p.kind === 'column' ? 'table' : p.kind, p.schema, p.name, p.kind === 'column' ? null : p.signature));
    const kind = p.kind as AtomKind;
    const sub = p.kind === 'column' ? p.column : p.kind === 'function' || p.kind === 'procedure' ? (argumentsOf.get(objectId(p.kind, p.schema, p.name, p.signature)) ?? p.signature) : null;
    role.atoms.push({ kind, schema: p.schema, name: p.name, sub, privilege: p.privilege, grantable: p.grantable });
    if (object && p.grantor !== object.owner) {
      gaps.push({ what: `${p.privilege} on ${describeAtomObject(kind, p.schema, p.name, sub)} to ${p.grantee}, granted by ${p.grantor}`, why: `deploy.sql grants as the object's owner (${object.owner}): it would add a second grant` });
    }
  }
}

function collectDefaults(state: ImportState, major: number, facts: Map<string, RoleFacts>, inSchemas: Set<string>, gaps: Gap[]): void {
  // Plans give default privileges to roles only, and never take PostgreSQL's own away (e.g. EXECUTE from PUBLIC).
  for (const d of state.default_privileges) {
    if (granteeOf(d) === null && (d.schema === null || inSchemas.has(d.schema))) {
      gaps.push({ what: `default privilege ${d.privilege} on ${d.objects} created by ${d.owner}${d.schema ? ` in schema ${d.schema}` : ''} to PUBLIC`, why: 'plans cannot state default privileges for PUBLIC' });
    }
  }
  for (const d of state.default_privileges_revoked) {
    gaps.push({
      what: `default privilege ${d.privilege} on ${d.objects} created by ${d.owner} revoked from ${d.grantee} in every schema`,
      why: `plans cannot state it (ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(d.owner)} REVOKE ${d.privilege} ON ${d.objects.toUpperCase()} FROM ${d.grantee === 'PUBLIC' ? 'PUBLIC' : quoteIdent(d.grantee)}): deploy.sql leaves it, verify.sql does not check it`,
    });
  }
  for (const d of state.default_privileges) {
    const grantee = granteeOf(d);
    const role = grantee === null ? undefined : facts.get(grantee);
    if (!role || (d.schema !== null && !inSchemas.has(d.schema))) continue;
    const objects = DEFAULT_KINDS[d.objects];
    if (!objects || (objects === 'large objects' && major < 18)) {
      gaps.push({ what: `default privilege ${d.privilege} on ${d.objects} created by ${d.owner}${d.schema ? ` in schema ${d.schema}` : ''} to ${d.grantee}`, why: `plans cannot state default privileges on ${d.objects}${objects ? ' before PostgreSQL 18' : ''}` });
      continue;
    }
    role.defaults.push({ owner: d.owner, schema: d.schema, objects, privilege: d.privilege, grantable: d.grantable });
  }
}

/** ACLs the plan format has no words for: large objects, types; row-level security switched off with policies. */
function collectUnsayable(state: ImportState, inSchemas: Set<string>, names: Set<string>, gaps: Gap[]): void {
  for (const l of state.large_objects ?? []) {
    const grantees = l.acl.map((a) => a.split('=')[0] || 'PUBLIC').filter((g) => g !== l.owner);
    if (grantees.some((g) => g === 'PUBLIC' || names.has(g.replace(/^"|"$/g, '')))) {
      gaps.push({ what: `large object ${l.oid} (ACL ${l.acl.join(', ')})`, why: 'plans cannot grant on large objects' });
    }
  }
  for (const t of state.type_acls ?? []) {
    if (inSchemas.has(t.schema)) gaps.push({ what: `type ${t.schema}.${t.name} (ACL ${t.acl.join(', ')})`, why: 'plans cannot grant on types' });
  }
  for (const r of state.row_security) {
    if (inSchemas.has(r.schema) && !r.enabled && r.policies.length) {
      gaps.push({ what: `policies on ${r.schema}.${r.table} (${r.policies.map((p) => p.name).join(', ')})`, why: 'row-level security is disabled on the table; the row-level-security pattern enables it' });
    }
  }
}

export function describeAtomObject(kind: AtomKind, schema: string | null, name: string, sub: string | null): string {
  if (kind === 'column') return `column ${schema}.${name} (${sub})`;
  if (kind === 'function' || kind === 'procedure') return `${kind} ${schema}.${name}(${sub ?? ''})`;
  if (kind === 'schema' || kind === 'database') return `${kind} ${name}`;
  return `${kind} ${schema}.${name}`;
}

/** What PostgreSQL gives PUBLIC on an object it creates (acldefault; schema public as initdb makes it). */
function publicBaseline(kind: string, name: string, major: number): string[] {
  if (kind === 'function' || kind === 'procedure') return ['EXECUTE'];
  if (kind === 'database') return ['CONNECT', 'TEMPORARY'];
  if (kind === 'schema' && name === 'public') return major >= 15 ? ['USAGE'] : ['USAGE', 'CREATE'];
  return [];
}

/**
 * PUBLIC (every role) on the objects in scope: what it holds beyond PostgreSQL's defaults becomes
 * `public_grants`, what it lacks of them `revokes` — so the plan says, and verify.sql checks, that the
 * database is closed or a function is not for everyone. deploy.sql's GRANT and REVOKE of them change nothing.
 */
function collectPublic(state: ImportState, major: number, objects: ImportState['objects'], owners: Map<string, ImportState['objects'][number]>, gaps: Gap[]): { extra: Atom[]; missing: Atom[] } {
  const held = new Map<string, Set<string>>();
  const extra: Atom[] = [];
  for (const p of state.privileges) {
    if (granteeOf(p) !== null) continue;
    const id = objectId(p.kind === 'column' ? 'table' : p.kind, p.schema, p.name, p.kind === 'column' ? null : p.signature);
    const object = owners.get(id);
    if (!object) continue;
    if (p.grantor !== object.owner) gaps.push({ what: `${p.privilege} on ${describeAtomObject(p.kind as AtomKind, p.schema, p.name, p.column ?? p.signature)} to PUBLIC, granted by ${p.grantor}`, why: `deploy.sql grants as the object's owner (${object.owner})` });
    if (p.kind === 'column') extra.push({ kind: 'column', schema: p.schema, name: p.name, sub: p.column, privilege: p.privilege, grantable: false });
    else held.set(id, new Set([...(held.get(id) ?? []), p.privilege]));
  }
  const missing: Atom[] = [];
  for (const o of objects) {
    const baseline = publicBaseline(o.kind, o.name, major);
    const has = held.get(objectId(o.kind, o.schema, o.name, o.signature)) ?? new Set<string>();
    const atom = (privilege: string): Atom => ({ kind: o.kind as AtomKind, schema: o.schema, name: o.name, sub: o.kind === 'function' || o.kind === 'procedure' ? (o.arguments ?? o.signature) : null, privilege, grantable: false });
    for (const p of has) if (!baseline.includes(p)) extra.push(atom(p));
    for (const p of baseline) if (!has.has(p)) missing.push(atom(p));
  }
  return { extra, missing };
}
