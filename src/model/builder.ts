// Collects what the patterns expand to, merges identical definitions and reports conflicts.
import { Collector, type Location } from '../diagnostics.js';
import { formatPath } from '../plan/source.js';
import { usedAtNote } from '../catalog/team-expand.js';
import { checkName, type NamePurpose } from '../sql/names.js';
import {
  PUBLIC,
  type AttributeName,
  type Database,
  type DefaultPrivilege,
  type DropRole,
  type Grant,
  type Membership,
  type Model,
  type Origin,
  type Password,
  type Revoke,
  type Role,
  type RoleAttributes,
  type RowSecurity,
  type Schema,
  type Target,
  type TestCase,
} from './model.js';

export const DEFAULT_ATTRIBUTES: RoleAttributes = {
  login: false,
  superuser: false,
  createdb: false,
  createrole: false,
  inherit: true,
  replication: false,
  bypassrls: false,
  connectionLimit: -1,
  validUntil: null,
};

/** A role as one pattern defines it: the attributes it states, over defaults it does not. */
export interface RoleDefinition {
  name: string;
  /** Attributes the plan (or the pattern's own defaults) states for this role. */
  explicit: Partial<RoleAttributes>;
  password?: Password | null;
  comment?: string | null;
  allowSuperuser?: boolean;
  renamedFrom?: string | null;
  /** The access a pattern gives this role (its subject, not a member it creates); see RoleAccess. */
  access?: RoleAccess;
}

/**
 * The kind of access a pattern instance gives the role it is about (`readonly`, `readwrite`, …). Two
 * instances of different kinds for one role would add up silently (read-only + read-write renders as
 * read-write): an error, unless one of them says `merge: true`.
 */
export interface RoleAccess {
  kind: string;
  merge: boolean;
}

interface RoleEntry {
  role: Role;
  /** For each stated attribute, where it was stated, to name both places in a conflict. */
  statedAt: Map<AttributeName | 'password' | 'comment', Origin>;
  /** The access the first pattern about this role gives it, and where. */
  access?: RoleAccess & { origin: Origin };
}

/** The location of the nearest node on the origin's path that the file has (defaults are not in it). */
export function locationOf(origin: Origin): Location {
  for (let n = origin.path.length; n >= 0; n--) {
    const node = origin.source.nodeAt(origin.path.slice(0, n));
    if (node) return origin.source.locNode(node);
  }
  return origin.source.locNode(undefined);
}

/** Attribute names as plans spell them, for messages. */
const PLAN_KEYS: Partial<Record<AttributeName, string>> = { connectionLimit: 'connection_limit', validUntil: 'valid_until' };

function describeOrigin(origin: Origin): string {
  const loc = locationOf(origin);
  return `${loc.file}:${loc.line}:${loc.col} (${origin.label})`;
}

export function targetKey(t: Target): string {
  return JSON.stringify(t);
}

export class ModelBuilder {
  readonly out = new Collector();
  private readonly roles = new Map<string, RoleEntry>();
  private readonly referenced = new Map<string, Origin>();
  private readonly schemas = new Map<string, Schema>();
  private readonly databases: Database[] = [];
  private readonly memberships = new Map<string, Membership>();
  private readonly grants: Grant[] = [];
  private readonly defaults: DefaultPrivilege[] = [];
  private readonly rowSecurity: RowSecurity[] = [];
  private readonly drops: DropRole[] = [];
  private readonly revokes: Revoke[] = [];
  private readonly publicRevokes: Model['publicRevokes'] = [];
  private readonly requiredTables = new Map<string, { schema: string; name: string }>();
  private readonly scopeSchemas = new Set<string>();
  private readonly scopeDatabases = new Set<string>();
  private readonly owners = new Set<string | null>();
  private readonly tests: TestCase[] = [];
  private readonly additive = new Set<string>();

  constructor(
    readonly plan: Model['plan'],
    private readonly databaseAlias: { from: string; to: string } | null = null,
  ) {}

  error(origin: Origin, message: string, hint?: string): void {
    this.out.error(locationOf(origin), formatPath(origin.path), `${message}${usedAtNote(origin.via ?? [])}`, hint);
  }

  /** Checks a name the plan derives or passes on; reports with the parameter that produced it. */
  checkName(name: string, purpose: NamePurpose, origin: Origin, derivedFrom?: string): boolean {
    const problem = checkName(name, purpose);
    if (!problem) return true;
    const message = `${derivedFrom ? `${problem.message} (derived from ${derivedFrom})` : problem.message}${usedAtNote(origin.via ?? [])}`;
    this.out.add({ level: 'error', loc: locationOf(origin), path: formatPath(origin.path), message, hint: problem.hint, rule: problem.rule });
    return false;
  }

