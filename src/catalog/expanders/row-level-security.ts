// row-level-security: ENABLE / FORCE ROW LEVEL SECURITY and policies, with each USING and
// WITH CHECK expression checked by the real PostgreSQL parser.
import { checkExpression } from '../../sql/expression.js';
import type { Policy } from '../../model/model.js';
import { checkTable, resolveTable, type ExpandContext } from './common.js';

export function expandRowLevelSecurity(ctx: ExpandContext): void {
  const { params, b } = ctx;
  const table = resolveTable(params.table as string, 'public');
  if (!checkTable(ctx, table, ctx.origin('table'))) return;
  const policies: Policy[] = [];
  const names = new Set<string>();
  (params.policies as Record<string, unknown>[]).forEach((p, i) => {
    const origin = ctx.origin('policies', i);
    const name = p.name as string;
    if (names.has(name)) b.error(ctx.origin('policies', i, 'name'), `policy "${name}" is defined twice on ${table.schema}.${table.name}`);
    names.add(name);
    for (const key of ['using', 'with_check'] as const) {
      const expr = p[key] as string | undefined;
      if (expr === undefined) continue;
      const problem = checkExpression(expr);
      if (problem) b.error(ctx.origin('policies', i, key), `${key} ${problem}`, 'write one SQL boolean expression, such as user_id = current_setting(\'app.user_id\')::integer');
    }
    const command = (p.command as string).toUpperCase() as Policy['command'];
    if (command === 'INSERT' && p.using !== undefined) b.error(ctx.origin('policies', i, 'using'), 'an INSERT policy takes only with_check (PostgreSQL refuses USING on INSERT)');
    if ((command === 'SELECT' || command === 'DELETE') && p.with_check !== undefined) {
      b.error(ctx.origin('policies', i, 'with_check'), `a ${command} policy takes only using (PostgreSQL refuses WITH CHECK on ${command})`);
    }
    if (p.using === undefined && p.with_check === undefined) b.error(origin, 'a policy needs using, with_check or both');
    const roles = p.roles as string[];
    policies.push({
      schema: table.schema,
      table: table.name,
      name,
      command,
      roles,
      using: (p.using as string | undefined) ?? null,
      withCheck: (p.with_check as string | undefined) ?? null,
      permissive: p.permissive as boolean,
      origin,
    });
  });
  b.addRowSecurity({ schema: table.schema, table: table.name, force: params.force as boolean, policies, origin: ctx.origin('table'), additive: params.mode === 'additive' });
}
