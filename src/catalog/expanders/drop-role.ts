// drop-role: offboarding. What the roles own goes to `reassign_to`; their privileges go; they go.
import type { ExpandContext } from './common.js';

export function expandDropRole(ctx: ExpandContext): void {
  const reassignTo = ctx.params.reassign_to as string;
  (ctx.params.roles as string[]).forEach((name, i) => {
    if (name === reassignTo) ctx.b.error(ctx.origin('roles', i), `role "${name}" cannot be reassigned to itself`, 'reassign_to names the role that keeps the objects');
    ctx.b.addDrop({ name, reassignTo, origin: ctx.origin('roles', i) });
  });
}
