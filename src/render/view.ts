// model → the data templates read. Everything a template decides on is computed here, so templates
// only choose, repeat and escape.
import { basename } from 'node:path';
import type { DefaultPrivilege, Grant, Model, Role, Target } from '../model/model.js';
import { PUBLIC } from '../model/model.js';
import { pgrantVersion } from '../paths.js';
import { ROLE_FLAGS, type RoleFlag } from '../sql/privileges.js';
import { locationOf, uniteAll } from '../model/builder.js';
import { lookup } from '../model/lookup.js';
import { deployerNeeds } from './deployer-view.js';

/** Privileges a role must hold directly on one object (or every object of a kind in a schema). */
export interface PlannedPrivilege {
  grantee: string;
  /** table | sequence | column | function | schema | database */
  kind: string;
  schema: string | null;
  /** Object name; null = every object of the kind in the schema. */
  name: string | null;
  /** Column name, function argument list, or FUNCTION/PROCEDURE for every routine in a schema. */
  sub: string | null;
  privileges: string[];
  grantable: boolean;
}

export interface PlannedDefault {
  owner: string | null;
  schema: string | null;
  /** pg_default_acl.defaclobjtype */
  objtype: string;
  grantee: string;
  privileges: string[];
  grantable: boolean;
}

/** Privileges a role must (or, without INHERIT, must not) have through a group it belongs to. */
export interface InheritedExpectation extends PlannedPrivilege {
  role: string;
  expect: boolean;
}

const OBJTYPE: Record<DefaultPrivilege['objects'], string> = { tables: 'r', sequences: 'S', functions: 'f', 'large objects': 'L' };
export const OBJECTS_KEYWORD: Record<DefaultPrivilege['objects'], string> = { tables: 'TABLES', sequences: 'SEQUENCES', functions: 'FUNCTIONS', 'large objects': 'LARGE OBJECTS' };

function plannedRows(g: Grant): PlannedPrivilege[] {
  const t = g.target;
  const row = (kind: string, schema: string | null, name: string | null, sub: string | null): PlannedPrivilege => ({
    grantee: g.grantee,
    kind,
    schema,
    name,
    sub,
    privileges: g.privileges,
    grantable: g.grantOption,
  });
  switch (t.kind) {
    case 'table':
      return [row('table', t.schema, t.name, null)];
    case 'all-tables':
      return [row('table', t.schema, null, null)];
    case 'sequence':
      return [row('sequence', t.schema, t.name, null)];
    case 'all-sequences':
      return [row('sequence', t.schema, null, null)];
    case 'owned-sequences':
      // Expanded into the table's sequences where the SQL runs (partials/planned.sql.hbs).
      return [row('owned-sequences', t.schema, t.table, null)];
    case 'columns':
      return t.columns.map((c) => row('column', t.schema, t.table, c));
    case 'function':
      return [row('function', t.schema, t.name, t.args.join(', '))];
    case 'all-functions':
      return [row('function', t.schema, null, t.routine)];
    case 'schema':
      return [row('schema', null, t.name, null)];
    case 'database':
      return [row('database', null, t.name, null)];
  }
}

/** Grants on the sequences of listed tables, for partials/owned-sequences.sql.hbs (found when the SQL runs). */
export function ownedSequenceRows(grants: readonly (Pick<Grant, 'grantee' | 'target' | 'privileges' | 'grantOption'> & { grantOptionOnly?: boolean })[]) {
  const rows = [];
  for (const g of grants) {
    if (g.target.kind !== 'owned-sequences') continue;
    rows.push({ grantee: g.grantee, schema: g.target.schema, table: g.target.table, privileges: g.privileges, grantable: g.grantOption, optionOnly: g.grantOptionOnly ?? false });
  }
  return rows;
}

