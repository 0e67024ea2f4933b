// The template matrix: every pattern's example, with its optional parameters all absent, all present,
// and each present alone, for every target major. Which combinations pgrant must refuse, and with what
// message, is written down here by hand (REFUSALS); every other one must render — and then run.
import { parse, stringify } from 'yaml';
import { loadCatalog } from '../../src/catalog/catalog.js';

/** A valid value for each parameter type the catalog uses; the objects exist in MATRIX_FIXTURE. */
export const SAMPLES: Record<string, unknown> = {
  boolean: true,
  integer: 5,
  string: "a comment with 'quotes'",
  name: 'proj',
  schema: 'app',
  'schema[]': ['public', 'Sales Team'],
  role: 'ext_owner',
  'role[]': ['ext_owner', 'user'],
  'role-name': 'new_role',
  'table[]': ['public.t1', { schema: 'public', name: 't.2' }],
  table: 'public.t1',
  columns: { 'public.t1': ['c1', 'select'] },
  'privilege[]': ['SELECT', 'UPDATE'],
  password: { psql: 'a_password' },
  timestamp: '2030-01-01',
  'login[]': [{ name: 'member_one', password: { psql: 'member_pw' }, connection_limit: 3 }, 'member_two'],
  login: { name: 'the_owner', password: { psql: 'owner_pw' } },
  'database-name': 'appdb',
  'database-name[]': ['appdb'],
  'project-accounts': { readwrite: false, readonly: { name: 'proj_reader' } },
  'team[]': [{ role: 'team_a', grants: [{ privileges: ['SELECT'], all_tables_in: ['public'] }, { privileges: ['USAGE'], schemas: ['Sales Team'] }] }, { role: 'team_b', inherits: ['team_a'] }],
  'team-member[]': [{ name: 'teammate', teams: ['team_a'] }],
  'policy[]': [{ name: 'p1', roles: ['ext_owner'], using: 'c1 = current_user', command: 'SELECT' }, { name: 'p 2', with_check: 'true', command: 'INSERT', permissive: false }],
  'role-definition[]': [
    { name: 'r_one', login: true, valid_until: '2030-01-01', member_of: [{ role: 'ext_owner', admin: true }], grants: [{ privileges: ['EXECUTE'], functions: ['public.f(integer, text)'] }, { privileges: ['USAGE'], schemas: ['public'] }] },
    { name: 'r_two', default_privileges: [{ on: 'sequences', privileges: ['USAGE'], schemas: ['public'] }] },
  ],
  // Another table than public_grants' sample: a plan granting and revoking the same thing to PUBLIC is
  // contradictory, and refused (test/cases/grant-and-revoke).
  'revoke[]': [{ privileges: ['ALL'], tables: [{ schema: 'public', name: 't.2' }], from: ['PUBLIC'], cascade: true }],
  'grant[]': [{ privileges: ['SELECT'], tables: ['public.t1'] }],
};

/**
 * Parameters whose sample must differ from their type's: renamed_from names a role to rename away, so it
 * cannot be ext_owner, which the other parameters rely on.
 */
const SAMPLE_BY_PARAMETER: Record<string, unknown> = { renamed_from: 'old_name' };

/** What every combination's deploy.sql relies on, in database appdb (plus databases app and analytics, which examples name). */
export const MATRIX_FIXTURE = `
CREATE SCHEMA "Sales Team";
CREATE SCHEMA app;
CREATE TABLE public.t1 (id serial PRIMARY KEY, c1 text, "select" text);
CREATE TABLE public."t.2" (id int);
CREATE TABLE public.users (id serial PRIMARY KEY, name text);
CREATE TABLE public.code_reviews (id serial PRIMARY KEY, title text);
CREATE TABLE app.code_reviews (id serial PRIMARY KEY, title text);
CREATE TABLE public.orders (id serial PRIMARY KEY, user_id integer);
CREATE FUNCTION public.f(integer, text) RETURNS void LANGUAGE sql AS '';
`;

export interface Combo {
  pattern: string;
  /** "none", "all", or the one optional parameter present. */
  label: string;
  postgres: number;
  /** The plan, as YAML. */
  plan: string;
}

export const MAJORS = [14, 15, 16, 17, 18];

export function combos(): Combo[] {
  const list: Combo[] = [];
  for (const def of loadCatalog().values()) {
    const base = (parse(def.example) as { patterns: Record<string, unknown>[] }).patterns.find((p) => p.pattern === def.name)!;
    const optional = Object.entries(def.parameters).filter(([, p]) => !p.required).map(([k]) => k);
    const sets: [string, string[]][] = [['none', []], ['all', optional], ...optional.map((o): [string, string[]] => [o, [o]])];
    for (const [label, present] of sets) {
      for (const postgres of MAJORS) {
        const instance: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(base)) if (k === 'pattern' || def.parameters[k]?.required) instance[k] = v;
        for (const key of present) {
          const sample = SAMPLE_BY_PARAMETER[key] ?? SAMPLES[def.parameters[key]!.typeExpr];
          if (sample === undefined) throw new Error(`no sample for ${def.name}.${key} (${def.parameters[key]!.typeExpr})`);
          instance[key] = sample;
        }
        if (instance.superuser) instance.allow_superuser = true;
        list.push({ pattern: def.name, label, postgres, plan: stringify({ pgrant: 1, database: 'appdb', postgres, patterns: [instance] }) });
      }
    }
  }
  return list;
}

/**
 * The combinations pgrant must refuse, with the reason a user would be given. Written from the docs:
 * membership options need 16; only the plan's own database can be created or hardened; a team granted
 * on tables of a schema it has no USAGE on is the classic "permission denied for schema" trap.
 */
const REFUSALS: { why: string; applies: (c: Combo) => boolean; messages: RegExp[] }[] = [
  {
    why: "the roles example's member_of uses INHERIT and SET options, which need PostgreSQL 16",
    applies: (c) => c.pattern === 'roles' && c.postgres < 16,
    messages: [/"inherit" needs PostgreSQL 16 or later; this plan targets 1[45]/, /"set" needs PostgreSQL 16 or later; this plan targets 1[45]/],
  },
  {
    why: "the database example names analytics, not the plan's database: it cannot be created",
    applies: (c) => c.pattern === 'database' && (c.label === 'create' || c.label === 'all'),
    messages: [/only the plan's own database \(appdb\) can be created/],
  },
  {
    why: 'harden_public_schema set explicitly on a database other than the one deploy.sql runs in',
    applies: (c) => c.pattern === 'database' && (c.label === 'harden_public_schema' || c.label === 'all'),
    messages: [/harden_public_schema changes schema public of the database deploy\.sql runs in \(appdb\), not of analytics/],
  },
  {
    why: "with default_schema app, the example's team writes tables in app without USAGE on app",
    applies: (c) => c.pattern === 'team-hierarchy' && (c.label === 'default_schema' || c.label === 'all'),
    messages: [/role "engineering" gets INSERT, UPDATE on objects in schema "app" but no USAGE on that schema/, /role "senior_engineers" gets DELETE on objects in schema "app" but no USAGE on that schema/],
  },
];

/** The messages a combination must be refused with (empty: it must render). */
export function expectedRefusals(c: Combo): RegExp[] {
  return REFUSALS.filter((r) => r.applies(c)).flatMap((r) => r.messages);
}
