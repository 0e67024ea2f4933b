// Step 3 of import: roles whose privileges are exactly what a catalog pattern gives become instances of
// that pattern. A match is exact or it is not made: the pattern's expansion over the audited objects
// must equal what the role holds (privileges and default privileges), so the plan stays exact.
// Memberships, and grants on the database, are left for the `roles` pattern (see emit.ts).
import { sequenceOwnedBy } from '../audit/drift.js';
import { unite } from '../model/builder.js';
import { privilegesFor } from '../sql/privileges.js';
import { atomKey, compare, defaultKey, type Atom, type DefaultFact, type RoleFacts, type Scoped } from './scope.js';
import { recogniseTeams } from './team-hierarchy.js';
import { roleAttributes, commentValue, tableRef } from './values.js';

export interface Recognised {
  pattern: string;
  /** The instance's parameters, in the order they are written. */
  params: Record<string, unknown>;
  /** Why this pattern fits: the instance's comment in the plan. */
  why: string;
  /** Roles whose attributes and comment the instance states. */
  defines: string[];
  /** Per role: the privileges, default privileges and memberships the instance accounts for. */
  consumed: Map<string, { atoms: Set<string>; defaults: Set<string>; memberships: Set<string> }>;
}

const READWRITE = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

/** Every pattern instance that describes some roles exactly; roles are taken by the first that fits. */
export function recognise(scoped: Scoped, planName: string): Recognised[] {
  const found: Recognised[] = [];
  const taken = new Set<string>();
  found.push(...recogniseProjects(scoped, planName, taken));
  found.push(...recogniseTeams(scoped, planName, taken, plainGroup));
  for (const r of scoped.roles) {
    if (taken.has(r.name)) continue;
    const match = recogniseSchemaPattern(scoped, r, planName);
    if (match) {
      found.push(match);
      taken.add(r.name);
    }
  }
  return found;
}

// ---- helpers over the audited objects ----

function objectsOf(scoped: Scoped, kind: string, schemas: string[]) {
  return scoped.objects.filter((o) => o.kind === kind && schemas.includes(o.schema ?? '')).sort((a, b) => compare(a.schema ?? '', b.schema ?? '') || compare(a.name, b.name) || compare(a.signature ?? '', b.signature ?? ''));
}

function atom(kind: Atom['kind'], schema: string | null, name: string, sub: string | null, privilege: string): Atom {
  return { kind, schema, name, sub, privilege, grantable: false };
}

/** Privileges per object of one kind: `schema.name` → sorted privilege list (non-grantable atoms only). */
function privilegesByObject(atoms: Atom[], kind: Atom['kind']): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const a of atoms) {
    if (a.kind !== kind) continue;
    const key = JSON.stringify([a.schema, a.name, a.sub]);
    by.set(key, unite(by.get(key) ?? [], [a.privilege]));
  }
  return by;
}

/** The one privilege list every entry has, or undefined when they differ (or there are none). */
function uniform(lists: string[][]): string[] | undefined {
  if (lists.length === 0) return undefined;
  const first = lists[0]!.join(',');
  return lists.every((l) => l.join(',') === first) ? lists[0] : undefined;
}

const sameSet = (a: Iterable<string>, b: Iterable<string>): boolean => {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
};

/** Role attributes the readonly/readwrite groups cannot state: all at CREATE ROLE's defaults. */
export function plainGroup(r: RoleFacts): boolean {
  const a = r.attrs;
  return !a.login && !a.superuser && !a.createdb && !a.createrole && a.inherit && !a.replication && !a.bypassrls && a.connection_limit === -1 && (a.valid_until === null || a.valid_until.startsWith('infinity'));
}

/** Default privileges per owner, object kind and schema. */
function defaultsBy(defaults: DefaultFact[]): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const d of defaults) {
    const key = JSON.stringify([d.owner, d.objects, d.schema]);
    by.set(key, unite(by.get(key) ?? [], [d.privilege]));
  }
  return by;
}

