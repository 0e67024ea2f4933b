// project: an owner login owning the schemas, a read-write and a read-only role with grants on
// existing objects and default privileges FOR ROLE the owner, business accounts, cross-project readers.
import type { ObjectKind } from '../../sql/privileges.js';
import type { DefaultObjects, Target } from '../../model/model.js';
import { accessOf, defineLogin, intentPrivileges, privileges, intentSource, type ExpandContext } from './common.js';

export function expandProject(ctx: ExpandContext): void {
  const { params, b, def } = ctx;
  const project = params.project as string;
  // A derived name that breaks a rule is reported once, at `project`, naming the parameter that overrides it.
  let derivedOk = true;
  const derived = (suffix: string, param: string): string => {
    const name = `${project}${suffix}`;
    derivedOk = b.checkName(name, 'create-role', ctx.origin('project'), `"project: ${project}" + "${suffix}"; set "${param}" to choose another name`) && derivedOk;
    return name;
  };
  const additive = params.mode === 'additive';

  const ownerValue = (params.owner as Record<string, unknown> | undefined) ?? { name: derived('_owner', 'owner') };
  const rw = (params.readwrite_role as string | undefined) ?? derived('_role_readwrite', 'readwrite_role');
  const ro = (params.readonly_role as string | undefined) ?? derived('_role_readonly', 'readonly_role');
  const accounts = (params.accounts as Record<string, unknown> | undefined) ?? {};
  const accountName = (key: 'readwrite' | 'readonly', suffix: string): Record<string, unknown> | undefined => {
    const value = accounts[key];
    if (value === false) return undefined;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : { name: derived(suffix, `accounts.${key}`) };
  };
  const accountValues = { readwrite: accountName('readwrite', '_readwrite'), readonly: accountName('readonly', '_readonly') };
  if (!derivedOk) return;
  const owner = defineLogin(ctx, ownerValue, ctx.origin('owner'));
  const comment = (key: string) => (params[key] as string | undefined) ?? null;
  b.defineRole({ name: rw, explicit: { login: false }, comment: comment('readwrite_comment'), access: accessOf(ctx) }, ctx.origin('readwrite_role'));
  b.defineRole({ name: ro, explicit: { login: false }, comment: comment('readonly_comment'), access: accessOf(ctx) }, ctx.origin('readonly_role'));
  if (additive) [owner, rw, ro].forEach((r) => b.markAdditive(r));

  const privs = (role: 'readwrite' | 'readonly', kind: ObjectKind, key: string): string[] => {
    const intentKey = `${role}.${key}`;
    const source = intentSource(def, intentKey);
    return privileges(ctx, intentPrivileges(def, intentKey, params), kind, source ? ctx.origin(source) : ctx.origin()) ?? [];
  };
  const schemas = (params.schemas as string[] | undefined) ?? [project];
  schemas.forEach((schema, i) => {
    const origin = params.schemas ? ctx.origin('schemas', i) : ctx.origin('project');
    b.checkName(schema, 'schema', origin, params.schemas ? undefined : `"project: ${project}"`);
    b.addSchema(schema, origin, { owner });
    for (const [role, name] of [['readwrite', rw], ['readonly', ro]] as const) {
      const grant = (kind: ObjectKind, key: string, target: Target, objects?: DefaultObjects) => {
        const p = privs(role, kind, key);
        if (p.length === 0) return;
        b.addGrant({ grantee: name, target, privileges: p, grantOption: false, origin });
        // Objects the owner creates later get the same privileges.
        if (objects) b.addDefault({ owner, schema, objects, grantee: name, privileges: p, grantOption: false, origin });
      };
      grant('schema', 'schemas', { kind: 'schema', name: schema });
      grant('table', 'tables', { kind: 'all-tables', schema }, 'tables');
      grant('sequence', 'sequences', { kind: 'all-sequences', schema }, 'sequences');
    }
  });

  for (const [key, group] of [['readwrite', rw], ['readonly', ro]] as const) {
    const value = accountValues[key];
    if (!value) continue;
    const origin = ctx.origin('accounts', key);
    const login = defineLogin(ctx, value, origin);
    if (additive) b.markAdditive(login);
    b.addMembership({ group, member: login, admin: false, inherit: null, set: null, origin });
  }
  for (const [key, group] of [['readers', ro], ['writers', rw]] as const) {
    ((params[key] as string[] | undefined) ?? []).forEach((member, i) => {
      b.addMembership({ group, member, admin: false, inherit: null, set: null, origin: ctx.origin(key, i) });
    });
  }
}
