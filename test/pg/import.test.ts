// pgrant import on real servers: every example deployed then imported (live and from the audit JSON),
// a database set up by hand in plain SQL, and pattern recognition; each imported plan's deploy.sql
// must change nothing (catalog snapshots before and after) and its verify.sql must pass.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { auditSql } from '../../src/audit/audit.js';
import { connect, ident } from '../../src/harness/db.js';
import { planRolesNeededByFixture, rolesCreatedIn } from '../../src/harness/fixture-roles.js';
import { runPsql } from '../../src/harness/psql.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { cli } from '../support/cli.js';
import { roundTrip, scratch } from '../support/import.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';

const servers = useServers();
/** Every example in examples/: a new one needs its line in RECOGNISED below. */
const EXAMPLES = readdirSync('examples')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();
/**
 * The patterns each example's roles come back as, in the plan's order (read from the examples: what
 * each role holds). Team patterns (services) come back as the built-in patterns they expand to.
 */
const RECOGNISED: Record<string, string[]> = {
  // streamflow_app, then streamflow_readonly (listed tables and columns, the sequences of those tables);
  // the admin with its NOINHERIT group is no pattern import recognises.
  streamflow: ['app-user', 'readonly', 'roles'],
  datatweets: ['readonly', 'readwrite', 'app-user', 'roles'],
  polardbpg: ['project', 'project', 'roles'],
  // appuser holds USAGE (not USAGE, SELECT) on the sequence of its one table: not what app-user gives.
  team: ['team-hierarchy', 'roles', 'row-level-security'],
  offboarding: ['readonly', 'roles'],
  // shop_app on every table with default privileges; shop_readonly on sales.orders and its sequence.
  'shop-existing-schema': ['app-user', 'readonly', 'roles'],
  // The schema shop_migrator owns is still empty: both come back from their default privileges.
  'shop-migrations': ['app-user', 'readonly', 'roles'],
  // Per service an analysts group and an application login (team pattern `service`), then the
  // reporting group (team pattern `reporting`): billing_analysts, billing_app, orders_analysts, orders_app, shop_reporting.
  services: ['readonly', 'app-user', 'readonly', 'app-user', 'readonly', 'roles'],
};

/**
 * Deploys an example as a DBA would, in the order `pgrant test` uses: referenced roles (but those its
 * fixture creates) and plan roles its fixture needs, the database, the fixture (or the schemas and
 * tables it names), then deploy.sql.
 */
async function deployExample(major: number, example: string, s: Awaited<ReturnType<typeof scratch>>, server: Parameters<typeof scratch>[0]) {
  const planFile = `examples/${example}.yaml`;
  const { plan, model, files } = await renderPlanFile(planFile, { postgres: major });
  const database = model.plan.database;
  const fixture = plan.test.fixture ? join(dirname(planFile), plan.test.fixture) : undefined;
  const fixtureSql = fixture ? readFileSync(fixture, 'utf8') : '';
  const admin = await connect(server, 'postgres');
  try {
    const created = rolesCreatedIn(fixtureSql);
    const early = [...model.external.filter((r) => !r.startsWith('pg_') && !created.has(r)), ...planRolesNeededByFixture(model, fixtureSql)];
    for (const r of early) await admin.query(`DO $$ BEGIN CREATE ROLE ${ident(r)}; EXCEPTION WHEN duplicate_object THEN END $$`);
  } finally {
    await admin.end();
  }
  await s.createDatabase(database);
  if (fixture) {
    const r = await runPsql(server, { database, file: fixture });
    expect(r.code, r.stderr).toBe(0);
  } else {
    const db = await connect(server, database);
    for (const schema of model.scope.schemas.filter((x) => !model.schemas.some((c) => c.name === x && c.create))) await db.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
    for (const t of model.requiredTables) await db.query(`CREATE TABLE IF NOT EXISTS ${ident(t.schema)}.${ident(t.name)} (id serial PRIMARY KEY)`);
    await db.end();
  }
  writeFileSync(join(s.dir, 'example-deploy.sql'), files.get('deploy.sql')!);
  const vars = Object.fromEntries(model.roles.flatMap((r) => (r.password?.kind === 'psql' ? [[r.password.variable, `pw-${r.name}`]] : [])));
  const deploy = await runPsql(server, { database: model.databases.some((d) => d.create) ? 'postgres' : database, file: join(s.dir, 'example-deploy.sql'), vars });
  expect(deploy.code, deploy.stderr).toBe(0);
  return database;
}