/** A target in words, for comments, ACCESS.md and change lists. */
export function describeTarget(t: Target): string {
  switch (t.kind) {
    case 'table':
      return `table ${t.schema}.${t.name}`;
    case 'all-tables':
      return `every table in schema ${t.schema}`;
    case 'sequence':
      return `sequence ${t.schema}.${t.name}`;
    case 'all-sequences':
      return `every sequence in schema ${t.schema}`;
    case 'owned-sequences':
      return `the sequences of table ${t.schema}.${t.table} (its serial and identity columns)`;
    case 'columns':
      return `columns ${t.columns.join(', ')} of ${t.schema}.${t.table}`;
    case 'function':
      return `${t.routine.toLowerCase()} ${t.schema}.${t.name}(${t.args.join(', ')})`;
    case 'all-functions':
      return `every ${t.routine.toLowerCase()} in schema ${t.schema}`;
    case 'schema':
      return `schema ${t.name}`;
    case 'database':
      return `database ${t.name}`;
  }
}

function roleLabel(r: Role): string {
  if (r.attrs.superuser) return 'SUPERUSER';
  return r.attrs.login ? 'login' : 'group (NOLOGIN)';
}

function flags(r: Role): string[] {
  return (Object.keys(ROLE_FLAGS) as RoleFlag[]).map((f) => ROLE_FLAGS[f][r.attrs[f] ? 0 : 1]);
}

/** The schemas, databases and owners in which the plan gives a role something, with the plan's name. */
export function managedSetting(model: Model, role: string): string {
  const schemas = new Set<string>();
  const databases = new Set<string>();
  const owners = new Set<string>();
  const { grantsTo, defaultsTo } = lookup(model);
  for (const g of grantsTo.get(role) ?? []) {
    if (g.target.kind === 'database') databases.add(g.target.name);
    else if (g.target.kind === 'schema') schemas.add(g.target.name);
    else schemas.add(g.target.schema);
  }
  for (const d of defaultsTo.get(role) ?? []) {
    if (d.schema) schemas.add(d.schema);
    if (d.owner) owners.add(d.owner);
  }
  return JSON.stringify({ plan: model.plan.name, schemas: [...schemas], databases: [...databases], owners: [...owners] });
}

/** The WITH clause of GRANT role TO member: ADMIN OPTION before 16; ADMIN / INHERIT / SET from 16. */
export function membershipOptions(m: { admin: boolean; inherit: boolean | null; set: boolean | null }, major: number): { name: string; value: string }[] {
  if (major >= 16) {
    const opts = [{ name: 'ADMIN', value: m.admin ? 'TRUE' : 'FALSE' }];
    if (m.inherit !== null) opts.push({ name: 'INHERIT', value: m.inherit ? 'TRUE' : 'FALSE' });
    if (m.set !== null) opts.push({ name: 'SET', value: m.set ? 'TRUE' : 'FALSE' });
    return m.admin || m.inherit !== null || m.set !== null ? opts : [];
  }
  return m.admin ? [{ name: 'ADMIN', value: 'OPTION' }] : [];
}

type InheritedGroups = { inherited: string[]; setOnly: string[] };

/** Per model and role: the view, ACCESS.md and the lint rules all ask, for every role. */
const inheritedCache = new WeakMap<Model, Map<string, InheritedGroups>>();

/** Groups whose privileges `role` uses without SET ROLE, following memberships among managed roles. */
export function inheritedGroups(model: Model, role: string): InheritedGroups {
  let byRole = inheritedCache.get(model);
  if (!byRole) inheritedCache.set(model, (byRole = new Map()));
  let groups = byRole.get(role);
  if (!groups) byRole.set(role, (groups = findInheritedGroups(model, role)));
  return groups;
}

function findInheritedGroups(model: Model, role: string): InheritedGroups {
  const { roles: byName, membershipsOf } = lookup(model);
  // Before 16 the member's INHERIT attribute decides; from 16 the membership's option, which defaults to it.
  const inheritsVia = (member: string, m: { inherit: boolean | null }): boolean => m.inherit ?? byName.get(member)?.attrs.inherit ?? true;
  const inherited = new Set<string>();
  const setOnly = new Set<string>();
  const visit = (member: string): void => {
    for (const m of membershipsOf.get(member) ?? []) {
      if (inheritsVia(member, m)) {
        if (!inherited.has(m.group)) {
          inherited.add(m.group);
          visit(m.group);
        }
      } else setOnly.add(m.group);
    }
  };
  visit(role);
  return { inherited: [...inherited], setOnly: [...setOnly].filter((g) => !inherited.has(g)) };
}

