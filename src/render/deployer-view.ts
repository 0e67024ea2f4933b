// What the role running the generated files must be able to do, for the checks at the top of deploy.sql,
// migrate.sql and revert.sql (templates/partials/deployer-checks.sql.hbs): a superuser may do everything;
// a managed service's admin (NOSUPERUSER, CREATEROLE, CREATEDB) only what these name.
import type { Model } from '../model/model.js';
import type { PlannedPrivilege } from './view.js';

/** An object the plan grants on, revokes on, or sets row security on: its owner must be the deployer or one of its groups. */
export interface OwnedTarget {
  /** table | sequence | function */
  kind: string;
  schema: string | null;
  /** null = every object of the kind in the schema. */
  name: string | null;
}

export interface DeployerNeeds {
  /** Roles the deployer alters, renames, drops or grants: from PostgreSQL 16 it needs ADMIN OPTION on each that exists. */
  administered: string[];
  /** Tables, sequences and functions whose owners the deployer must act as (GRANT, REVOKE, ALTER TABLE … ROW LEVEL SECURITY, CREATE POLICY). */
  ownedTargets: OwnedTarget[];
  /** Schemas and databases the plan grants or revokes on: the same, for their owners. */
  ownedSchemas: string[];
  ownedDatabases: string[];
  /** Roles the deployer must act as by name: default-privilege owners, schema and database owners, reassign targets. */
  actsAs: string[];
  /** Roles the plan drops (the deployer takes their privileges to reassign what they own). */
  drops: string[];
  /** The plan's roles and the roles it drops: the deployer administers them, so it may join them to act as their owner. */
  joinable: string[];
  /** Every role the plan names as its own (the bookkeeping table's owner must be none of them). */
  planRoles: string[];
  /** Bookkeeping rows: each managed role with the scope it covers (the plan's name inside). */
  markers: { role: string; setting: string }[];
}

const unique = <T>(items: T[], key: (t: T) => string = String): T[] => [...new Map(items.map((i) => [key(i), i])).values()];

export function deployerNeeds(model: Model, rows: PlannedPrivilege[], markers: { role: string; setting: string }[]): DeployerNeeds {
  const administered = unique([
    ...model.roles.map((r) => r.name),
    ...model.roles.flatMap((r) => (r.renamedFrom ? [r.renamedFrom] : [])),
    ...model.drops.map((d) => d.name),
    // GRANT group TO member needs ADMIN OPTION on the group: the plan's groups and external ones (rds_iam, pg_read_all_data …).
    ...model.memberships.map((m) => m.group),
  ]).sort();
  const ownedTargets = unique(
    [
      ...rows.filter((r) => r.kind !== 'schema' && r.kind !== 'database').map((r) => ({ kind: r.kind === 'column' ? 'table' : r.kind, schema: r.schema, name: r.name })),
      ...model.rowSecurity.map((r) => ({ kind: 'table', schema: r.schema, name: r.table })),
    ],
    (t) => JSON.stringify([t.kind, t.schema, t.name]),
  );
  const actsAs = unique([
    ...model.defaults.map((d) => d.owner).filter((o): o is string => o !== null),
    ...model.schemas.flatMap((s) => (s.create?.owner ? [s.create.owner] : [])),
    ...model.databases.flatMap((d) => (d.owner ? [d.owner] : [])),
    ...model.drops.map((d) => d.reassignTo),
    ...(model.plan.reassignTo ? [model.plan.reassignTo] : []),
  ]).sort();
  const ownedSchemas = unique(rows.filter((r) => r.kind === 'schema').map((r) => r.name!)).sort();
  const ownedDatabases = unique(rows.filter((r) => r.kind === 'database').map((r) => r.name!)).sort();
  const planRoles = model.roles.map((r) => r.name);
  const drops = model.drops.map((d) => d.name);
  return { administered, ownedTargets, ownedSchemas, ownedDatabases, actsAs, drops, joinable: [...planRoles, ...drops].sort(), planRoles, markers };
}