  /** Defines (or merges into) a role the plan creates. */
  defineRole(def: RoleDefinition, origin: Origin): void {
    if (!this.checkName(def.name, 'create-role', origin)) return;
    const existing = this.roles.get(def.name);
    if (!existing) {
      const attrs: RoleAttributes = { ...DEFAULT_ATTRIBUTES, ...def.explicit };
      const statedAt = new Map<AttributeName | 'password' | 'comment', Origin>();
      for (const key of Object.keys(def.explicit) as AttributeName[]) statedAt.set(key, origin);
      if (def.password) statedAt.set('password', origin);
      if (def.comment) statedAt.set('comment', origin);
      this.roles.set(def.name, {
        role: {
          name: def.name,
          attrs,
          password: def.password ?? null,
          comment: def.comment ?? null,
          allowSuperuser: def.allowSuperuser ?? false,
          renamedFrom: def.renamedFrom ?? null,
          origins: [origin],
        },
        statedAt,
        access: def.access && { ...def.access, origin },
      });
      return;
    }
    if (!this.accessAgrees(existing, def, origin)) return;
    const { role, statedAt } = existing;
    role.origins.push(origin);
    role.allowSuperuser ||= def.allowSuperuser ?? false;
    if (def.renamedFrom) {
      if (role.renamedFrom && role.renamedFrom !== def.renamedFrom) this.conflict(def.name, 'renamed_from', role.renamedFrom, def.renamedFrom, origin, origin);
      role.renamedFrom = def.renamedFrom;
    }
    for (const [key, value] of Object.entries(def.explicit) as [AttributeName, RoleAttributes[AttributeName]][]) {
      const previous = statedAt.get(key);
      if (previous && role.attrs[key] !== value) {
        this.conflict(def.name, PLAN_KEYS[key] ?? key, role.attrs[key], value, previous, origin);
        continue;
      }
      (role.attrs as Record<string, unknown>)[key] = value;
      statedAt.set(key, origin);
    }
    if (def.password) {
      const previous = statedAt.get('password');
      if (previous && JSON.stringify(role.password) !== JSON.stringify(def.password)) {
        this.conflict(def.name, 'password', 'one password', 'another', previous, origin);
      } else {
        role.password = def.password;
        statedAt.set('password', origin);
      }
    }
    if (def.comment) {
      const previous = statedAt.get('comment');
      if (previous && role.comment !== def.comment) this.conflict(def.name, 'comment', role.comment, def.comment, previous, origin);
      else {
        role.comment = def.comment;
        statedAt.set('comment', origin);
      }
    }
  }

  /** A second pattern giving the role another kind of access is an error, unless either says merge. */
  private accessAgrees(existing: RoleEntry, def: RoleDefinition, origin: Origin): boolean {
    const first = existing.access;
    if (!def.access) return true;
    if (!first) {
      existing.access = { ...def.access, origin };
      return true;
    }
    if (first.kind === def.access.kind || first.merge || def.access.merge) return true;
    this.error(
      origin,
      `role "${def.name}" gets ${def.access.kind} access here and ${first.kind} access at ${describeOrigin(first.origin)}: it would silently hold both`,
      'give the role one pattern, or add "merge: true" to one of the two instances if the role is meant to hold both',
    );
    return false;
  }

  private conflict(name: string, key: string, a: unknown, b: unknown, first: Origin, second: Origin): void {
    this.error(
      second,
      `role "${name}" is defined twice with different ${key}: ${JSON.stringify(a)} at ${describeOrigin(first)} and ${JSON.stringify(b)} here`,
      'make the two definitions agree, or define the role in one place',
    );
  }

  hasRole(name: string): boolean {
    return this.roles.has(name);
  }

  /** Notes a role the plan uses without necessarily creating it (external unless defined). */
  reference(name: string, origin: Origin): void {
    if (name === PUBLIC) return;
    if (!this.referenced.has(name)) this.referenced.set(name, origin);
  }