function expectedDefaults(owners: string[], schemas: string[], objects: DefaultFact['objects'], privileges: string[]): DefaultFact[] {
  return owners.flatMap((owner) => schemas.flatMap((schema) => privileges.map((privilege) => ({ owner, schema, objects, privilege, grantable: false }))));
}

// ---- readonly, readwrite, app-user ----

interface SchemaShape {
  schemas: string[];
  /** Table privileges, and the tables they are on (null: every table in the schemas). */
  tablePrivileges: string[];
  tables: (string | { schema: string; name: string })[] | null;
  /** Column-level privileges instead of whole tables: "schema.table" → columns. */
  columns: Record<string, string[]> | null;
  sequencePrivileges: string[];
  /** With listed tables: whether those tables own sequences (serial, identity columns) now. */
  listedTablesOwnSequences: boolean;
  functions: boolean;
  owners: string[];
  expectedAtoms: Atom[];
}

/**
 * The sequences the serial and identity columns of `tables` own, as deploy.sql finds them when it runs
 * (partials/owned-sequences.sql.hbs). Undefined when that cannot be told exactly from the audit: a name
 * holding a dot in an older audit (which wrote the owning table as "schema.table"), or a sequence outside `schemas`.
 */
function ownedSequences(scoped: Scoped, tables: { schema: string | null; name: string }[], schemas: string[]) {
  const older = scoped.state.objects.some((o) => o.kind === 'sequence' && o.owned_by_table === undefined);
  if (older && tables.some((t) => t.schema!.includes('.') || t.name.includes('.'))) return undefined;
  const owned = scoped.state.objects.filter((o) => tables.some((t) => sequenceOwnedBy(o, t.schema!, t.name)));
  if (owned.some((o) => !schemas.includes(o.schema ?? ''))) return undefined;
  return owned.sort((a, b) => compare(a.schema ?? '', b.schema ?? '') || compare(a.name, b.name));
}

/** The table privileges: on the tables, else on the columns, else (no table yet) by default. */
function tablePrivilegesOf(tables: Map<string, string[]>, columns: Map<string, string[]>, defaultList: (objects: string) => string[] | undefined): string[] | undefined {
  if (tables.size) return uniform([...tables.values()]);
  if (columns.size) return uniform([...columns.values()]);
  return defaultList('tables');
}

/**
 * The shape of a role's privileges if it is one a schema-privileges pattern gives: USAGE on schemas,
 * one privilege list on every table (and by default on future ones, FOR ROLE some owners) or on listed
 * tables (and the sequences those tables own), sequences of the schemas all or nothing (with every
 * table), functions all or nothing. Undefined when it is not. See catalog/expanders/schema-privileges.ts.
 */
