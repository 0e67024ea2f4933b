// Old plan → new plan: what changes, as data. migrate.sql is rendered from this; `--json` lists it.
import { targetKey } from '../model/builder.js';
import type { DefaultPrivilege, DropRole, Grant, Membership, Model, Policy, Revoke, Role, RowSecurity, Target } from '../model/model.js';
import { ROLE_FLAGS, type RoleFlag } from '../sql/privileges.js';
import { describeTarget } from '../render/view.js';

export interface Change {
  kind: string;
  /** One line for people: "revoke DELETE on table public.t from readonly". */
  text: string;
}

/** A privilege row: one privilege, on one object (a column counts as one), to one grantee. */
interface Atom {
  grantee: string;
  target: Target;
  privilege: string;
  grantable: boolean;
}

export interface PrivilegeStatement {
  grantee: string;
  target: Target;
  privileges: string[];
  grantOption: boolean;
}

export interface Migration {
  changes: Change[];
  renames: { from: string; to: string }[];
  created: Role[];
  altered: { role: Role; flags: string[]; connectionLimit: boolean; validUntil: boolean; password: boolean; comment: boolean }[];
  dropped: string[];
  schemasCreated: { name: string; owner: string | null }[];
  schemaOwners: { name: string; owner: string }[];
  databaseOwners: { name: string; owner: string }[];
  membershipsRevoked: { group: string; member: string }[];
  adminRevoked: { group: string; member: string }[];
  membershipsGranted: Membership[];
  revoked: (PrivilegeStatement & { grantOptionOnly: boolean })[];
  granted: PrivilegeStatement[];
  defaultsRevoked: DefaultPrivilege[];
  defaultsGranted: DefaultPrivilege[];
  publicRevoked: { target: Target; privileges: string[] }[];
  publicRestored: { target: Target; privileges: string[] }[];
  rowSecurity: { table: RowSecurity; enable: boolean; force: boolean | null; dropPolicies: string[]; createPolicies: Policy[] }[];
  rowSecurityRemoved: { schema: string; table: string; policies: string[] }[];
  /** Offboarding (drop-role) and revokes the new plan adds. */
  drops: DropRole[];
  revokes: Revoke[];
}


function atoms(grants: Grant[], rename: (name: string) => string): Map<string, Atom> {
  const out = new Map<string, Atom>();
  for (const g of grants) {
    const targets: Target[] = g.target.kind === 'columns' ? g.target.columns.map((c) => ({ ...g.target, columns: [c] }) as Target) : [g.target];
    for (const target of targets) {
      for (const privilege of g.privileges) {
        const grantee = rename(g.grantee);
        const key = JSON.stringify([grantee, targetKey(target), privilege]);
        const existing = out.get(key);
        out.set(key, { grantee, target, privilege, grantable: g.grantOption || (existing?.grantable ?? false) });
      }
    }
  }
  return out;
}

/** Groups atoms back into statements: one per grantee, object and grant option. */
function statements(list: Atom[], grantable: (a: Atom) => boolean): PrivilegeStatement[] {
  const by = new Map<string, PrivilegeStatement>();
  for (const a of list) {
    const key = JSON.stringify([a.grantee, targetKey(a.target), grantable(a)]);
    const s = by.get(key) ?? { grantee: a.grantee, target: a.target, privileges: [], grantOption: grantable(a) };
    s.privileges.push(a.privilege);
    by.set(key, s);
  }
  return [...by.values()];
}

const defaultKey = (d: DefaultPrivilege, privilege: string, rename: (n: string) => string) =>
  JSON.stringify([d.owner === null ? null : rename(d.owner), d.schema, d.objects, rename(d.grantee), privilege]);

