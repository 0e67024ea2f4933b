// database: create it (outside any transaction), own it, close it to PUBLIC, open it to roles.
import type { ExpandContext } from './common.js';

export function expandDatabase(ctx: ExpandContext): void {
  const { params, b, plan } = ctx;
  const origin = ctx.origin('name');
  const name = b.databaseName(params.name as string);
  const create = params.create as boolean;
  const planDatabase = plan.database;
  if (create && name !== planDatabase) {
    b.error(origin, `only the plan's own database (${planDatabase}) can be created: deploy.sql runs in one database`, `set "database: ${params.name as string}" at the top of the plan, or use a separate plan for each database`);
  }
  const hardenStated = ctx.instance.source.nodeAt([...ctx.instance.path, 'harden_public_schema']) !== undefined;
  const harden = (params.harden_public_schema as boolean) && (name === planDatabase || hardenStated);
  if (harden && name !== planDatabase) {
    b.error(ctx.origin('harden_public_schema'), `harden_public_schema changes schema public of the database deploy.sql runs in (${planDatabase}), not of ${name}`, 'set it on the database pattern for the plan\'s own database');
  }
  const owner = (params.owner as string | undefined) ?? null;
  const connect = (params.connect as string[] | undefined) ?? [];
  b.addDatabase({ name, owner, create, revokePublic: params.revoke_public as boolean, hardenPublicSchema: harden, connect, origin });
  if (params.revoke_public) b.revokeFromPublic({ kind: 'database', name }, ['CONNECT', 'CREATE', 'TEMPORARY'], ctx.origin('revoke_public'));
  if (harden) b.revokeFromPublic({ kind: 'schema', name: 'public' }, ['CREATE'], ctx.origin('harden_public_schema'));
  connect.forEach((role, i) => {
    b.addGrant({ grantee: role, target: { kind: 'database', name }, privileges: ['CONNECT'], grantOption: false, origin: ctx.origin('connect', i) });
  });
}