/** pg_policy.polcmd for each command. */
const POLCMD: Record<string, string> = { ALL: '*', SELECT: 'r', INSERT: 'a', UPDATE: 'w', DELETE: 'd' };

/** A revoke as rows like the planned ones: PUBLIC (or a role) must not hold these. */
function revokedRows(grantee: string, target: Target, privileges: string[], grantOptionOnly: boolean): (PlannedPrivilege & { grantOptionOnly: boolean })[] {
  return plannedRows({ grantee, target, privileges, grantOption: false, origin: undefined as never }).map((r) => ({ ...r, grantOptionOnly }));
}

function attributeSummary(r: Role): string {
  const a = r.attrs;
  const parts = [a.login ? 'LOGIN' : 'NOLOGIN'];
  for (const f of ['superuser', 'createdb', 'createrole', 'replication', 'bypassrls'] as const) if (a[f]) parts.push(ROLE_FLAGS[f][0]);
  if (!a.inherit) parts.push('NOINHERIT');
  if (a.connectionLimit !== -1) parts.push(`CONNECTION LIMIT ${a.connectionLimit}`);
  if (a.validUntil) parts.push(`VALID UNTIL ${a.validUntil}`);
  return parts.join(', ');
}

function passwordSummary(r: Role): string {
  const p = r.password;
  if (!p) return r.attrs.login ? 'not set by the plan' : '';
  if (p.kind === 'psql') return `psql variable ${p.variable}`;
  return { env: 'SCRAM verifier (from the environment at render time)', plain: 'SCRAM verifier (the plan holds the password: lint warns)', scram: 'SCRAM verifier (given in the plan)' }[p.from];
}

/**
 * The membership graph for a Mermaid flowchart: a node per role (groups as boxes, logins as stadiums,
 * external roles as parallelograms) and an edge per membership, member → group.
 */
function membershipGraph(model: Model) {
  const { roles: byName } = lookup(model);
  // Node ids in order of first appearance: the plan's roles, then roles only memberships name.
  const id = new Map<string, string>();
  const nodes: { id: string; name: string; kind: string; login: boolean; external: boolean }[] = [];
  const node = (name: string): string => {
    let i = id.get(name);
    if (i === undefined) {
      id.set(name, (i = `r${id.size}`));
      const r = byName.get(name);
      const kind = !r ? 'external' : r.attrs.login ? 'login' : 'group';
      nodes.push({ id: i, name, kind, login: kind === 'login', external: kind === 'external' });
    }
    return i;
  };
  for (const r of model.roles) node(r.name);
  const edges = model.memberships.map((m) => {
    const from = node(m.member);
    const to = node(m.group);
    const inherit = m.inherit ?? byName.get(m.member)?.attrs.inherit ?? true;
    const label = m.admin ? (inherit ? 'admin' : 'admin, SET ROLE') : inherit ? '' : 'SET ROLE';
    return { from, to, admin: m.admin, inherit, label };
  });
  return { nodes, edges, empty: edges.length === 0 };
}

function cached<K, V>(cache: Map<K, V>, key: K, make: () => V): V {
  let value = cache.get(key);
  if (value === undefined) cache.set(key, (value = make()));
  return value;
}

