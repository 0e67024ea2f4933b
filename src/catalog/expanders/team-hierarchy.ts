// team-hierarchy: NOLOGIN team roles, chains of inheritance, per-team grants, logins in teams.
import { accessOf, addGrant, defineLogin, ownersOf, type ExpandContext } from './common.js';

export function expandTeamHierarchy(ctx: ExpandContext): void {
  const { params, b } = ctx;
  const owners = ownersOf(ctx);
  const schema = params.default_schema as string;
  const additive = params.mode === 'additive';
  const teams = params.teams as Record<string, unknown>[];
  teams.forEach((team, i) => {
    const role = team.role as string;
    b.defineRole(
      { name: role, explicit: { login: false }, comment: (team.comment as string | undefined) ?? null, renamedFrom: (team.renamed_from as string | undefined) ?? null, access: accessOf(ctx) },
      ctx.origin('teams', i, 'role'),
    );
    if (additive) b.markAdditive(role);
  });
  teams.forEach((team, i) => {
    const role = team.role as string;
    // senior_engineers inherits engineering: GRANT engineering TO senior_engineers.
    (team.inherits as string[]).forEach((parent, j) => {
      b.addMembership({ group: parent, member: role, admin: false, inherit: null, set: null, origin: ctx.origin('teams', i, 'inherits', j) });
    });
    (team.grants as Record<string, unknown>[]).forEach((grant, j) => addGrant(ctx, grant, role, schema, ctx.origin('teams', i, 'grants', j), owners));
  });
  (params.members as Record<string, unknown>[]).forEach((member, i) => {
    const origin = ctx.origin('members', i);
    const login = defineLogin(ctx, member, origin);
    if (additive) b.markAdditive(login);
    (member.teams as string[]).forEach((team, j) => {
      b.addMembership({ group: team, member: login, admin: false, inherit: null, set: null, origin: ctx.origin('members', i, 'teams', j) });
    });
  });
}