function schemaShape(scoped: Scoped, r: RoleFacts): SchemaShape | undefined {
  const atoms = r.atoms.filter((a) => a.kind !== 'database');
  if (atoms.some((a) => a.grantable) || r.defaults.some((d) => d.grantable || d.schema === null)) return undefined;
  if (atoms.some((a) => a.kind === 'procedure' || (a.kind === 'schema' && a.privilege !== 'USAGE'))) return undefined;
  const schemas = atoms.filter((a) => a.kind === 'schema').map((a) => a.name).sort(compare);
  if (schemas.length === 0 || atoms.some((a) => a.kind !== 'schema' && !schemas.includes(a.schema ?? ''))) return undefined;

  const owners = [...new Set(r.defaults.map((d) => d.owner))].sort(compare);
  const defaults = defaultsBy(r.defaults);
  const defaultList = (objects: string) => uniform(owners.flatMap((o) => schemas.map((s) => defaults.get(JSON.stringify([o, objects, s])) ?? [])));

  const tables = privilegesByObject(atoms, 'table');
  const columns = privilegesByObject(atoms, 'column');
  // Column grants are the table privileges PostgreSQL allows on columns (the `columns` parameter).
  const tablePrivileges = tablePrivilegesOf(tables, columns, defaultList);
  if (!tablePrivileges?.length) return undefined;
  const columnPrivileges = tablePrivileges.filter((p) => privilegesFor('column', scoped.major).includes(p));
  if ([...columns.values()].some((c) => c.join() !== columnPrivileges.join())) return undefined;
  const columnTables = new Map<string, string[]>();
  for (const a of atoms.filter((x) => x.kind === 'column')) {
    if (tables.has(JSON.stringify([a.schema, a.name, null])) || a.schema!.includes('.') || a.name.includes('.')) return undefined;
    const t = `${a.schema}.${a.name}`;
    columnTables.set(t, [...new Set([...(columnTables.get(t) ?? []), a.sub!])].sort(compare));
  }
  const allTables = objectsOf(scoped, 'table', schemas);
  // Every table comes with default privileges for tables; listed tables (or columns) with none.
  const everyTable = allTables.length === tables.size && columns.size === 0 && r.defaults.some((d) => d.objects === 'tables');
  const tableObjects = everyTable ? allTables : allTables.filter((t) => tables.has(JSON.stringify([t.schema, t.name, null])));

  // Sequences: with every table, on every one in the schemas now and by default later, or on none;
  // with listed tables, on the sequences those tables own (found when deploy.sql runs), or on none.
  const sequences = privilegesByObject(atoms, 'sequence');
  const sequenceObjects = everyTable ? objectsOf(scoped, 'sequence', schemas) : ownedSequences(scoped, tableObjects, schemas);
  if (!sequenceObjects) return undefined;
  let sequencePrivileges = uniform([...sequences.values()]) ?? [];
  if (sequences.size > 0 && sequences.size !== sequenceObjects.length) return undefined;
  if (sequences.size === 0 && everyTable) sequencePrivileges = defaultList('sequences') ?? [];

  const functions = privilegesByObject(atoms, 'function');
  const allFunctions = objectsOf(scoped, 'function', schemas);
  let fn = functions.size > 0;
  if (fn && (functions.size !== allFunctions.length || uniform([...functions.values()])?.join() !== 'EXECUTE')) return undefined;
  if (!fn && owners.length) fn = (defaultList('functions') ?? []).join() === 'EXECUTE';

  const expectedAtoms: Atom[] = schemas.map((s) => atom('schema', null, s, null, 'USAGE'));
  for (const t of tableObjects) for (const p of tablePrivileges) expectedAtoms.push(atom('table', t.schema, t.name, null, p));
  for (const a of atoms.filter((x) => x.kind === 'column')) for (const p of columnPrivileges) expectedAtoms.push(atom('column', a.schema, a.name, a.sub, p));
  for (const q of sequenceObjects) for (const p of sequencePrivileges) expectedAtoms.push(atom('sequence', q.schema, q.name, null, p));
  if (fn) for (const f of allFunctions) expectedAtoms.push(atom('function', f.schema, f.name, f.arguments ?? f.signature, 'EXECUTE'));
  if (!sameSet(atoms.map(atomKey), expectedAtoms.map(atomKey))) return undefined;

  const expected = [
    ...(everyTable ? expectedDefaults(owners, schemas, 'tables', tablePrivileges) : []),
    ...(everyTable ? expectedDefaults(owners, schemas, 'sequences', sequencePrivileges) : []),
    ...(fn ? expectedDefaults(owners, schemas, 'functions', ['EXECUTE']) : []),
  ];
  if (!sameSet(r.defaults.map(defaultKey), expected.map(defaultKey))) return undefined;
  // Without owners the pattern sets default privileges for the role running deploy.sql: not what is there.
  if ((everyTable || fn) && owners.length === 0) return undefined;
  return {
    schemas,
    tablePrivileges,
    tables: everyTable ? null : tableObjects.map((t) => tableRef(t.schema!, t.name)),
    columns: columnTables.size ? Object.fromEntries([...columnTables].sort(([a], [b]) => compare(a, b))) : null,
    sequencePrivileges,
    listedTablesOwnSequences: !everyTable && sequenceObjects.length > 0,
    functions: fn,
    owners,
    expectedAtoms,
  };
}