it('every example has its expected patterns written down', () => {
  expect(Object.keys(RECOGNISED).sort()).toEqual(EXAMPLES);
});

describe.each(TEST_MAJORS)('PostgreSQL %i', (major) => {
  it.each(EXAMPLES)('example %s: deployed, imported live and from the audit; the imported deploy.sql changes nothing; verify passes', async (example) => {
    const server = servers.get(major)!;
    const s = await scratch(server);
    try {
      const database = await deployExample(major, example, s, server);
      const r = await roundTrip(server, s.dir, database, example, ['--manage-owners']);
      expect((parse(r.yaml) as PlanDoc).patterns.map((p) => p.pattern)).toEqual(RECOGNISED[example]);
      // Listed tables come back as listed, their sequences with them (read from the examples).
      const instance = (role: string) => (parse(r.yaml) as PlanDoc).patterns.find((p) => p.role === role);
      if (example === 'shop-existing-schema') expect(instance('shop_readonly')).toEqual({ pattern: 'readonly', role: 'shop_readonly', schemas: ['sales'], tables: ['sales.orders'] });
      if (example === 'streamflow') {
        expect(instance('streamflow_readonly')).toEqual({ pattern: 'readonly', role: 'streamflow_readonly', tables: ['public.artists', 'public.streams', 'public.tracks'], columns: { 'public.users': ['country', 'user_id', 'username'] } });
        expect(instance('streamflow_app')).toEqual({ pattern: 'app-user', role: 'streamflow_app', tables: ['public.streams', 'public.tracks', 'public.users'], connection_limit: 50 });
      }
      // Its readonly group's default privileges are for what reports_owner (the role alice's tables go to) creates.
      if (example === 'offboarding') expect(r.yaml).toContain('owners: [reports_owner]');
      if (example === 'streamflow') {
        // A role the earlier deploy of plan "streamflow" managed, left out: its deploy.sql would drop it.
        const partial = await cli('import', '--audit', join(s.dir, 'state.json'), '--exclude-roles', '^alice$', '-o', join(s.dir, 'streamflow.yaml'), '--manage-owners', '--force', '--json');
        expect(partial.code).toBe(1);
        expect(JSON.parse(partial.stdout).not_expressed).toEqual([
          { what: 'role alice, managed by an earlier deploy of a plan named streamflow', why: 'deploy.sql of this plan would drop it: include it (--roles) or name the plan differently (-o other.yaml)' },
        ]);
      }
      expect(r.live.stderr).toBe('');
      expect(r.live.code).toBe(0);
      expect(r.fromAudit.code).toBe(0);
      expect(r.lint.code, r.lint.stdout + r.lint.stderr).toBe(0);
      expect(r.deployStderr).not.toMatch(/removing/);
      expect(r.changes, r.yaml).toEqual([]);
      expect(r.verify.code, r.verify.stdout + r.verify.stderr).toBe(0);
    } finally {
      await s.done();
    }
  });
});

/** The hand-made database: created, loaded from test/import/handmade.sql. */
async function handmade(server: Parameters<typeof scratch>[0], s: Awaited<ReturnType<typeof scratch>>): Promise<string> {
  await s.createDatabase('handmade');
  const r = await runPsql(server, { database: 'handmade', file: 'test/import/handmade.sql' });
  expect(r.code, r.stderr).toBe(0);
  return 'handmade';
}

