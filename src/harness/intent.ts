// What a role should be able to do on a live object, from the plan's model alone (not from the
// catalog's ACLs): the harness compares this with what PostgreSQL actually lets the role do.
import type { Model, Target } from '../model/model.js';
import { PUBLIC } from '../model/model.js';
import { inheritedGroups } from '../render/view.js';
import type { FunctionFact, SchemaFact, SequenceFact, TableFact } from './facts.js';

/** Facts about roles that only the server knows: ownership through membership, external groups. */
export interface RuntimeRoles {
  /** pg_has_role(role, other, 'USAGE'): `role` has the privileges of `other` (is it, or inherits it). */
  hasPrivilegesOf(role: string, other: string): boolean;
  /** Whether an external group the role inherits holds a privilege (e.g. pg_read_all_data). */
  externalHolds(role: string, object: { kind: 'table' | 'sequence' | 'schema'; schema: string; name: string }, privilege: string): boolean;
}

export type Subject =
  | { kind: 'table'; fact: TableFact }
  | { kind: 'sequence'; fact: SequenceFact }
  | { kind: 'schema'; fact: SchemaFact }
  | { kind: 'function'; fact: FunctionFact };

// The plan may spell argument types with aliases; the catalog says them one way (format_type).
const TYPE_ALIASES: Record<string, string> = {
  int: 'integer', int4: 'integer', int8: 'bigint', int2: 'smallint', bool: 'boolean', varchar: 'character varying',
  float8: 'double precision', float4: 'real', decimal: 'numeric', timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone', char: 'character', bpchar: 'character',
};
const sameType = (planned: string, catalog: string): boolean => {
  const p = planned.trim().toLowerCase().replace(/\s+/g, ' ');
  return (TYPE_ALIASES[p] ?? p) === catalog;
};

function targetCovers(t: Target, subject: Subject): boolean {
  switch (subject.kind) {
    case 'schema':
      return t.kind === 'schema' && t.name === subject.fact.name;
    case 'table': {
      const f = subject.fact;
      if (t.kind === 'table') return t.schema === f.schema && t.name === f.name;
      // GRANT … ON ALL TABLES covers the tables that existed when deploy.sql ran.
      return t.kind === 'all-tables' && t.schema === f.schema && f.createdAfterDeployBy === null;
    }
    case 'sequence': {
      const f = subject.fact;
      if (t.kind === 'sequence') return t.schema === f.schema && t.name === f.name;
      // The sequences of a listed table: those its columns owned when deploy.sql ran.
      if (t.kind === 'owned-sequences') return f.ownedBy === `${t.schema}.${t.table}` && f.createdAfterDeployBy === null;
      return t.kind === 'all-sequences' && t.schema === f.schema && f.createdAfterDeployBy === null;
    }
    case 'function': {
      const f = subject.fact;
      if (t.kind === 'function') {
        return t.schema === f.schema && t.name === f.name && t.args.length === f.argTypes.length && t.args.every((a, i) => sameType(a, f.argTypes[i]!));
      }
      // ALL FUNCTIONS does not cover procedures, ALL PROCEDURES only them.
      return t.kind === 'all-functions' && t.schema === f.schema && (t.routine === 'PROCEDURE') === (f.kind === 'p');
    }
  }
}

export class Intent {
  private readonly byName: Map<string, Model['roles'][number]>;

  constructor(
    readonly model: Model,
    private readonly runtime: RuntimeRoles,
    /** The role that runs deploy.sql (the server's superuser, whatever its name): owner of default privileges set without `owners`. */
    private readonly deployer: string,
  ) {
    this.byName = new Map(model.roles.map((r) => [r.name, r]));
  }

  /** The role itself, the groups whose privileges it uses without SET ROLE, and PUBLIC. */
  private holders(role: string): { planned: string[]; external: string[] } {
    const { inherited } = inheritedGroups(this.model, role);
    const managed = new Set(this.model.roles.map((r) => r.name));
    return {
      planned: [role, ...inherited.filter((g) => managed.has(g)), PUBLIC],
      external: inherited.filter((g) => !managed.has(g)),
    };
  }

  isSuperuser(role: string): boolean {
    return this.byName.get(role)?.attrs.superuser ?? false;
  }

  /** Privileges the plan gives `role` on the subject (grants and default privileges), through its groups too. */
  planned(role: string, subject: Subject): Set<string> {
    const { planned } = this.holders(role);
    const result = new Set<string>();
    for (const g of this.model.grants) {
      if (planned.includes(g.grantee) && targetCovers(g.target, subject)) g.privileges.forEach((p) => result.add(p));
    }
    if ((subject.kind === 'table' || subject.kind === 'sequence') && subject.fact.createdAfterDeployBy !== null) {
      const creator = subject.fact.createdAfterDeployBy;
      const objects = subject.kind === 'table' ? 'tables' : 'sequences';
      for (const d of this.model.defaults) {
        if (planned.includes(d.grantee) && d.objects === objects && (d.owner ?? this.deployer) === creator && (d.schema === null || d.schema === subject.fact.schema)) {
          d.privileges.forEach((p) => result.add(p));
        }
      }
    }
    return result;
  }

  /** Column privileges the plan gives `role` on a column. */
  plannedColumn(role: string, table: TableFact, column: string): Set<string> {
    const { planned } = this.holders(role);
    const result = new Set<string>();
    for (const g of this.model.grants) {
      const t = g.target;
      if (planned.includes(g.grantee) && t.kind === 'columns' && t.schema === table.schema && t.table === table.name && t.columns.includes(column)) {
        g.privileges.forEach((p) => result.add(p));
      }
    }
    return result;
  }

  /** Whether `role` should hold `privilege` on the subject, all sources considered. */
  can(role: string, subject: Subject, privilege: string): boolean {
    if (this.isSuperuser(role)) return true;
    const fact = subject.fact;
    if (this.runtime.hasPrivilegesOf(role, fact.owner)) return true;
    if (fact.publicPrivileges.includes(privilege)) return true;
    if (this.planned(role, subject).has(privilege)) return true;
    if (subject.kind === 'function') return false;
    const ref = subject.kind === 'schema' ? { kind: 'schema' as const, schema: fact.name, name: fact.name } : { kind: subject.kind, schema: subject.fact.schema, name: fact.name };
    return this.holders(role).external.some((ext) => this.runtime.externalHolds(ext, ref, privilege));
  }

  canColumn(role: string, table: TableFact, column: string, privilege: string): boolean {
    return this.can(role, { kind: 'table', fact: table }, privilege) || this.plannedColumn(role, table, column).has(privilege);
  }

  /** Owner-only operations (ALTER, DROP, CREATE INDEX): the owner, roles inheriting it, superusers. */
  isOwner(role: string, owner: string): boolean {
    return this.isSuperuser(role) || this.runtime.hasPrivilegesOf(role, owner);
  }
}