/** Per role: attributes, memberships, and a matrix of objects × privileges, direct and through groups. */
function accessView(model: Model) {
  const { grantsTo, defaultsTo, membershipsOf } = lookup(model);
  // A group's grants show in the matrix of each of its members: each role's own rows are described once.
  const ownRows = new Map<string, { grants: { object: string; privileges: string[] }[]; defaults: { object: string; privileges: string[] }[] }>();
  const rowsOf = (role: string) =>
    cached(ownRows, role, () => ({
      grants: (grantsTo.get(role) ?? []).map((g) => ({ object: describeTarget(g.target) + (g.grantOption ? ' (with grant option)' : ''), privileges: g.privileges })),
      defaults: (defaultsTo.get(role) ?? []).map((d) => ({
        object: `future ${d.objects} created by ${d.owner ?? 'the role that runs deploy.sql'}${d.schema ? ` in schema ${d.schema}` : ''}`,
        privileges: d.privileges,
      })),
    }));
  return model.roles.map((r) => {
    const { inherited, setOnly } = inheritedGroups(model, r.name);
    // A row per grant and default privilege, direct or through a group; its marks once the columns are known.
    const rows: { object: string; via: string; marks: boolean[] }[] = [];
    const privilegesOfRow: string[][] = [];
    const addRows = (source: string, via: string, defaultsVia: string) => {
      const own = rowsOf(source);
      for (const g of own.grants) {
        rows.push({ object: g.object, via, marks: [] });
        privilegesOfRow.push(g.privileges);
      }
      for (const d of own.defaults) {
        rows.push({ object: d.object, via: defaultsVia, marks: [] });
        privilegesOfRow.push(d.privileges);
      }
    };
    addRows(r.name, 'direct', 'default privileges');
    for (const g of inherited) addRows(g, g, `${g} (default privileges)`);
    const columns = uniteAll(privilegesOfRow);
    rows.forEach((row, i) => (row.marks = columns.map((c) => privilegesOfRow[i]!.includes(c))));
    return {
      name: r.name,
      kind: roleLabel(r),
      attributes: attributeSummary(r),
      password: passwordSummary(r),
      comment: r.comment ?? '',
      teamPatterns: teamPatternsOf(r),
      memberOf: (membershipsOf.get(r.name) ?? [])
        .map((m) => ({
          name: m.group,
          options: [m.admin ? 'admin' : '', m.inherit === false ? 'no inherit' : '', m.set === false ? 'no set' : ''].filter(Boolean).join(', '),
        })),
      columns,
      rows,
      setRole: setOnly,
    };
  });
}

/** The team patterns that produced a role (ACCESS.md names them): innermost pattern, its file, the plan line using it. */
function teamPatternsOf(r: Model['roles'][number]): { name: string; through: string[]; file: string; usedAt: string }[] {
  const seen = new Map<string, { name: string; through: string[]; file: string; usedAt: string }>();
  for (const o of r.origins) {
    if (!o.via?.length) continue;
    const [outer] = o.via;
    const entry = {
      name: o.via[o.via.length - 1]!.pattern,
      through: o.via.slice(0, -1).map((u) => u.pattern).reverse(),
      file: basename(o.source.file),
      usedAt: `${basename(outer!.at.file)}:${outer!.at.line}`,
    };
    seen.set(JSON.stringify(entry), entry);
  }
  return [...seen.values()];
}

/** What members get through their groups: each privilege once, and not what they hold directly. */
function inheritedExpectationsOf(model: Model, planned: readonly PlannedPrivilege[]): InheritedExpectation[] {
  const plannedByGrantee = new Map<string, PlannedPrivilege[]>();
  for (const p of planned) {
    const list = plannedByGrantee.get(p.grantee);
    if (list) list.push(p);
    else plannedByGrantee.set(p.grantee, [p]);
  }
  const inheritedExpectations: InheritedExpectation[] = [];
  // The object a planned row is about, as a key; the privileges seen on it are a set under that key.
  const objectKeys = new Map<PlannedPrivilege, string>();
  const objectOf = (p: PlannedPrivilege) => cached(objectKeys, p, () => `${p.kind}\0${p.schema}\0${p.name}\0${p.sub}`);
  for (const r of model.roles) {
    const { inherited, setOnly } = inheritedGroups(model, r.name);
    if (!inherited.length && !setOnly.length) continue;
    const seen = new Map<string, Set<string>>();
    const seenOn = (p: PlannedPrivilege) => cached(seen, objectOf(p), () => new Set<string>());
    for (const p of plannedByGrantee.get(r.name) ?? []) for (const x of p.privileges) seenOn(p).add(x);
    const add = (groups: string[], expect: boolean) => {
      for (const g of groups) {
        for (const p of plannedByGrantee.get(g) ?? []) {
          const held = seenOn(p);
          const privileges = p.privileges.filter((x) => !held.has(x));
          if (!privileges.length) continue;
          if (expect) privileges.forEach((x) => held.add(x));
          // Written out rather than spread: one shape for every row, built fast on a large plan.
          inheritedExpectations.push({ grantee: g, kind: p.kind, schema: p.schema, name: p.name, sub: p.sub, privileges, grantable: p.grantable, role: r.name, expect });
        }
      }
    };
    add(inherited, true);
    add(setOnly, false);
  }

  return inheritedExpectations;
}

