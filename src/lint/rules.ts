// Least-privilege and safety rules. Each rule is a small named function over the resolved model; the
// findings carry the location of the plan element that causes them and a hint to fix it.
import type { Diagnostic, Level } from '../diagnostics.js';
import { formatPath } from '../plan/source.js';
import { usedAtNote } from '../catalog/team-expand.js';
import { locationOf } from '../model/builder.js';
import { PUBLIC, type Model, type Origin } from '../model/model.js';
import { inheritedGroups } from '../render/view.js';
import { lookup } from '../model/lookup.js';
import { loadCatalog } from '../catalog/catalog.js';

export interface Rule {
  id: string;
  level: Level;
  summary: string;
  check(model: Model): Finding[];
}

interface Finding {
  origin: Origin;
  message: string;
  hint: string;
}

const finding = (origin: Origin, message: string, hint: string): Finding => ({ origin, message, hint });

/** Patterns whose roles are groups by design: privileges granted there to a login bypass the group. */
const GROUP_STYLE_PATTERNS = new Set(['team-hierarchy', 'roles']);

/** Where a role's `password:` is written: beside the role's name (a login mapping) or in its pattern instance. */
function passwordOrigin(origins: Origin[]): Origin {
  for (const origin of origins) {
    for (const path of [[...origin.path, 'password'], [...origin.path.slice(0, -1), 'password']]) {
      if (origin.source.nodeAt(path)) return { ...origin, path };
    }
  }
  return origins[0]!;
}

/**
 * How to give USAGE, in the syntax of the plan element that needs it: patterns with a `schemas` list take
 * the schema there; generic grants (team-hierarchy, roles) take a grant of their own.
 */
function usageHint(origin: Origin, schema: string, grantee: string): string {
  if (origin.pattern && !GROUP_STYLE_PATTERNS.has(origin.pattern)) {
    const listed = origin.source.nodeAt([...origin.path.slice(0, 2), 'schemas']);
    const current = listed ? (origin.source.doc.getIn([...origin.path.slice(0, 2), 'schemas']) as { toJSON(): unknown } | undefined)?.toJSON() : undefined;
    const fallback = loadCatalog().get(origin.pattern)?.parameters.schemas?.default;
    const names = (Array.isArray(current) ? current : Array.isArray(fallback) ? fallback : []).map(String);
    return `add ${schema} to this pattern's schemas: schemas: [${[...names, schema].join(', ')}]`;
  }
  return `grant USAGE on schema ${schema} to ${grantee} (or to a group it is a member of): {privileges: [USAGE], schemas: [${schema}]}`;
}