  addSchema(name: string, origin: Origin, create: Schema['create'] = null): void {
    this.scopeSchemas.add(name);
    const existing = this.schemas.get(name);
    if (!existing) {
      this.schemas.set(name, { name, create, origin });
      return;
    }
    if (create) {
      if (existing.create && existing.create.owner !== create.owner) {
        this.error(
          origin,
          `schema "${name}" is created twice with different owners (${existing.create.owner ?? 'the deploying role'} at ${describeOrigin(existing.origin)}, ${create.owner ?? 'the deploying role'} here)`,
          'give the schema one owner',
        );
        return;
      }
      existing.create = create;
      existing.origin = origin;
    }
    if (create?.owner) this.reference(create.owner, origin);
  }

  /** A database name as the plan gives it, after the harness's scratch-database alias. */
  databaseName(name: string): string {
    return this.databaseAlias && name === this.databaseAlias.from ? this.databaseAlias.to : name;
  }

  addDatabase(db: Database): void {
    db.name = this.databaseName(db.name);
    this.databases.push(db);
    this.scopeDatabases.add(db.name);
    if (db.owner) this.reference(db.owner, db.origin);
  }

  addMembership(m: Membership): void {
    this.reference(m.group, m.origin);
    this.reference(m.member, m.origin);
    const key = `${m.group}\0${m.member}`;
    const existing = this.memberships.get(key);
    if (!existing) {
      this.memberships.set(key, m);
      return;
    }
    if (existing.admin !== m.admin || existing.inherit !== m.inherit || existing.set !== m.set) {
      this.error(
        m.origin,
        `membership of "${m.member}" in "${m.group}" is stated twice with different options (at ${describeOrigin(existing.origin)} and here)`,
        'state the membership once, or give both the same admin/inherit/set options',
      );
    }
  }

  addGrant(g: Grant): void {
    if (g.target.kind === 'database') g.target = { kind: 'database', name: this.databaseName(g.target.name) };
    this.reference(g.grantee, g.origin);
    this.noteTargetScope(g.target);
    this.grants.push(g);
  }

  addDefault(d: DefaultPrivilege): void {
    this.reference(d.grantee, d.origin);
    if (d.owner) this.reference(d.owner, d.origin);
    if (d.schema) this.scopeSchemas.add(d.schema);
    this.owners.add(d.owner);
    this.defaults.push(d);
  }

  addRowSecurity(r: RowSecurity): void {
    this.rowSecurity.push(r);
    this.requireTable(r.schema, r.table);
    for (const p of r.policies) for (const role of p.roles) this.reference(role, p.origin);
  }

  addDrop(d: DropRole): void {
    if (this.roles.has(d.name)) {
      this.error(d.origin, `role "${d.name}" is both created and dropped by this plan`, 'remove it from one of the two patterns');
      return;
    }
    this.reference(d.reassignTo, d.origin);
    this.drops.push(d);
  }

  addRevoke(r: Revoke): void {
    this.reference(r.grantee, r.origin);
    this.revokes.push(r);
  }

  /** PUBLIC must not hold these privileges on the target (deploy revokes them; verify checks). */
  revokeFromPublic(target: Target, privileges: string[], origin: Origin): void {
    this.publicRevokes.push({ target, privileges, origin });
  }

  addTest(t: TestCase): void {
    this.tests.push(t);
  }

  markAdditive(role: string): void {
    this.additive.add(role);
  }

  requireTable(schema: string, name: string): void {
    this.requiredTables.set(`${schema}\0${name}`, { schema, name });
  }

  private noteTargetScope(t: Target): void {
    switch (t.kind) {
      case 'schema':
        this.scopeSchemas.add(t.name);
        break;
      case 'database':
        this.scopeDatabases.add(t.name);
        break;
      case 'table':
      case 'sequence':
        this.scopeSchemas.add(t.schema);
        if (t.kind === 'table') this.requireTable(t.schema, t.name);
        break;
      case 'columns':
        this.scopeSchemas.add(t.schema);
        this.requireTable(t.schema, t.table);
        break;
      default:
        this.scopeSchemas.add(t.schema);
    }
  }

