// What a role should be able to do on a live object, from the plan's model alone (not from the
// catalog's ACLs): the harness compares this with what PostgreSQL actually lets the role do.
import type { Model, Target } from '../model/model.js';
import { PUBLIC } from '../model/model.js';
import { inheritedGroups } from '../render/view.js';
import type { SchemaFact, SequenceFact, TableFact } from './facts.js';

/** Facts about roles that only the server knows: ownership through membership, external groups. */
export interface RuntimeRoles {
  /** pg_has_role(role, other, 'USAGE'): `role` has the privileges of `other` (is it, or inherits it). */
  hasPrivilegesOf(role: string, other: string): boolean;
  /** Whether an external group the role inherits holds a privilege (e.g. pg_read_all_data). */
  externalHolds(role: string, object: { kind: 'table' | 'sequence' | 'schema'; schema: string; name: string }, privilege: string): boolean;
}

export type Subject = { kind: 'table'; fact: TableFact } | { kind: 'sequence'; fact: SequenceFact } | { kind: 'schema'; fact: SchemaFact };

/** The role that runs deploy.sql in the harness (owner of default privileges set without `owners`). */
export const DEPLOYER = 'postgres';

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
      return t.kind === 'all-sequences' && t.schema === f.schema && f.createdAfterDeployBy === null;
    }
  }
}

export class Intent {
  private readonly byName: Map<string, Model['roles'][number]>;

  constructor(
    readonly model: Model,
    private readonly runtime: RuntimeRoles,
    /** The role that ran deploy.sql: it owns default privileges set without `owners`. */
    private readonly deployer: string = DEPLOYER,
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
    if (subject.kind !== 'schema' && subject.fact.createdAfterDeployBy !== null) {
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
    const ref = subject.kind === 'schema' ? { kind: 'schema' as const, schema: fact.name, name: fact.name } : { kind: subject.kind, schema: (fact as TableFact).schema, name: fact.name };
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