export const RULES: Rule[] = [
  {
    id: 'superuser',
    level: 'error',
    summary: 'a role the plan creates is a superuser (privileges mean nothing for one)',
    check: (model) =>
      model.roles
        .filter((r) => r.attrs.superuser && !r.allowSuperuser)
        .map((r) =>
          finding(
            r.origins[0]!,
            `role "${r.name}" is a SUPERUSER: it bypasses every privilege check, so the plan's grants mean nothing for it: a superuser created "just to make it work" is the classic way a plan stops meaning anything`,
            'remove superuser, or write allow_superuser: true beside it if this is really meant',
          ),
        ),
  },
  {
    id: 'schema-usage',
    level: 'error',
    summary: 'privileges on objects in a schema the grantee has no USAGE on',
    check: (model) => {
      const out: Finding[] = [];
      const publicUsage = !model.publicRevokes.some((r) => r.target.kind === 'schema' && r.target.name === 'public' && r.privileges.includes('USAGE'));
      const ownedSchemas = new Set(model.schemas.filter((s) => s.create?.owner).map((s) => `${s.create!.owner}\0${s.name}`));
      const usageGrants = new Set(model.grants.filter((g) => g.target.kind === 'schema' && g.privileges.includes('USAGE')).map((g) => `${g.grantee}\0${(g.target as { name: string }).name}`));
      const usage = (role: string, schema: string): boolean => {
        if (schema === 'public' && publicUsage) return true;
        if (ownedSchemas.has(`${role}\0${schema}`)) return true;
        return [role, PUBLIC, ...inheritedGroups(model, role).inherited].some((holder) => usageGrants.has(`${holder}\0${schema}`));
      };
      const seen = new Set<string>();
      for (const g of model.grants) {
        const t = g.target;
        if (t.kind === 'schema' || t.kind === 'database') continue;
        const schema = t.schema;
        const key = `${g.grantee}\0${schema}`;
        if (g.grantee === PUBLIC || seen.has(key) || usage(g.grantee, schema)) continue;
        seen.add(key);
        out.push(
          finding(
            g.origin,
            `role "${g.grantee}" gets ${g.privileges.join(', ')} on objects in schema "${schema}" but no USAGE on that schema, so it cannot reach them (the classic "permission denied for schema")`,
            usageHint(g.origin, schema, g.grantee),
          ),
        );
      }
      return out;
    },
  },
  {
    id: 'grant-option',
    level: 'warning',
    summary: 'WITH GRANT OPTION lets the grantee hand the privilege on',
    check: (model) =>
      [...model.grants.filter((g) => g.grantOption), ...model.defaults.filter((d) => d.grantOption)].map((g) =>
        finding(
          g.origin,
          `role "${g.grantee}" may grant ${g.privileges.join(', ')} to others (WITH GRANT OPTION): privileges can spread through accounts you did not expect`,
          'remove with_grant_option unless this role really administers these privileges',
        ),
      ),
  },
  {
    id: 'grant-to-public',
    level: 'warning',
    summary: 'privileges granted to PUBLIC reach every role',
    check: (model) =>
      model.grants
        .filter((g) => g.grantee === PUBLIC)
        .map((g) => finding(g.origin, `PUBLIC gets ${g.privileges.join(', ')}: every role, present and future, has them`, 'grant to a group role instead')),
  },
  {
    id: 'direct-login-grant',
    level: 'info',
    summary: 'privileges granted directly to a login role',
    check: (model) => {
      const logins = new Set(model.roles.filter((r) => r.attrs.login).map((r) => r.name));
      const seen = new Set<string>();
      return model.grants
        .filter((g) => logins.has(g.grantee) && GROUP_STYLE_PATTERNS.has(g.origin.pattern ?? '') && !seen.has(g.grantee) && seen.add(g.grantee))
        .map((g) =>
          finding(
            g.origin,
            `login "${g.grantee}" holds privileges directly: roles own privileges, logins are members`,
            `grant them to a NOLOGIN group and make ${g.grantee} a member, so the next person with the same job gets them by membership`,
          ),
        );
    },
  },
  {
    id: 'all-tables-without-defaults',
    level: 'warning',
    summary: 'ALL TABLES grants without default privileges miss tables created later',
    check: (model) =>
      model.grants
        .filter((g) => g.target.kind === 'all-tables')
        .filter((g) => !(lookup(model).defaultsTo.get(g.grantee) ?? []).some((d) => d.objects === 'tables' && d.schema === (g.target as { schema: string }).schema))
        .map((g) =>
          finding(
            g.origin,
            `role "${g.grantee}" gets ${g.privileges.join(', ')} on the tables that exist in schema "${(g.target as { schema: string }).schema}" when deploy.sql runs, and on none created later`,
            'drop `future: false` (and list the tables\' creators in owners) so that new tables get the same privileges, or run deploy.sql after every migration',
          ),
        ),
  },
  {
    id: 'defaults-without-owners',
    level: 'warning',
    summary: 'default privileges without owners cover only objects created by whoever runs deploy.sql',
    check: (model) => {
      // One finding per plan element, naming the kinds of objects its default privileges are for.
      const kinds = new Map<string, { origin: Origin; grantee: string; objects: Set<string> }>();
      for (const d of model.defaults.filter((x) => x.owner === null)) {
        const key = formatPath(d.origin.path);
        if (!kinds.has(key)) kinds.set(key, { origin: d.origin, grantee: d.grantee, objects: new Set() });
        kinds.get(key)!.objects.add(d.objects);
      }
      return [...kinds.values()].map(({ origin, grantee, objects }) => {
        const what = [...objects].join(' and ');
        return finding(
          origin,
          `default privileges for "${grantee}" apply only to ${what} created later by the role that runs deploy.sql; ${what} your application or migrations create as another role get nothing`,
          `add owners: [the role that creates the ${what}] to this pattern`,
        );
      });
    },
  },
  {
    id: 'plaintext-password',
    level: 'warning',
    summary: 'the plan file holds a password',
    check: (model) =>
      model.roles
        .filter((r) => r.password?.kind === 'verifier' && r.password.from === 'plain')
        .map((r) =>
          finding(
            passwordOrigin(r.origins),
            `the plan holds the password of "${r.name}" in plain text (the output has only its SCRAM verifier, but the YAML is now a secret)`,
            `use password: {psql: ${r.name.replace(/[^A-Za-z0-9_]/g, '_')}_password} (given to psql at deploy time) or {env: VAR}`,
          ),
        ),
  },
  {
    id: 'createrole-pg16',
    level: 'info',
    summary: 'CREATEROLE changed meaning in PostgreSQL 16',
    check: (model) =>
      model.plan.postgres < 16
        ? []
        : model.roles
            .filter((r) => r.attrs.createrole && !r.attrs.superuser)
            .map((r) =>
              finding(
                r.origins[0]!,
                `role "${r.name}" has CREATEROLE: since PostgreSQL 16 it may alter, drop and grant only roles it has ADMIN OPTION on (it gets that on roles it creates), not every non-superuser role`,
                'to let it manage existing roles, grant it those roles WITH ADMIN OPTION (member_of: [{role: x, admin: true}])',
              ),
            ),
  },
  {
    id: 'public-schema-create',
    level: 'warning',
    summary: 'before PostgreSQL 15 every role can create objects in schema public',
    check: (model) =>
      model.plan.postgres >= 15 || !model.scope.schemas.includes('public') || model.publicRevokes.some((r) => r.target.kind === 'schema' && r.target.name === 'public')
        ? []
        : [
            finding(
              model.grants.find((g) => g.target.kind === 'schema' && g.target.name === 'public')?.origin ?? model.grants[0]?.origin ?? model.roles[0]!.origins[0]!,
              `on PostgreSQL ${model.plan.postgres}, PUBLIC may CREATE in schema public: every role in this plan, the read-only ones too, can create tables there`,
              'add the database pattern (harden_public_schema: true), or REVOKE CREATE ON SCHEMA public FROM PUBLIC',
            ),
          ],
  },
];

/** Runs every rule; findings sorted by location. */
export function lint(model: Model): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rule of RULES) {
    for (const f of rule.check(model)) {
      out.push({ level: rule.level, loc: locationOf(f.origin), path: formatPath(f.origin.path), message: `${f.message}${usedAtNote(f.origin.via ?? [])}`, hint: f.hint, rule: rule.id });
    }
  }
  return out.sort((a, b) => a.loc!.file.localeCompare(b.loc!.file) || a.loc!.line - b.loc!.line || a.loc!.col - b.loc!.col || a.rule!.localeCompare(b.rule!));
}