export function diffModels(from: Model, to: Model): Migration {
  const m: Migration = {
    changes: [],
    renames: [],
    created: [],
    altered: [],
    dropped: [],
    schemasCreated: [],
    schemaOwners: [],
    databaseOwners: [],
    membershipsRevoked: [],
    adminRevoked: [],
    membershipsGranted: [],
    revoked: [],
    granted: [],
    defaultsRevoked: [],
    defaultsGranted: [],
    publicRevoked: [],
    publicRestored: [],
    rowSecurity: [],
    rowSecurityRemoved: [],
    drops: [],
    revokes: [],
  };
  const change = (kind: string, text: string) => m.changes.push({ kind, text });

  // Roles: renamed, created, dropped, altered. Old names are read through the renames from here on.
  const oldRoles = new Map(from.roles.map((r) => [r.name, r]));
  const newRoles = new Map(to.roles.map((r) => [r.name, r]));
  const renameMap = new Map<string, string>();
  for (const r of to.roles) {
    if (r.renamedFrom && oldRoles.has(r.renamedFrom) && !oldRoles.has(r.name)) {
      renameMap.set(r.renamedFrom, r.name);
      m.renames.push({ from: r.renamedFrom, to: r.name });
      change('rename-role', `rename role ${r.renamedFrom} to ${r.name}`);
    }
  }
  const rename = (name: string) => renameMap.get(name) ?? name;
  const oldByNewName = new Map([...oldRoles.values()].map((r) => [rename(r.name), r]));
  for (const r of to.roles) {
    const before = oldByNewName.get(r.name);
    if (!before) {
      m.created.push(r);
      change('create-role', `create role ${r.name}`);
      continue;
    }
    const flags = (Object.keys(ROLE_FLAGS) as RoleFlag[]).filter((f) => before.attrs[f] !== r.attrs[f]).map((f) => ROLE_FLAGS[f][r.attrs[f] ? 0 : 1]);
    const connectionLimit = before.attrs.connectionLimit !== r.attrs.connectionLimit;
    const validUntil = before.attrs.validUntil !== r.attrs.validUntil;
    const password = r.password !== null && passwordIdentity(before.password) !== passwordIdentity(r.password);
    const comment = (before.comment ?? `Managed by pgrant (plan ${from.plan.name})`) !== (r.comment ?? `Managed by pgrant (plan ${to.plan.name})`);
    if (flags.length || connectionLimit || validUntil || password || comment) {
      m.altered.push({ role: r, flags, connectionLimit, validUntil, password, comment });
      const what = [...flags, connectionLimit ? `CONNECTION LIMIT ${r.attrs.connectionLimit}` : '', validUntil ? `VALID UNTIL ${r.attrs.validUntil ?? 'infinity'}` : '', password ? 'password' : '', comment ? 'comment' : ''].filter(Boolean);
      change('alter-role', `alter role ${r.name}: ${what.join(', ')}`);
    }
  }
  for (const r of from.roles) {
    if (!newRoles.has(rename(r.name))) {
      m.dropped.push(r.name);
      change('drop-role', `drop role ${r.name} (what it owns goes to the role running migrate.sql)`);
    }
  }
  const gone = new Set(m.dropped);
  const alive = (name: string) => !gone.has(name);

  // Schemas and databases.
  const oldSchemas = new Map(from.schemas.map((s) => [s.name, s]));
  for (const s of to.schemas.filter((x) => x.create)) {
    const before = oldSchemas.get(s.name)?.create;
    const owner = s.create!.owner;
    if (!before) {
      m.schemasCreated.push({ name: s.name, owner });
      change('create-schema', `create schema ${s.name}${owner ? ` owned by ${owner}` : ''}`);
    } else if (owner && (before.owner === null ? null : rename(before.owner)) !== owner) {
      m.schemaOwners.push({ name: s.name, owner });
      change('schema-owner', `schema ${s.name} now owned by ${owner}`);
    }
  }
  for (const d of to.databases) {
    const before = from.databases.find((x) => x.name === d.name);
    if (d.owner && (!before || (before.owner === null ? null : rename(before.owner)) !== d.owner)) {
      m.databaseOwners.push({ name: d.name, owner: d.owner });
      change('database-owner', `database ${d.name} now owned by ${d.owner}`);
    }
  }

  // Memberships.
  const mkey = (group: string, member: string) => `${group}\0${member}`;
  const oldMembers = new Map(from.memberships.map((x) => [mkey(rename(x.group), rename(x.member)), { ...x, group: rename(x.group), member: rename(x.member) }]));
  const newMembers = new Map(to.memberships.map((x) => [mkey(x.group, x.member), x]));
  for (const [key, x] of oldMembers) {
    if (newMembers.has(key) || !alive(x.group) || !alive(x.member)) continue;
    m.membershipsRevoked.push({ group: x.group, member: x.member });
    change('revoke-membership', `remove ${x.member} from ${x.group}`);
  }
  for (const [key, x] of newMembers) {
    const before = oldMembers.get(key);
    if (!before) {
      m.membershipsGranted.push(x);
      change('grant-membership', `add ${x.member} to ${x.group}${x.admin ? ' with admin option' : ''}`);
      continue;
    }
    if (before.admin && !x.admin) {
      m.adminRevoked.push({ group: x.group, member: x.member });
      change('revoke-admin-option', `${x.member} loses admin option on ${x.group}`);
    }
    if ((!before.admin && x.admin) || before.inherit !== x.inherit || before.set !== x.set) {
      m.membershipsGranted.push(x);
      change('membership-options', `membership of ${x.member} in ${x.group}: admin ${x.admin}, inherit ${x.inherit ?? 'default'}, set ${x.set ?? 'default'}`);
    }
  }

  // Privileges, one atom at a time.
  const oldAtoms = atoms(from.grants, rename);
  const newAtoms = atoms(to.grants, (n) => n);
  const revokedAtoms: Atom[] = [];
  const optionOnly: Atom[] = [];
  const grantedAtoms: Atom[] = [];
  for (const [key, a] of oldAtoms) {
    if (!alive(a.grantee)) continue;
    const now = newAtoms.get(key);
    if (!now) revokedAtoms.push(a);
    else if (a.grantable && !now.grantable) optionOnly.push(a);
  }
  for (const [key, a] of newAtoms) {
    const before = oldAtoms.get(key);
    if (!before || (a.grantable && !before.grantable)) grantedAtoms.push(a);
  }
  m.revoked = [...statements(revokedAtoms, () => false).map((s) => ({ ...s, grantOptionOnly: false })), ...statements(optionOnly, () => false).map((s) => ({ ...s, grantOptionOnly: true }))];
  m.granted = statements(grantedAtoms, (a) => a.grantable);
  for (const s of m.revoked) change(s.grantOptionOnly ? 'revoke-grant-option' : 'revoke', `revoke ${s.grantOptionOnly ? 'grant option for ' : ''}${s.privileges.join(', ')} on ${describeTarget(s.target)} from ${s.grantee}`);
  for (const s of m.granted) change('grant', `grant ${s.privileges.join(', ')} on ${describeTarget(s.target)} to ${s.grantee}${s.grantOption ? ' with grant option' : ''}`);

  // Default privileges.
  const oldDefaults = new Map<string, DefaultPrivilege>();
  for (const d of from.defaults) for (const p of d.privileges) oldDefaults.set(defaultKey(d, p, rename), { ...d, owner: d.owner === null ? null : rename(d.owner), grantee: rename(d.grantee), privileges: [p] });
  const newDefaults = new Map<string, DefaultPrivilege>();
  for (const d of to.defaults) for (const p of d.privileges) newDefaults.set(defaultKey(d, p, (n) => n), { ...d, privileges: [p] });
  for (const [key, d] of oldDefaults) {
    if (!newDefaults.has(key) && alive(d.grantee) && (d.owner === null || alive(d.owner))) m.defaultsRevoked.push(d);
  }
  for (const [key, d] of newDefaults) if (!oldDefaults.has(key)) m.defaultsGranted.push(d);
  const mergeDefaults = (list: DefaultPrivilege[]): DefaultPrivilege[] => {
    const by = new Map<string, DefaultPrivilege>();
    for (const d of list) {
      const key = JSON.stringify([d.owner, d.schema, d.objects, d.grantee, d.grantOption]);
      const e = by.get(key);
      if (e) e.privileges = [...e.privileges, ...d.privileges];
      else by.set(key, { ...d, privileges: [...d.privileges] });
    }
    return [...by.values()];
  };
  m.defaultsRevoked = mergeDefaults(m.defaultsRevoked);
  m.defaultsGranted = mergeDefaults(m.defaultsGranted);
  for (const d of m.defaultsRevoked) change('revoke-default', `${d.grantee} no longer gets ${d.privileges.join(', ')} on ${d.objects} created by ${d.owner ?? 'the deploying role'}${d.schema ? ` in ${d.schema}` : ''}`);
  for (const d of m.defaultsGranted) change('grant-default', `${d.grantee} gets ${d.privileges.join(', ')} on ${d.objects} created by ${d.owner ?? 'the deploying role'}${d.schema ? ` in ${d.schema}` : ''}`);

  // What PUBLIC may do.
  const pkey = (t: Target, p: string) => `${targetKey(t)}\0${p}`;
  type PublicRow = { target: Target; privileges: string[] };
  const publicRows = (model: Model) => new Map<string, PublicRow>(model.publicRevokes.flatMap((r) => r.privileges.map((p): [string, PublicRow] => [pkey(r.target, p), { target: r.target, privileges: [p] }])));
  const oldPublic = publicRows(from);
  const newPublic = publicRows(to);
  for (const [k, v] of newPublic) if (!oldPublic.has(k)) m.publicRevoked.push(v);
  for (const [k, v] of oldPublic) if (!newPublic.has(k)) m.publicRestored.push(v);
  for (const v of m.publicRevoked) change('revoke-public', `PUBLIC loses ${v.privileges.join(', ')} on ${describeTarget(v.target)}`);
  for (const v of m.publicRestored) change('restore-public', `PUBLIC gets back ${v.privileges.join(', ')} on ${describeTarget(v.target)} (PostgreSQL's default)`);

  // Row-level security.
  const tkey = (r: { schema: string; table: string }) => `${r.schema}.${r.table}`;
  const policyKey = (p: Policy, rn: (n: string) => string) => JSON.stringify([p.name, p.command, p.roles.map(rn).sort(), p.using, p.withCheck, p.permissive]);
  for (const r of to.rowSecurity) {
    const before = from.rowSecurity.find((x) => tkey(x) === tkey(r));
    const oldPolicies = new Map((before?.policies ?? []).map((p) => [p.name, policyKey(p, rename)]));
    const dropPolicies = [...oldPolicies.keys()].filter((n) => !r.policies.some((p) => p.name === n && policyKey(p, (x) => x) === oldPolicies.get(n)));
    const createPolicies = r.policies.filter((p) => oldPolicies.get(p.name) !== policyKey(p, (x) => x));
    const force = !before || before.force !== r.force ? r.force : null;
    if (!before || force !== null || dropPolicies.length || createPolicies.length) {
      m.rowSecurity.push({ table: r, enable: !before, force, dropPolicies, createPolicies });
      change('row-level-security', `row-level security on ${tkey(r)}: ${[!before ? 'enable' : '', force !== null ? (force ? 'force' : 'no force') : '', ...dropPolicies.map((p) => `drop policy ${p}`), ...createPolicies.map((p) => `create policy ${p.name}`)].filter(Boolean).join(', ')}`);
    }
  }
  for (const r of from.rowSecurity) {
    if (!to.rowSecurity.some((x) => tkey(x) === tkey(r))) {
      m.rowSecurityRemoved.push({ schema: r.schema, table: r.table, policies: r.policies.map((p) => p.name) });
      change('row-level-security', `row-level security on ${tkey(r)}: the plan's policies dropped, FORCE lifted (left enabled)`);
    }
  }
  m.drops = to.drops.filter((d) => !from.drops.some((x) => x.name === d.name));
  for (const d of m.drops) change('offboard-role', `offboard role ${d.name}: what it owns goes to ${d.reassignTo}`);
  const revokeKey = (r: Revoke) => JSON.stringify([r.grantee, targetKey(r.target), r.privileges, r.grantOptionOnly, r.cascade]);
  m.revokes = to.revokes.filter((r) => !from.revokes.some((x) => revokeKey(x) === revokeKey(r)));
  for (const r of m.revokes) change('revoke', `revoke ${r.privileges.join(', ')} on ${describeTarget(r.target)} from ${r.grantee === 'public' ? 'PUBLIC' : r.grantee}`);
  return m;
}

/**
 * What makes two plans' passwords the same: the secret itself where pgrant computed the verifier (each
 * render may salt it anew), else the psql variable or the verifier given.
 */
function passwordIdentity(p: Role['password']): string {
  if (p === null) return 'none';
  if (p.kind === 'psql') return JSON.stringify(['psql', p.variable]);
  return p.plaintext !== undefined ? JSON.stringify(['secret', p.plaintext]) : JSON.stringify(['verifier', p.verifier]);
}