function recogniseSchemaPattern(scoped: Scoped, r: RoleFacts, planName: string): Recognised | undefined {
  if (r.attrs.superuser) return undefined;
  const shape = schemaShape(scoped, r);
  if (!shape) return undefined;
  const t = shape.tablePrivileges.join(',');
  const q = shape.sequencePrivileges.join(',');
  let pattern: string;
  if (!r.attrs.login && plainGroup(r) && t === 'SELECT' && (q === '' || q === 'SELECT')) pattern = 'readonly';
  else if (!r.attrs.login && plainGroup(r) && (t === READWRITE.join(',') || t === [...READWRITE, 'TRUNCATE'].join(',')) && (q === '' || q === 'SELECT,USAGE')) pattern = 'readwrite';
  else if (r.attrs.login && (q === '' || q === 'SELECT,USAGE')) pattern = 'app-user';
  else return undefined;

  const params: Record<string, unknown> = { pattern, role: r.name };
  if (shape.schemas.join() !== 'public') params.schemas = shape.schemas;
  if (shape.tables?.length) params.tables = shape.tables;
  if (shape.columns) params.columns = shape.columns;
  if (pattern === 'app-user' && t !== READWRITE.join(',')) params.privileges = shape.tablePrivileges;
  if (pattern === 'readwrite' && t.endsWith('TRUNCATE')) params.truncate = true;
  // With listed tables the pattern grants on their sequences only: `false` matters only if they have some.
  if (q === '' && (!shape.tables || shape.listedTablesOwnSequences)) params.sequences = false;
  if (shape.functions) params.functions = true;
  if (shape.owners.length) params.owners = shape.owners;
  if (pattern === 'app-user') Object.assign(params, roleAttributes(r.attrs, { login: true }));
  const comment = commentValue(r.attrs.comment, planName);
  if (comment !== undefined) params.comment = comment;

  return {
    pattern,
    params,
    why: `${pattern}: ${r.name} has ${describeShape(shape)}: exactly what the ${pattern} pattern gives`,
    defines: [r.name],
    consumed: new Map([[r.name, { atoms: new Set(shape.expectedAtoms.map(atomKey)), defaults: new Set(r.defaults.map(defaultKey)), memberships: new Set() }]]),
  };
}

/** What a role of this shape holds, in words, for the instance's comment. */
function describeShape(shape: SchemaShape): string {
  const privileges = (list: string[]) => list.join(', ');
  const listed = [shape.tables?.length ? `${shape.tables.length} listed table(s)` : '', shape.columns ? `columns of ${Object.keys(shape.columns).join(', ')}` : ''].filter(Boolean).join(' and ');
  const parts = [`USAGE on ${shape.schemas.join(', ')}`, `${privileges(shape.tablePrivileges)} on ${shape.tables ? listed : 'every table'}`];
  if (shape.sequencePrivileges.length) parts.push(`${privileges(shape.sequencePrivileges)} on ${shape.tables ? 'the sequences of the listed tables' : 'every sequence'}`);
  if (shape.functions) parts.push('EXECUTE on every function');
  const creates = `${shape.owners.join(', ')} ${shape.owners.length === 1 ? 'creates' : 'create'} later`;
  // With listed tables only functions have default privileges.
  const defaults = !shape.owners.length ? '' : shape.tables ? `, and EXECUTE by default on the functions ${creates}` : `, and the same by default on what ${creates}`;
  return `${parts.join(', ')}${defaults}`;
}

// ---- project ----

interface ProjectRole {
  role: RoleFacts;
  schemas: string[];
  tablePrivileges: string[];
  sequencePrivileges: string[];
  atoms: Atom[];
}