type PlanDoc = { patterns: Record<string, unknown>[] };
const rolesEntries = (plan: PlanDoc) => ((plan.patterns.find((p) => p.pattern === 'roles')?.roles ?? []) as Record<string, unknown>[]);
const entry = (plan: PlanDoc, name: string) => rolesEntries(plan).find((r) => r.name === name);

describe.each(TEST_MAJORS)('PostgreSQL %i, a database set up by hand', (major) => {
  it('round trip: every attribute, membership option, column, function and default privilege comes back exactly', async () => {
    const server = servers.get(major)!;
    const s = await scratch(server);
    try {
      const r = await roundTrip(server, s.dir, await handmade(server, s), 'handmade', ['--manage-owners']);
      expect(r.live.code, r.live.stderr).toBe(0);
      expect(r.lint.code, r.lint.stdout).toBe(0);
      expect(r.deployStderr).not.toMatch(/removing/);
      expect(r.changes, r.yaml).toEqual([]);
      expect(r.verify.code, r.verify.stdout + r.verify.stderr).toBe(0);

      // What the SQL above says, written by hand.
      const plan = parse(r.yaml) as PlanDoc;
      expect(entry(plan, 'hm_clerk')).toEqual({
        name: 'hm_clerk',
        login: true,
        inherit: false,
        connection_limit: 3,
        valid_until: '2031-06-30T12:00:00+00:00',
        comment: '',
        member_of: ['hm_analysts'],
        grants: [
          { privileges: ['CONNECT'], databases: ['handmade'] },
          { privileges: ['USAGE'], schemas: ['hr', 'sales'] },
          { privileges: ['SELECT'], columns: { 'hr.people': ['id', 'name'], 'sales.customers': ['id', 'name'] } },
          { privileges: ['UPDATE'], columns: { 'sales.customers': ['email'] } },
        ],
      });
      expect(entry(plan, 'hm_lead')).toEqual({
        name: 'hm_lead',
        login: true,
        comment: 'Team lead, may add analysts',
        member_of: [{ role: 'hm_analysts', admin: true }],
        grants: [{ privileges: ['EXECUTE'], functions: ['sales.total(integer, text)'] }],
        default_privileges: [
          { on: 'tables', privileges: ['SELECT', 'INSERT'], owners: ['hm_owner2'] },
          { on: 'tables', privileges: ['SELECT'], schemas: ['sales'], owners: ['hm_owner1'] },
        ],
      });
      expect(entry(plan, 'hm_owner2')).toEqual({
        name: 'hm_owner2',
        login: true,
        comment: '',
        member_of: [major >= 16 ? { role: 'hm_analysts', inherit: false, set: false } : 'hm_analysts'],
      });
      // PUBLIC lost EXECUTE on the function: the plan says so, and verify.sql checks it.
      expect(plan.patterns.find((p) => p.pattern === 'roles')!.revokes).toEqual([{ privileges: ['EXECUTE'], functions: ['sales.total(integer, text)'], from: ['PUBLIC'] }]);
      expect(r.yaml).toMatch(/^# Passwords are never imported: logins keep the ones they have/m);
    } finally {
      await s.done();
    }
  });

  it('recognition: the hand-made read-only group and project come back as readonly and project instances, not as roles', async () => {
    const server = servers.get(major)!;
    const s = await scratch(server);
    try {
      const r = await roundTrip(server, s.dir, await handmade(server, s), 'handmade', ['--manage-owners']);
      const plan = parse(r.yaml) as PlanDoc;
      expect(plan.patterns.filter((p) => p.pattern !== 'roles')).toEqual([
        {
          pattern: 'project',
          project: 'acme',
          owner: { name: 'acme_owner', comment: '' },
          readwrite_comment: '',
          readonly_comment: '',
          accounts: { readwrite: { name: 'acme_app', comment: '' }, readonly: false },
        },
        { pattern: 'readonly', role: 'hm_analysts', schemas: ['sales'], owners: ['hm_owner1'], comment: '' },
      ]);
      for (const role of ['hm_analysts', 'acme_owner', 'acme_role_readwrite', 'acme_role_readonly', 'acme_app']) expect(entry(plan, role)).toBeUndefined();
      expect(r.yaml).toMatch(/# readonly: hm_analysts has USAGE on sales, SELECT on every table, SELECT on every sequence, and the same by/);
      expect(r.changes).toEqual([]);
    } finally {
      await s.done();
    }
  });

  it('recognition with listed tables: only the sequences those tables own, by hand, comes back as readonly and app-user', async () => {
    const server = servers.get(major)!;
    const s = await scratch(server);
    try {
      await s.createDatabase('listed');
      const load = await runPsql(server, { database: 'listed', file: 'test/import/listed-tables.sql' });
      expect(load.code, load.stderr).toBe(0);
      const r = await roundTrip(server, s.dir, 'listed', 'listed');
      expect(r.live.code, r.live.stderr).toBe(0);
      expect(r.changes, r.yaml).toEqual([]);
      expect(r.verify.code, r.verify.stdout + r.verify.stderr).toBe(0);
      const plan = parse(r.yaml) as PlanDoc;
      // What test/import/listed-tables.sql says, written by hand.
      expect(plan.patterns.filter((p) => p.pattern !== 'roles')).toEqual([
        { pattern: 'app-user', role: 'lt_app', schemas: ['shop'], tables: ['shop.items', 'shop.orders'], comment: '' },
        // orders owns a sequence the reader does not hold: sequences: false says so.
        { pattern: 'readonly', role: 'lt_reader', schemas: ['shop'], tables: ['shop.orders'], sequences: false, comment: '' },
      ]);
      expect(entry(plan, 'lt_clerk')).toMatchObject({ grants: expect.arrayContaining([{ privileges: ['SELECT'], sequences: ['shop.invoice_numbers', 'shop.orders_id_seq'] }]) });
      // The instance's comment, its lines joined: why the pattern fits.
      expect(r.yaml.replace(/\n\s*#\s+/g, ' ')).toContain('app-user: lt_app has USAGE on shop, SELECT, INSERT, UPDATE, DELETE on 2 listed table(s), SELECT, USAGE on the sequences of the listed tables: exactly what the app-user pattern gives');
    } finally {
      await s.done();
    }
  });

  it('--flat: only the roles pattern, and still exact', async () => {
    const server = servers.get(major)!;
    const s = await scratch(server);
    try {
      const r = await roundTrip(server, s.dir, await handmade(server, s), 'handmade', ['--flat']);
      const plan = parse(r.yaml) as PlanDoc;
      expect(plan.patterns.map((p) => p.pattern)).toEqual(['roles']);
      expect(entry(plan, 'hm_analysts')).toBeDefined();
      expect(r.changes, r.yaml).toEqual([]);
      expect(r.verify.code, r.verify.stdout).toBe(0);
    } finally {
      await s.done();
    }
  });

  it('what the plan cannot say is listed, in the plan and in --json, and import exits 1 unless --allow-partial', async () => {
    const server = servers.get(major)!;
    const s = await scratch(server);
    try {
      const database = await handmade(server, s);
      const db = await connect(server, database);
      // A grant made by a role other than the owner: deploy.sql grants as the owner.
      await db.query('GRANT SELECT ON sales.orders TO hm_lead WITH GRANT OPTION');
      await db.query('SET ROLE hm_lead');
      await db.query('GRANT SELECT ON sales.orders TO hm_clerk');

      // From 16, a membership granted by another role than the bootstrap superuser (hm_lead has ADMIN OPTION).
      await db.query('GRANT hm_analysts TO hm_owner1');
      await db.query('RESET ROLE');
      // A large object and a type with ACLs: plans have no grants for them.
      await db.query('SELECT lo_create(4242)');
      await db.query('GRANT SELECT ON LARGE OBJECT 4242 TO hm_clerk');
      await db.query("CREATE TYPE sales.mood AS ENUM ('ok')");
      await db.query('REVOKE USAGE ON TYPE sales.mood FROM PUBLIC');
      await db.end();
      writeFileSync(join(s.dir, 'audit.sql'), auditSql());
      const audit = await runPsql(server, { database, file: join(s.dir, 'audit.sql') });
      writeFileSync(join(s.dir, 'state.json'), audit.stdout);
      const plan = join(s.dir, 'plan.yaml');
      const refused = await cli('import', '--audit', join(s.dir, 'state.json'), '-o', plan, '--manage-owners', '--json');
      expect(refused.code).toBe(1);
      const json = JSON.parse(refused.stdout) as { not_expressed: { what: string; why: string }[] };
      expect(json.not_expressed).toEqual([
        ...(major >= 16 ? [{ what: 'membership of hm_owner1 in hm_analysts granted by hm_lead', why: `deploy.sql grants memberships as ${server.user}; the plan cannot name another grantor` }] : []),
        { what: 'SELECT on table sales.orders to hm_clerk, granted by hm_lead', why: "deploy.sql grants as the object's owner (hm_owner1): it would add a second grant" },
        { what: `large object 4242 (ACL ${server.user}=rw/${server.user}, hm_clerk=r/${server.user})`, why: 'plans cannot grant on large objects' },
        { what: `type sales.mood (ACL ${server.user}=U/${server.user})`, why: 'plans cannot grant on types' },
      ]);
      expect(readFileSync(plan, 'utf8')).toMatch(/^# - SELECT on table sales.orders to hm_clerk, granted by hm_lead: deploy.sql grants as/m);
      const accepted = await cli('import', '--audit', join(s.dir, 'state.json'), '-o', plan, '--manage-owners', '--allow-partial', '--force');
      expect(accepted.code).toBe(0);
      expect(accepted.stderr).toMatch(/\d thing\(s\) in scope the plan cannot express/);
    } finally {
      await s.done();
    }
  });
});

describe.each(TEST_MAJORS)('PostgreSQL %i, what import takes over', (major) => {
  it('roles owning objects in scope stay outside the plan, so revert.sql keeps them and what they own; real roles named PUBLIC and Public are not PUBLIC', async () => {
    const server = servers.get(major)!;
    const s = await scratch(server);
    try {
      const database = await handmade(server, s);
      const db = await connect(server, database);
      await db.query('CREATE ROLE "PUBLIC" NOLOGIN');
      await db.query('CREATE ROLE "Public" NOLOGIN');
      await db.query('GRANT USAGE ON SCHEMA sales TO "PUBLIC", "Public"');
      await db.query('GRANT SELECT, DELETE ON sales.orders TO "PUBLIC"');
      await db.end();
      const r = await roundTrip(server, s.dir, database, 'handmade');
      expect(r.live.code, r.live.stderr).toBe(0);
      expect(r.changes, r.yaml).toEqual([]);
      expect(r.verify.code, r.verify.stdout + r.verify.stderr).toBe(0);
      // The schemas' owners (test/import/handmade.sql) are referenced, not described.
      const { model } = await renderPlanFile(join(s.dir, 'handmade.yaml'));
      const planRoles = model.roles.map((x) => x.name);
      for (const owner of ['hm_owner1', 'hm_owner2', 'acme_owner']) expect(planRoles).not.toContain(owner);
      expect(r.yaml).toMatch(/role hm_owner1 owns objects in scope: the plan refers to it and never alters or drops it/);
      // The real role "PUBLIC" keeps its DELETE; PUBLIC (every role) gets nothing from it.
      const plan = parse(r.yaml) as PlanDoc;
      expect(JSON.stringify(plan.patterns.find((p) => p.pattern === 'roles')!.public_grants ?? [])).not.toContain('DELETE');
      expect(JSON.stringify(entry(plan, 'PUBLIC'))).toContain('DELETE');
      expect(entry(plan, 'Public')).toBeDefined();

      const revert = await runPsql(server, { database, file: join(s.dir, 'revert.sql') });
      expect(revert.code, revert.stderr).toBe(0);
      const after = await connect(server, database);
      try {
        const owners = await after.query<{ nspname: string; owner: string }>("SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname IN ('acme', 'hr', 'sales') ORDER BY 1");
        expect(owners.rows).toEqual([{ nspname: 'acme', owner: 'acme_owner' }, { nspname: 'hr', owner: 'hm_owner2' }, { nspname: 'sales', owner: 'hm_owner1' }]);
        // Everything PUBLIC may do on sales.orders is what it could before: no DELETE.
        const publicDelete = await after.query<{ n: number }>("SELECT count(*)::int AS n FROM aclexplode((SELECT relacl FROM pg_class WHERE oid = 'sales.orders'::regclass)) a WHERE a.grantee = 0 AND a.privilege_type = 'DELETE'");
        expect(publicDelete.rows[0]!.n).toBe(0);
      } finally {
        await after.end();
      }
    } finally {
      await s.done();
    }
  });
});

describe.each(TEST_MAJORS)('PostgreSQL %i, hostile names', (major) => {
  it('names that need quoting, a quoted argument type and policies come back exactly', async () => {
    const server = servers.get(major)!;
    const s = await scratch(server);
    try {
      await s.createDatabase('Odd DB');
      const load = await runPsql(server, { database: 'Odd DB', file: 'test/import/hostile.sql' });
      expect(load.code, load.stderr).toBe(0);
      const r = await roundTrip(server, s.dir, 'Odd DB', 'hostile', ['--manage-owners']);
      expect(r.live.code, r.live.stderr + r.yaml).toBe(0);
      expect(r.lint.code, r.lint.stdout).toBe(0);
      expect(r.deployStderr).not.toMatch(/removing/);
      expect(r.changes, r.yaml).toEqual([]);
      expect(r.verify.code, r.verify.stdout + r.verify.stderr).toBe(0);
      const plan = parse(r.yaml) as PlanDoc;
      expect(plan.patterns.find((p) => p.pattern === 'row-level-security')).toEqual({
        pattern: 'row-level-security',
        table: { schema: 'Odd.Schema', name: 'we"ird.t' },
        force: false,
        policies: [
          { name: 'Own rows', command: 'SELECT', roles: ['Sales Team'], using: '(owner_name = CURRENT_USER)', permissive: false },
          { name: 'everyone', command: 'INSERT', with_check: '(id > 0)' },
        ],
      });
      expect(entry(plan, "o'brien")).toMatchObject({
        grants: [
          { privileges: ['USAGE'], schemas: ['Mixed Case', 'Odd.Schema'] },
          { privileges: ['SELECT', 'UPDATE'], columns: { 'Mixed Case.plain': ['Col Name'] } },
          { privileges: ['USAGE'], sequences: ['Mixed Case.Seq'] },
        ],
      });
      expect(entry(plan, 'données')).toMatchObject({ comment: "with a 'quote' and a\nline break", grants: [{ privileges: ['USAGE'], schemas: ['Odd.Schema'] }, { privileges: ['EXECUTE'], functions: [{ schema: 'Odd.Schema', name: 'f(x)', args: ['"Odd.Schema"."My Type"', 'numeric'] }] }] });
    } finally {
      await s.done();
    }
  });
});

describe('pgrant import: usage errors', () => {
  it('needs exactly one source', async () => {
    const r = await cli('import');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/give one of --database-url URL or --audit state.json/);
  });

  it('refuses an audit printed by an older audit.sql, and a bad --roles pattern', async () => {
    const s = await scratch(servers.get(TEST_MAJORS[0]!)!);
    try {
      const old = join(s.dir, 'old.json');
      writeFileSync(old, JSON.stringify({ pgrant_audit: 1, database: 'x', current_user: 'u', roles: [], memberships: [], objects: [], privileges: [], default_privileges: [], row_security: [] }));
      const r = await cli('import', '--audit', old);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/printed by an older audit\.sql/);
      const bad = await cli('import', '--audit', old, '--roles', '(');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/--roles is not a regular expression/);
    } finally {
      await s.done();
    }
  });
});
