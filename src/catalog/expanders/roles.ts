// roles (CREATE ROLE, GRANT and ALTER DEFAULT PRIVILEGES as data): roles with every attribute, memberships with options, generic
// grants, default privileges and revokes.
import { PUBLIC, type DefaultObjects } from '../../model/model.js';
import { accessOf, addGrant, addMemberships, expandGrant, ownersOf, privileges, roleDefinition, type ExpandContext } from './common.js';

const ON: Record<string, { objects: DefaultObjects; kind: 'table' | 'sequence' | 'function' | 'large_object' }> = {
  tables: { objects: 'tables', kind: 'table' },
  sequences: { objects: 'sequences', kind: 'sequence' },
  functions: { objects: 'functions', kind: 'function' },
  large_objects: { objects: 'large objects', kind: 'large_object' },
};

export function expandRoles(ctx: ExpandContext): void {
  const { params, b } = ctx;
  const owners = ownersOf(ctx);
  const additive = params.mode === 'additive';
  (params.roles as Record<string, unknown>[]).forEach((r, i) => {
    const name = r.name as string;
    const origin = ctx.origin('roles', i);
    // CREATE ROLE semantics: NOLOGIN unless `login: true`.
    // An entry that only adds memberships or attributes to a role another pattern gives access gives none itself.
    const grantsSomething = (r.grants as unknown[]).length > 0 || (r.default_privileges as unknown[]).length > 0;
    b.defineRole({ ...roleDefinition(ctx, name, r, origin, {}), access: grantsSomething ? accessOf(ctx) : undefined }, origin);
    if (additive) b.markAdditive(name);
    addMemberships(ctx, r.member_of as Record<string, unknown>[], name, (j) => ctx.origin('roles', i, 'member_of', j));
    (r.grants as Record<string, unknown>[]).forEach((g, j) => addGrant(ctx, g, name, 'public', ctx.origin('roles', i, 'grants', j), owners));
    (r.default_privileges as Record<string, unknown>[]).forEach((d, j) => {
      const at = ctx.origin('roles', i, 'default_privileges', j);
      const on = ON[d.on as string]!;
      if (on.kind === 'large_object' && ctx.plan.postgres < 18) {
        b.error({ ...at, path: [...at.path, 'on'] }, `default privileges on large objects need PostgreSQL 18 or later; this plan targets ${ctx.plan.postgres}`, 'set "postgres: 18" or remove this entry');
        return;
      }
      if (on.kind === 'large_object' && d.schemas) {
        b.error({ ...at, path: [...at.path, 'schemas'] }, 'large objects have no schema: remove "schemas"');
        return;
      }
      const privs = privileges(ctx, d.privileges as string[], on.kind, { ...at, path: [...at.path, 'privileges'] });
      if (!privs) return;
      const entryOwners = (d.owners as string[] | undefined) ?? owners;
      const schemas = (d.schemas as string[] | undefined) ?? [null];
      for (const owner of entryOwners) {
        for (const schema of schemas) {
          b.addDefault({ owner, schema, objects: on.objects, grantee: name, privileges: privs, grantOption: d.with_grant_option as boolean, origin: at });
        }
      }
    });
  });
  ((params.public_grants as Record<string, unknown>[] | undefined) ?? []).forEach((g, i) => {
    // PUBLIC has no default privileges of its own to converge: the grant covers existing objects only.
    for (const grant of expandGrant(ctx, g, PUBLIC, 'public', ctx.origin('public_grants', i))) b.addGrant(grant);
  });
  ((params.revokes as Record<string, unknown>[] | undefined) ?? []).forEach((r, i) => {
    const origin = ctx.origin('revokes', i);
    for (const from of r.from as string[]) {
      for (const g of expandGrant(ctx, { ...r, with_grant_option: false }, from, 'public', origin)) {
        b.addRevoke({ grantee: from, target: g.target, privileges: g.privileges, grantOptionOnly: r.grant_option_only as boolean, cascade: r.cascade as boolean, origin });
      }
    }
  });
}