/**
 * A role as the project pattern makes its read-write or read-only role: USAGE on schemas owned by
 * `owner`, one privilege list on every table (and sequence) in them, and the same by default FOR ROLE owner.
 */
function projectRole(scoped: Scoped, r: RoleFacts, owner: string, ownedSchemas: Set<string>): ProjectRole | undefined {
  if (!plainGroup(r) || r.defaults.some((d) => d.owner !== owner || d.grantable || d.schema === null)) return undefined;
  const atoms = r.atoms.filter((a) => a.kind !== 'database');
  if (atoms.some((a) => a.grantable)) return undefined;
  const schemas = atoms.filter((a) => a.kind === 'schema' && a.privilege === 'USAGE').map((a) => a.name).sort(compare);
  if (schemas.length === 0 || !schemas.every((s) => ownedSchemas.has(s))) return undefined;
  const defaults = defaultsBy(r.defaults);
  const tablePrivileges = uniform(schemas.map((s) => defaults.get(JSON.stringify([owner, 'tables', s])) ?? []));
  const sequencePrivileges = uniform(schemas.map((s) => defaults.get(JSON.stringify([owner, 'sequences', s])) ?? [])) ?? [];
  if (!tablePrivileges?.length) return undefined;
  const expected: Atom[] = schemas.map((s) => atom('schema', null, s, null, 'USAGE'));
  for (const t of objectsOf(scoped, 'table', schemas)) for (const p of tablePrivileges) expected.push(atom('table', t.schema, t.name, null, p));
  for (const q of objectsOf(scoped, 'sequence', schemas)) for (const p of sequencePrivileges) expected.push(atom('sequence', q.schema, q.name, null, p));
  if (!sameSet(atoms.map(atomKey), expected.map(atomKey))) return undefined;
  const expectedDefaultKeys = [...expectedDefaults([owner], schemas, 'tables', tablePrivileges), ...expectedDefaults([owner], schemas, 'sequences', sequencePrivileges)].map(defaultKey);
  if (!sameSet(r.defaults.map(defaultKey), expectedDefaultKeys)) return undefined;
  return { role: r, schemas, tablePrivileges, sequencePrivileges, atoms: expected };
}

function recogniseProjects(scoped: Scoped, planName: string, taken: Set<string>): Recognised[] {
  const found: Recognised[] = [];
  const schemaOwners = new Map(scoped.objects.filter((o) => o.kind === 'schema').map((o) => [o.name, o.owner]));
  for (const owner of scoped.roles) {
    if (!owner.attrs.login || owner.attrs.superuser || taken.has(owner.name)) continue;
    const owned = new Set([...schemaOwners].filter(([, o]) => o === owner.name).map(([s]) => s));
    if (owned.size === 0) continue;
    const candidates = scoped.roles.filter((r) => r !== owner && !taken.has(r.name)).map((r) => projectRole(scoped, r, owner.name, owned)).filter((p): p is ProjectRole => p !== undefined);
    const writers = candidates.filter((c) => c.sequencePrivileges.join(',') === 'SELECT,UPDATE,USAGE');
    const readers = candidates.filter((c) => c.tablePrivileges.join(',') === 'SELECT' && c.sequencePrivileges.length === 0);
    for (const rw of writers) {
      const ro = readers.find((c) => c.schemas.join() === rw.schemas.join() && !taken.has(c.role.name));
      if (!ro || taken.has(rw.role.name)) continue;
      const instance = projectInstance(scoped, owner, rw, ro, planName, taken);
      found.push(instance);
      instance.defines.forEach((n) => taken.add(n));
    }
  }
  return found;
}