  /**
   * A privilege the plan both grants and revokes, to the same role (or PUBLIC) on the same object:
   * deploy.sql would do one, then undo it, and verify.sql fail either way.
   */
  private checkGivenAndTaken(): void {
    const grantsOn = new Map<string, Grant[]>();
    for (const g of this.grants) {
      const key = `${g.grantee}\0${targetKey(g.target)}`;
      const list = grantsOn.get(key);
      if (list) list.push(g);
      else grantsOn.set(key, [g]);
    }
    const taken = [
      ...this.publicRevokes.map((r) => ({ grantee: PUBLIC, target: r.target, privileges: r.privileges, optionOnly: false, origin: r.origin })),
      ...this.revokes.map((r) => ({ grantee: r.grantee, target: r.target, privileges: r.privileges, optionOnly: r.grantOptionOnly, origin: r.origin })),
    ];
    for (const r of taken) {
      for (const g of grantsOn.get(`${r.grantee}\0${targetKey(r.target)}`) ?? []) {
        if (r.optionOnly && !g.grantOption) continue;
        const both = r.privileges.filter((p) => g.privileges.includes(p));
        if (!both.length) continue;
        const whom = r.grantee === PUBLIC ? 'PUBLIC' : `"${r.grantee}"`;
        this.error(
          r.origin,
          `${both.join(', ')}${r.optionOnly ? ' (its grant option)' : ''} is revoked here from ${whom}, and the plan grants it at ${describeOrigin(g.origin)}`,
          'a plan either gives a privilege or takes it away: remove one of the two',
        );
      }
    }
  }

  /** The finished model, or a UserError with every problem found. */
  build(): Model {
    for (const { role } of this.roles.values()) {
      if (role.renamedFrom && this.roles.has(role.renamedFrom)) {
        this.error(role.origins[0]!, `role "${role.name}" is renamed from "${role.renamedFrom}", which the plan also creates`, 'remove renamed_from, or the old role');
      }
    }
    for (const { role } of this.roles.values()) {
      const usedAt = role.renamedFrom ? this.referenced.get(role.renamedFrom) : undefined;
      if (usedAt) {
        this.error(
          role.origins[0]!,
          `role "${role.name}" is renamed from "${role.renamedFrom}", which the plan also names at ${describeOrigin(usedAt)}: after the rename no role has that name`,
          `use "${role.name}" there, or remove renamed_from`,
        );
      }
    }
    for (const d of this.drops) {
      if (this.roles.has(d.name)) this.error(d.origin, `role "${d.name}" is both created and dropped by this plan`, 'remove it from one of the two patterns');
    }
    this.checkGivenAndTaken();
    this.out.throwIfErrors();
    const roles = [...this.roles.values()].map((e) => e.role);
    const created = new Set(roles.map((r) => r.name));
    const external = [...this.referenced.keys()].filter((n) => !created.has(n) && !this.drops.some((d) => d.name === n));
    return {
      plan: this.plan,
      roles,
      external,
      schemas: [...this.schemas.values()],
      databases: this.databases,
      memberships: [...this.memberships.values()],
      grants: mergeGrants(this.grants),
      defaults: mergeDefaults(this.defaults),
      rowSecurity: this.rowSecurity,
      drops: this.drops,
      revokes: this.revokes,
      publicRevokes: this.publicRevokes,
      requiredTables: [...this.requiredTables.values()],
      scope: { schemas: [...this.scopeSchemas], databases: [...this.scopeDatabases] },
      owners: [...this.owners],
      tests: this.tests,
      additiveRoles: [...this.additive],
    };
  }
}

/** One grant per grantee, target and grant option, privileges united in canonical order. */
function mergeGrants(grants: Grant[]): Grant[] {
  const byKey = new Map<string, Grant>();
  for (const g of grants) {
    const key = `${g.grantee}\0${targetKey(g.target)}\0${g.grantOption}`;
    const existing = byKey.get(key);
    if (existing) existing.privileges = unite(existing.privileges, g.privileges);
    else byKey.set(key, { ...g, privileges: unite([], g.privileges) });
  }
  return [...byKey.values()];
}

function mergeDefaults(defaults: DefaultPrivilege[]): DefaultPrivilege[] {
  const byKey = new Map<string, DefaultPrivilege>();
  for (const d of defaults) {
    const key = JSON.stringify([d.owner, d.schema, d.objects, d.grantee, d.grantOption]);
    const existing = byKey.get(key);
    if (existing) existing.privileges = unite(existing.privileges, d.privileges);
    else byKey.set(key, { ...d, privileges: unite([], d.privileges) });
  }
  return [...byKey.values()];
}

const PRIVILEGE_ORDER = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN', 'USAGE', 'CONNECT', 'CREATE', 'TEMPORARY', 'EXECUTE'];

export function unite(a: readonly string[], b: readonly string[]): string[] {
  return PRIVILEGE_ORDER.filter((p) => a.includes(p) || b.includes(p));
}

/** Every privilege in any of the lists, once each, in PostgreSQL's order. */
export function uniteAll(lists: readonly (readonly string[])[]): string[] {
  return PRIVILEGE_ORDER.filter((p) => lists.some((list) => list.includes(p)));
}
