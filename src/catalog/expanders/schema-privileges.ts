// readonly, readwrite, app-user, admin: one role with the pattern's intent on a set of schemas.
import type { DefaultObjects, Origin, Target } from '../../model/model.js';
import type { ObjectKind } from '../../sql/privileges.js';
import { privilegesFor } from '../../sql/privileges.js';
import {
  accessOf,
  checkTable,
  intentSource,
  defineLogin,
  intentPrivileges,
  privileges,
  resolveTable,
  roleDefinition,
  type ExpandContext,
} from './common.js';

/**
 * The role gets, on each schema in `schemas`, the privileges the pattern's intent lists per object kind:
 * existing objects through GRANT … ON ALL … IN SCHEMA, future ones through ALTER DEFAULT PRIVILEGES
 * FOR ROLE each owner. With `tables` or `columns`, exactly those tables instead, and no table defaults.
 */
export function expandSchemaPrivileges(ctx: ExpandContext): void {
  const { params, def, b } = ctx;
  const role = params.role as string;
  const roleOrigin = ctx.origin('role');
  const group = params.noinherit_group as string | undefined;

  const base = { login: (def.settings.login as boolean | undefined) ?? false };
  if (group) Object.assign(base, { inherit: false });
  b.defineRole({ ...roleDefinition(ctx, role, params, ctx.origin(), base), access: accessOf(ctx) }, roleOrigin);

  // With noinherit_group, privileges go to a NOLOGIN group the role must SET ROLE to.
  let grantee = role;
  if (group) {
    const groupOrigin = ctx.origin('noinherit_group');
    b.defineRole({ name: group, explicit: { login: false } }, groupOrigin);
    b.addMembership({ group, member: role, admin: false, inherit: ctx.plan.postgres >= 16 ? false : null, set: ctx.plan.postgres >= 16 ? true : null, origin: groupOrigin });
    grantee = group;
  }
  if (params.mode === 'additive') {
    b.markAdditive(role);
    if (group) b.markAdditive(group);
  }

  const schemas = params.schemas as string[];
  // A schema owner the plan names (typically the migration role it creates) creates the tables too.
  const schemaOwner = params.schema_owner as string | undefined;
  const listedOwners = (params.owners as string[] | undefined) ?? (schemaOwner ? [schemaOwner] : undefined);
  const owners = listedOwners ?? [null];
  const defaultSchema = schemas[0] ?? 'public';
  // Each kind's privileges are checked once, reported at the parameter that supplies them.
  const checked = new Map<string, string[] | undefined>();
  const privilegesOf = (kind: ObjectKind, intentKey: string): string[] | undefined => {
    const key = `${kind}\0${intentKey}`;
    if (!checked.has(key)) {
      const source = intentSource(def, intentKey);
      checked.set(key, privileges(ctx, intentPrivileges(def, intentKey, params), kind, source ? ctx.origin(source) : ctx.origin()));
    }
    return checked.get(key);
  };
  const grant = (kind: ObjectKind, intentKey: string, target: Target, origin: Origin): void => {
    const privs = privilegesOf(kind, intentKey);
    if (privs && privs.length > 0) b.addGrant({ grantee, target, privileges: privs, grantOption: false, origin });
  };
  const defaults = (kind: ObjectKind, intentKey: string, objects: DefaultObjects, schema: string): void => {
    const origin = ctx.origin(params.owners ? 'owners' : schemaOwner ? 'schema_owner' : 'schemas');
    const privs = privilegesOf(kind, intentKey);
    if (!privs || privs.length === 0) return;
    for (const owner of owners) b.addDefault({ owner, schema, objects, grantee, privileges: privs, grantOption: false, origin });
  };

  (params.owners as string[] | undefined)?.forEach((owner, i) => b.reference(owner, ctx.origin('owners', i)));

  schemas.forEach((schema, i) => {
    const origin = ctx.origin('schemas', i);
    b.addSchema(schema, origin, schemaOwner ? { owner: schemaOwner } : null);
    grant('schema', 'schemas', { kind: 'schema', name: schema }, origin);
  });

  const tables = params.tables as (string | { schema?: string; name: string })[] | undefined;
  const columns = params.columns as Record<string, string[]> | undefined;
  if (tables || columns) {
    tables?.forEach((value, i) => {
      const origin = ctx.origin('tables', i);
      const t = resolveTable(value, defaultSchema);
      if (!checkTable(ctx, t, origin)) return;
      grant('table', 'tables', { kind: 'table', ...t }, origin);
      // Least privilege: only the sequences behind this table's serial and identity columns.
      grant('sequence', 'sequences', { kind: 'owned-sequences', schema: t.schema, table: t.name }, origin);
    });
    for (const [table, cols] of Object.entries(columns ?? {})) {
      const origin = ctx.origin('columns', table);
      const t = resolveTable(table, defaultSchema);
      if (!checkTable(ctx, t, origin) || !cols.every((c) => b.checkName(c, 'column', origin))) continue;
      // Column privileges are the table intent's privileges that PostgreSQL allows on columns.
      const applicable = intentPrivileges(def, 'tables', params).filter((p) => privilegesFor('column', ctx.plan.postgres).includes(p.toUpperCase()));
      if (applicable.length === 0) {
        b.error(origin, `pattern ${def.name} grants no column-level privilege`, 'use tables instead of columns');
        continue;
      }
      const privs = privileges(ctx, applicable, 'column', origin);
      if (privs) b.addGrant({ grantee, target: { kind: 'columns', schema: t.schema, table: t.name, columns: cols }, privileges: privs, grantOption: false, origin });
    }
  } else {
    schemas.forEach((schema, i) => {
      grant('table', 'tables', { kind: 'all-tables', schema }, ctx.origin('schemas', i));
      defaults('table', 'tables', 'tables', schema);
    });
  }

  schemas.forEach((schema, i) => {
    const origin = ctx.origin('schemas', i);
    // With tables listed, sequences come with them (above): none of the schema's others, none later.
    if (!tables && !columns) {
      grant('sequence', 'sequences', { kind: 'all-sequences', schema }, origin);
      defaults('sequence', 'sequences', 'sequences', schema);
    }
    grant('function', 'functions', { kind: 'all-functions', schema, routine: 'FUNCTION' }, origin);
    defaults('function', 'functions', 'functions', schema);
  });

  (params.databases as string[] | undefined)?.forEach((database, i) => {
    const origin = ctx.origin('databases', i);
    if (b.checkName(database, 'database', origin)) grant('database', 'databases', { kind: 'database', name: database }, origin);
  });

  (params.members as Record<string, unknown>[] | undefined)?.forEach((login, i) => {
    const origin = ctx.origin('members', i);
    const member = defineLogin(ctx, login, origin);
    b.addMembership({ group: role, member, admin: false, inherit: null, set: null, origin });
  });
}