/** The project name that leaves the fewest names to state, and the instance's parameters. */
function projectInstance(scoped: Scoped, owner: RoleFacts, rw: ProjectRole, ro: ProjectRole, planName: string, taken: Set<string>): Recognised {
  const strip = (name: string, suffix: string) => (name.endsWith(suffix) && name.length > suffix.length ? name.slice(0, -suffix.length) : undefined);
  const names = [strip(owner.name, '_owner'), strip(rw.role.name, '_role_readwrite'), strip(ro.role.name, '_role_readonly'), rw.schemas[0]].filter((n): n is string => !!n);
  const cost = (p: string) => [owner.name !== `${p}_owner`, rw.role.name !== `${p}_role_readwrite`, ro.role.name !== `${p}_role_readonly`, rw.schemas.join() !== p].filter(Boolean).length;
  const project = [...new Set(names)].sort((a, b) => cost(a) - cost(b) || compare(a, b))[0]!;

  const consumed: Recognised['consumed'] = new Map();
  const consume = (role: string, atoms: Atom[], defaults: DefaultFact[], memberships: string[] = []) => consumed.set(role, { atoms: new Set(atoms.map(atomKey)), defaults: new Set(defaults.map(defaultKey)), memberships: new Set(memberships) });
  consume(owner.name, [], []);
  consume(rw.role.name, rw.atoms, rw.role.defaults);
  consume(ro.role.name, ro.atoms, ro.role.defaults);

  const login = (r: RoleFacts): Record<string, unknown> | string => {
    const attrs = roleAttributes(r.attrs, { login: true });
    const comment = commentValue(r.attrs.comment, planName);
    if (comment !== undefined) attrs.comment = comment;
    return Object.keys(attrs).length ? { name: r.name, ...attrs } : r.name;
  };
  const params: Record<string, unknown> = { pattern: 'project', project };
  if (rw.schemas.join() !== project) params.schemas = rw.schemas;
  if (owner.name !== `${project}_owner` || typeof login(owner) !== 'string') params.owner = login(owner);
  if (rw.role.name !== `${project}_role_readwrite`) params.readwrite_role = rw.role.name;
  if (ro.role.name !== `${project}_role_readonly`) params.readonly_role = ro.role.name;
  if (rw.tablePrivileges.join(',') !== READWRITE.join(',')) params.readwrite_privileges = rw.tablePrivileges;
  for (const [key, group] of [['readwrite_comment', rw], ['readonly_comment', ro]] as const) {
    const comment = commentValue(group.role.attrs.comment, planName);
    if (comment !== undefined) params[key] = comment;
  }

  // Business accounts: a login in each role with a plain membership (the derived name first).
  const defines = [owner.name, rw.role.name, ro.role.name];
  const accounts: Record<string, unknown> = {};
  const accountNames: string[] = [];
  for (const [key, group] of [['readwrite', rw.role.name], ['readonly', ro.role.name]] as const) {
    const logins = scoped.roles
      .filter((r) => r.attrs.login && !r.attrs.superuser && !taken.has(r.name) && !defines.includes(r.name))
      .filter((r) => r.memberOf.some((m) => m.group === group && !m.admin && m.inherit === null && m.set === null))
      .sort((a, b) => Number(b.name === `${project}_${key}`) - Number(a.name === `${project}_${key}`) || compare(a.name, b.name));
    const account = logins[0];
    if (!account) {
      accounts[key] = false;
      continue;
    }
    defines.push(account.name);
    accountNames.push(account.name);
    consume(account.name, [], [], [group]);
    const value = login(account);
    if (account.name !== `${project}_${key}` || typeof value !== 'string') accounts[key] = value;
  }
  if (Object.keys(accounts).length) params.accounts = accounts;

  const tables = rw.tablePrivileges.join(', ');
  return {
    pattern: 'project',
    params,
    why: `project ${project}: ${owner.name} owns schemas ${rw.schemas.join(', ')}; ${rw.role.name} has ${tables} on every table and USAGE, SELECT, UPDATE on every sequence, ${ro.role.name} SELECT on every table, both USAGE on the schemas and the same by default on what ${owner.name} creates${accountNames.length ? `; accounts ${accountNames.join(', ')}` : ''}: exactly what the project pattern gives`,
    defines,
    consumed,
  };
}