export function buildView(model: Model, options: { planFile: string; psql?: boolean }) {
  const major = model.plan.postgres;
  // Sets, not list scans: a plan of thousands of roles and schemas must stay linear.
  const additive = new Set(model.additiveRoles);
  const managed = model.roles.map((r) => r.name).filter((n) => !additive.has(n));
  const createdSchemas = model.schemas.filter((s) => s.create);
  const created = new Set(createdSchemas.map((s) => s.name));
  const psqlVariables = model.roles.flatMap((r) => (r.password?.kind === 'psql' ? [{ name: r.password.variable, role: r.name }] : []));

  // A loop, not flatMap: flatMap is several times slower in V8, and this runs over every grant.
  const planned: PlannedPrivilege[] = [];
  for (const g of model.grants) planned.push(...plannedRows(g));
  const plannedDefaults: PlannedDefault[] = model.defaults.map((d) => ({
    owner: d.owner,
    schema: d.schema,
    objtype: OBJTYPE[d.objects],
    grantee: d.grantee,
    privileges: d.privileges,
    grantable: d.grantOption,
  }));

  const withOptions = (m: Model['memberships'][number]) => membershipOptions(m, major);
  const revokedRowsList = [
    ...model.publicRevokes.flatMap((r) => revokedRows('public', r.target, r.privileges, false)),
    ...model.revokes.flatMap((r) => revokedRows(r.grantee, r.target, r.privileges, r.grantOptionOnly)),
  ];
  const markers = managed.map((role) => ({ role, setting: managedSetting(model, role) }));

  const origin = (o: { source: { file: string }; path: (string | number)[]; label: string }) => {
    const loc = locationOf(o as never);
    return `${basename(loc.file)}:${loc.line}`;
  };

  return {
    tool: { name: 'pgrant', version: pgrantVersion() },
    plan: { ...model.plan, file: options.planFile },
    pg16: major >= 16,
    /** false for the Flyway layout: no psql meta-commands, no BEGIN/COMMIT (Flyway wraps each migration). */
    psql: options.psql ?? true,
    psqlVariables,
    hasPsqlPasswords: psqlVariables.length > 0,
    /** The file sets passwords (psql variables or SCRAM verifiers): statement logging goes off for it. */
    carriesPasswords: psqlVariables.length > 0 || model.roles.some((r) => r.password?.kind === 'verifier'),
    roles: model.roles.map((r) => ({
      name: r.name,
      renamedFrom: r.renamedFrom,
      // What kind of role, in a word: its attributes follow in full (NOLOGIN among them).
      label: r.attrs.login ? 'login' : 'group',
      attributes: attributeSummary(r),
      flags: flags(r),
      connectionLimit: r.attrs.connectionLimit,
      validUntil: r.attrs.validUntil,
      psqlPassword: r.password?.kind === 'psql' ? r.password.variable : null,
      verifier: r.password?.kind === 'verifier' ? r.password.verifier : null,
      /** A login whose password the plan does not set: if it existed before the plan, its password is someone else's. */
      loginWithoutPassword: r.attrs.login && !r.password,
      comment: r.comment ?? `Managed by pgrant (plan ${model.plan.name})`,
      where: r.origins.map((o) => `${o.label} at ${origin(o)}`).join('; '),
      attrs: r.attrs,
    })),
    external: model.external,
    createdSchemas: createdSchemas.map((s) => ({ name: s.name, owner: s.create!.owner })),
    requiredSchemas: model.scope.schemas.filter((s) => !created.has(s)),
    requiredTables: model.requiredTables,
    memberships: model.memberships.map((m) => ({ ...m, withOptions: withOptions(m) })),
    // The model's own grants: a copy per grant would be megabytes on a large plan.
    grants: model.grants.filter((g) => g.target.kind !== 'owned-sequences'),
    ownedSequenceGrants: ownedSequenceRows(model.grants),
    defaults: model.defaults.map((d) => ({ ...d, objectsKeyword: OBJECTS_KEYWORD[d.objects] })),
    managed,
    scope: model.scope,
    owners: model.owners.filter((o): o is string => o !== null),
    ownersIncludeDeployer: model.owners.includes(null),
    planned,
    plannedDefaults,
    plannedMemberships: model.memberships,
    hasConverge: managed.length > 0,
    /**
     * Recorded for each managed role (table pgrant.managed_role): the plan, and the part of its scope
     * that concerns the role — so that the next deploy.sql of an edited plan cleans what this one managed.
     * Per role, not the whole scope, so the file grows linearly with the plan.
     */
    markers,
    createdDatabase: createdDatabaseView(model),
    databases: model.databases.map((d) => ({ name: d.name, owner: d.owner, revokePublic: d.revokePublic, connect: d.connect })),
    publicRevokes: model.publicRevokes.map((r) => ({ ...r, what: describeTarget(r.target) })),
    revokedRows: revokedRowsList,
    /** What the deploying role must be able to do (checked at the top of deploy.sql), and the bookkeeping rows. */
    deployer: deployerNeeds(model, [...planned, ...revokedRowsList], markers),
    rowSecurity: model.rowSecurity.map((r) => ({
      ...r,
      qualified: `${r.schema}.${r.table}`,
      policyNames: r.policies.map((p) => p.name),
      policies: r.policies.map((p) => ({ ...p, kind: p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE', polcmd: POLCMD[p.command] })),
    })),
    drops: model.drops,
    revokes: model.revokes.map((r) => ({ ...r, what: describeTarget(r.target), from: r.grantee === PUBLIC ? 'PUBLIC' : r.grantee })),
    revertRoles: model.roles.map((r) => r.name).reverse(),
    reassignTo: model.plan.reassignTo,
  };
}

export type View = ReturnType<typeof buildView>;

/**
 * The view for one output file: `view`, plus what only that file reads — verify.sql the privileges members
 * get through their groups, ACCESS.md its matrix and graph. On a large plan these are the biggest parts of
 * the view; built per file, they are not all held at once.
 */
export function fileView(view: View, model: Model, file: string): View | (View & Record<string, unknown>) {
  switch (file) {
    case 'verify.sql':
      return { ...view, inheritedExpectations: inheritedExpectationsOf(model, view.planned) };
    case 'ACCESS.md':
      return { ...view, graph: membershipGraph(model), access: accessView(model) };
    default:
      return view;
  }
}

/**
 * The database deploy.sql creates. Its owner is named in CREATE DATABASE only when the plan does not create
 * that role: a role the plan creates does not exist yet on the first deploy (roles come after the database,
 * in it), so the database is created by the deployer and handed over by ALTER DATABASE … OWNER TO later on.
 */
function createdDatabaseView(model: Model): { name: string; owner: string | null; ownerLater: boolean } | null {
  const db = model.databases.find((d) => d.create);
  if (!db) return null;
  const ownerLater = db.owner !== null && model.roles.some((r) => r.name === db.owner);
  return { name: db.name, owner: ownerLater ? null : db.owner, ownerLater };
}
