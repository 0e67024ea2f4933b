// What verify.sql used to pass and deploy.sql used to leave (issue 23, points 5-7): paths by which a plan
// login could drop or read what the plan denies, ADMIN OPTION kept by a squatter that owns the database,
// and grant options taken away while the grants made from them survive. Each runs with the real psql on
// PostgreSQL 14 and 18, deployed by a superuser and by a managed service's admin. Expectations are written
// by hand from PostgreSQL's documentation.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Db } from '../../src/harness/db.js';
import { runPsql, type PsqlResult } from '../../src/harness/psql.js';
import type { Server } from '../../src/harness/server.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';

const wanted = TEST_MAJORS.filter((m) => m === 14 || m === 18);
const MAJORS = wanted.length ? wanted : TEST_MAJORS;
const servers = useServers(MAJORS);
const PLAN = readFileSync('test/verify-gaps/plan.yaml', 'utf8');
const FIXTURE = 'test/verify-gaps/fixture.sql';
const ADMIN = { user: 'g_admin', password: 'managed admin password' };
const DEPLOYERS = ['superuser', 'managed'] as const;
type Deployer = (typeof DEPLOYERS)[number];

type Plan = { patterns: Record<string, unknown>[] } & Record<string, unknown>;
const edit = (fn: (p: Plan) => void): string => {
  const p = parse(PLAN) as Plan;
  fn(p);
  return stringify(p);
};
const auditor = (p: Plan) => (p.patterns[1]!.roles as { grants: Record<string, unknown>[] }[])[0]!;

interface Env {
  server: Server;
  /** The superuser, connected to database vg. */
  su: Db;
  files: Map<string, string>;
  /** Runs one of the plan's files as the deployer. */
  run(file: string): Promise<PsqlResult>;
  scalar<T>(sql: string): Promise<T>;
}

const open: { server: Server; su: Db }[] = [];

async function render(major: number, text: string, from?: string): Promise<Map<string, string>> {
  const dir = tempDir('verify-gaps');
  writeFileSync(join(dir, 'plan.yaml'), text);
  const rendered = await renderPlanFile(join(dir, 'plan.yaml'), { postgres: major, from: from ? { text: from, label: 'v1.yaml' } : undefined });
  const paths = new Map<string, string>();
  for (const [name, content] of rendered.files) {
    writeFileSync(join(dir, name), content);
    paths.set(name, join(dir, name));
  }
  return paths;
}

/**
 * Database vg with the fixture; roles g_owner (owns schema app), g_ext and g_other outside the plan. The
 * managed deployer is an admin as providers make it: NOSUPERUSER CREATEROLE CREATEDB, owner of the
 * database, member WITH ADMIN OPTION of the owner role.
 */
async function setup(server: Server, deployer: Deployer, options: { text?: string; dbOwner?: string; before?: (admin: Db) => Promise<void> } = {}): Promise<Env> {
  const admin = await connect(server, 'postgres');
  for (const r of ['g_owner', 'g_ext', 'g_other']) await admin.query(`CREATE ROLE ${r} NOLOGIN`);
  if (deployer === 'managed') {
    await admin.query(`CREATE ROLE g_admin LOGIN NOSUPERUSER CREATEROLE CREATEDB PASSWORD '${ADMIN.password}'`);
    await admin.query('GRANT g_owner TO g_admin WITH ADMIN OPTION');
  }
  await options.before?.(admin);
  await admin.query(`CREATE DATABASE vg OWNER ${options.dbOwner ?? (deployer === 'managed' ? 'g_admin' : 'postgres')}`);
  await admin.end();
  const fixture = await runPsql(server, { database: 'vg', file: FIXTURE });
  expect(fixture.code, fixture.stderr).toBe(0);
  const su = await connect(server, 'vg');
  open.push({ server, su });
  const files = await render(server.major, options.text ?? PLAN);
  return {
    server,
    su,
    files,
    run: (file) => runPsql(server, { database: 'vg', file: files.get(file)!, login: deployer === 'managed' ? ADMIN : undefined }),
    scalar: async <T>(sql: string) => (await su.query(sql)).rows[0]?.v as T,
  };
}

afterEach(async () => {
  for (const { server, su } of open.splice(0)) {
    await su.end();
    const admin = await connect(server, 'postgres');
    await admin.query('DROP DATABASE IF EXISTS vg WITH (FORCE)');
    const roles = (await admin.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE 'g\\_%' OR rolname IN ('squatter', 'squatter2') ORDER BY rolname = 'g_admin'")).rows;
    for (const { rolname } of roles) await admin.query(`DROP OWNED BY "${rolname}"`);
    for (const { rolname } of roles) await admin.query(`DROP ROLE "${rolname}"`);
    await admin.end();
  }
});

/** The statement a FAIL line gives to remove what it reports ("… to remove it: <statement>)"). */
function fixOf(stdout: string, failure: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith(`FAIL: ${failure}`));
  expect(line, `no line "FAIL: ${failure}" in:\n${stdout}`).toBeDefined();
  const m = /to remove it: (.*)\)$/.exec(line!);
  expect(m, line).not.toBeNull();
  return m![1]!;
}

const deployed = async (env: Env) => {
  const r = await env.run('deploy.sql');
  expect(r.code, r.stderr).toBe(0);
  const v = await env.run('verify.sql');
  expect(v.code, v.stdout + v.stderr).toBe(0);
};

describe.each(MAJORS)('PostgreSQL %i', (major) => {
  const server = () => servers.get(major)!;

  describe.each(DEPLOYERS)('deployed by the %s', (deployer) => {
    it('5a. a schema in scope, or the database, owned by a plan login fails verify with a statement that fixes it', async () => {
      const env = await setup(server(), deployer);
      await deployed(env);
      // The owner of a schema may drop any object in it (PostgreSQL: DROP TABLE needs table or schema ownership).
      await env.su.query('ALTER SCHEMA app OWNER TO g_alice');
      let verify = await env.run('verify.sql');
      expect(verify.code).not.toBe(0);
      const schemaFix = fixOf(verify.stdout, 'role g_alice owns schema app: as its owner it can drop what is in it');
      expect(schemaFix).toMatch(/^ALTER SCHEMA app OWNER TO \S+$/);
      if (deployer === 'superuser') {
        // (The admin, no longer a member of the schema's owner, may not even read it: its deploy stops.)
        const deploy = await env.run('deploy.sql');
        expect(deploy.code, deploy.stderr).toBe(0);
        expect(deploy.stderr).toContain('pgrant: left as it is: role g_alice owns schema app');
      }
      await env.su.query(schemaFix);
      expect((await env.run('verify.sql')).code).toBe(0);
      // The owner of the database may drop it.
      await env.su.query('ALTER DATABASE vg OWNER TO g_alice');
      verify = await env.run('verify.sql');
      expect(verify.code).not.toBe(0);
      const databaseFix = fixOf(verify.stdout, 'role g_alice owns database vg: as its owner it can drop it');
      expect(databaseFix).toBe(`ALTER DATABASE vg OWNER TO ${deployer === 'managed' ? 'g_admin' : 'postgres'}`);
      await env.su.query(databaseFix);
      expect((await env.run('verify.sql')).code).toBe(0);
    });

    it('5b. CREATE held by PUBLIC on a schema in scope fails verify; deploy reports it', async () => {
      const env = await setup(server(), deployer);
      await deployed(env);
      await env.su.query('GRANT CREATE ON SCHEMA app TO PUBLIC');
      const verify = await env.run('verify.sql');
      expect(verify.code).not.toBe(0);
      const fix = fixOf(verify.stdout, 'PUBLIC holds CREATE on schema app, which the plan does not grant');
      expect(fix).toBe('REVOKE CREATE ON SCHEMA app FROM PUBLIC');
      const deploy = await env.run('deploy.sql');
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(deploy.stderr).toContain('pgrant: left as it is: PUBLIC holds CREATE on schema app');
      await env.su.query(fix);
      expect((await env.run('verify.sql')).code).toBe(0);
    });

    it('5c. a SECURITY DEFINER function in scope that PUBLIC may run fails verify with the REVOKE that fixes it', async () => {
      const env = await setup(server(), deployer);
      await deployed(env);
      await env.su.query("SET ROLE g_owner; CREATE FUNCTION app.total_paid(cutoff integer) RETURNS numeric LANGUAGE sql SECURITY DEFINER AS 'SELECT sum(amount) FROM app.payments WHERE id > cutoff'; RESET ROLE");
      // The threat: g_alice cannot read app.payments, but the function reads it for her.
      const read = await runPsql(env.server, { database: 'vg', command: 'SET ROLE g_alice; SELECT app.total_paid(0)', tuplesOnly: true });
      expect(read.stdout.trim()).toBe('9.99');
      const verify = await env.run('verify.sql');
      expect(verify.code).not.toBe(0);
      const fix = fixOf(verify.stdout, 'PUBLIC can run SECURITY DEFINER function app.total_paid(cutoff integer), which runs with the privileges of its owner g_owner');
      expect(fix).toBe('REVOKE EXECUTE ON FUNCTION app.total_paid(cutoff integer) FROM PUBLIC');
      const deploy = await env.run('deploy.sql');
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(deploy.stderr).toContain('pgrant: left as it is: PUBLIC can run SECURITY DEFINER function app.total_paid(cutoff integer)');
      await env.su.query(fix);
      expect((await env.run('verify.sql')).code).toBe(0);
    });

    it('5d. default privileges granting a plan role, set by a role that is not one of the plan\'s owners, are removed as that role', async () => {
      const env = await setup(server(), deployer);
      await deployed(env);
      await env.su.query('GRANT USAGE, CREATE ON SCHEMA app TO g_other');
      await env.su.query('ALTER DEFAULT PRIVILEGES FOR ROLE g_other IN SCHEMA app GRANT SELECT ON TABLES TO g_alice');
      const verify = await env.run('verify.sql');
      expect(verify.code).not.toBe(0);
      const fix = fixOf(verify.stdout, 'role g_alice gets SELECT by default on tables created by g_other in schema app, which the plan does not grant');
      expect(fix).toBe('ALTER DEFAULT PRIVILEGES FOR ROLE g_other IN SCHEMA app REVOKE SELECT ON TABLES FROM g_alice');
      const defaults = () => env.scalar<number>("SELECT count(*)::int AS v FROM pg_default_acl WHERE defaclrole = 'g_other'::regrole");
      if (deployer === 'managed') {
        // The admin is not a member of g_other: it cannot act as it, and stops, changing nothing.
        const stopped = await env.run('deploy.sql');
        expect(stopped.code).not.toBe(0);
        expect(stopped.stderr).toContain('pgrant: could not remove: role g_alice gets SELECT by default on tables created by g_other in schema app');
        expect(stopped.stderr).toContain('nothing was changed');
        expect(await defaults()).toBe(1);
        await env.su.query('GRANT g_other TO g_admin');
      }
      const deploy = await env.run('deploy.sql');
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(deploy.stderr).toContain('pgrant: removing: role g_alice gets SELECT by default on tables created by g_other in schema app');
      expect(await defaults()).toBe(0);
      expect((await env.run('verify.sql')).code).toBe(0);
    });

    it('5e. a membership of a plan login in a role outside the plan (pg_read_all_data) fails verify; deploy removes it', async () => {
      const env = await setup(server(), deployer);
      await deployed(env);
      await env.su.query('GRANT pg_read_all_data TO g_alice');
      const canRead = () => env.scalar<boolean>("SELECT has_table_privilege('g_alice', 'app.payments', 'SELECT') AS v");
      expect(await canRead()).toBe(true);
      const verify = await env.run('verify.sql');
      expect(verify.code).not.toBe(0);
      expect(fixOf(verify.stdout, 'role g_alice is a member of role pg_read_all_data, which the plan does not state')).toMatch(/^REVOKE pg_read_all_data FROM g_alice/);
      if (deployer === 'managed' && major >= 16) {
        // From 16 only the grantor (here the bootstrap superuser) or a role with its privileges may revoke it.
        const stopped = await env.run('deploy.sql');
        expect(stopped.code).not.toBe(0);
        expect(stopped.stderr).toContain('pgrant: could not remove: role g_alice is a member of role pg_read_all_data');
        expect(stopped.stderr).toContain('nothing was changed');
        expect(await canRead()).toBe(true);
        const fix = /HINT: {2}run this file as a superuser, or have one run: (.*);$/m.exec(stopped.stderr);
        expect(fix, stopped.stderr).not.toBeNull();
        await env.su.query(fix![1]!);
        expect(await canRead()).toBe(false);
        expect((await env.run('verify.sql')).code).toBe(0);
        return;
      }
      const deploy = await env.run('deploy.sql');
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(deploy.stderr).toContain('pgrant: removing: role g_alice is a member of role pg_read_all_data');
      expect(await canRead()).toBe(false);
      expect((await env.run('verify.sql')).code).toBe(0);
    });

    it('7. a grant option the plan takes away goes with the column grants made from it (deploy.sql)', async () => {
      const v1 = edit((p) => (auditor(p).grants[1]!.with_grant_option = true));
      const env = await setup(server(), deployer, { text: v1 });
      await deployed(env);
      await env.su.query('GRANT USAGE ON SCHEMA app TO g_ext');
      await env.su.query('SET ROLE g_auditor; GRANT SELECT (title) ON app.tracks TO g_ext; RESET ROLE');
      const extReads = () => env.scalar<boolean>("SELECT has_column_privilege('g_ext', 'app.tracks', 'title', 'SELECT') AS v");
      expect(await extReads()).toBe(true);
      const v2 = await render(major, PLAN);
      const deploy = await runPsql(env.server, { database: 'vg', file: v2.get('deploy.sql')!, login: deployer === 'managed' ? ADMIN : undefined });
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(await extReads()).toBe(false);
      expect(await env.scalar<boolean>("SELECT has_table_privilege('g_auditor', 'app.tracks', 'SELECT') AS v")).toBe(true);
      expect(await env.scalar<boolean>("SELECT has_table_privilege('g_auditor', 'app.tracks', 'SELECT WITH GRANT OPTION') AS v")).toBe(false);
    });

    it('7. migrate.sql takes a grant option away with the grants made from it, table and column', async () => {
      const v1 = edit((p) => (auditor(p).grants[1]!.with_grant_option = true));
      const env = await setup(server(), deployer, { text: v1 });
      await deployed(env);
      await env.su.query('GRANT USAGE ON SCHEMA app TO g_ext');
      await env.su.query('SET ROLE g_auditor; GRANT SELECT ON app.tracks TO g_ext; GRANT SELECT (title) ON app.tracks TO g_ext; RESET ROLE');
      const v2 = await render(major, PLAN, v1);
      const login = deployer === 'managed' ? ADMIN : undefined;
      const migrate = await runPsql(env.server, { database: 'vg', file: v2.get('migrate.sql')!, login });
      expect(migrate.code, migrate.stderr).toBe(0);
      expect(await env.scalar<boolean>("SELECT has_column_privilege('g_ext', 'app.tracks', 'title', 'SELECT') AS v")).toBe(false);
      expect(await env.scalar<boolean>("SELECT has_table_privilege('g_auditor', 'app.tracks', 'SELECT WITH GRANT OPTION') AS v")).toBe(false);
      const verify = await runPsql(env.server, { database: 'vg', file: v2.get('verify.sql')!, login });
      expect(verify.code, verify.stdout).toBe(0);
    });

    it('7. a column grant whose grantor lost its grant option is removed, or deploy stops saying what to run', async () => {
      const env = await setup(server(), deployer);
      await deployed(env);
      // g_ext gets the grant option, gives g_alice a column from it, then loses it (the column grant survives).
      await env.su.query('GRANT USAGE ON SCHEMA app TO g_ext; SET ROLE g_owner; GRANT SELECT ON app.payments TO g_ext WITH GRANT OPTION; RESET ROLE');
      await env.su.query('SET ROLE g_ext; GRANT SELECT (amount) ON app.payments TO g_alice; RESET ROLE');
      await env.su.query('SET ROLE g_owner; REVOKE SELECT ON app.payments FROM g_ext CASCADE; RESET ROLE');
      const aliceReads = () => env.scalar<boolean>("SELECT has_column_privilege('g_alice', 'app.payments', 'amount', 'SELECT') AS v");
      expect(await aliceReads()).toBe(true);
      const verify = await env.run('verify.sql');
      expect(verify.code).not.toBe(0);
      expect(verify.stdout).toContain('FAIL: role g_alice holds SELECT on column app.payments (amount) (granted by g_ext), which the plan does not grant');
      if (deployer === 'managed') {
        // The admin cannot act as g_ext: it stops, changing nothing, and says what to run.
        const stopped = await env.run('deploy.sql');
        expect(stopped.code).not.toBe(0);
        expect(stopped.stderr).toContain('pgrant: could not remove: role g_alice holds SELECT on column app.payments (amount) (granted by g_ext)');
        expect(stopped.stderr).not.toContain('WARNING');
        expect(await aliceReads()).toBe(true);
        await env.su.query('GRANT g_ext TO g_admin');
      }
      const deploy = await env.run('deploy.sql');
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(deploy.stderr).not.toContain('as a superuser');
      expect(deploy.stderr).not.toContain('could not remove');
      expect(await aliceReads()).toBe(false);
      expect((await env.run('verify.sql')).code).toBe(0);
    });
  });
});

describe.each(MAJORS.filter((m) => m >= 16))('PostgreSQL %i: a squatter that owns the database', (major) => {
  it.each(DEPLOYERS)('6. loses its ADMIN OPTION on plan roles (and the grants made from it); verify fails while it has it (deployed by the %s)', async (deployer) => {
    const env = await setup(servers.get(major)!, deployer, {
      dbOwner: 'squatter',
      before: async (admin) => {
        // From 16 a CREATEROLE role gets ADMIN OPTION on the roles it creates; it passes it on to a friend.
        await admin.query('CREATE ROLE squatter LOGIN CREATEROLE; CREATE ROLE squatter2 LOGIN');
        await admin.query('SET ROLE squatter; CREATE ROLE g_alice LOGIN; GRANT g_alice TO squatter2 WITH ADMIN OPTION; RESET ROLE');
        // The admin administers g_alice and may create its bookkeeping schema in the squatter's database.
        if (deployer === 'managed') await admin.query('GRANT g_alice TO g_admin WITH ADMIN OPTION');
      },
    });
    if (deployer === 'managed') await env.su.query('GRANT CREATE ON DATABASE vg TO g_admin');
    const admins = async () =>
      (await env.su.query<{ v: string }>("SELECT u.rolname || ' on ' || g.rolname AS v FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname IN ('squatter', 'squatter2') AND m.admin_option ORDER BY 1")).rows.map((r) => r.v);
    expect(await admins()).toEqual(['squatter on g_alice', 'squatter2 on g_alice']);
    const deploy = await env.run('deploy.sql');
    if (deployer === 'managed') {
      // The admin may not revoke what the bootstrap superuser granted: it stops, changing nothing.
      expect(deploy.code).not.toBe(0);
      expect(deploy.stderr).toContain('pgrant: could not remove: role squatter, outside the plan, holds ADMIN OPTION on plan role g_alice');
      expect(await admins()).toEqual(['squatter on g_alice', 'squatter2 on g_alice']);
      return;
    }
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain('pgrant: removing: role squatter, outside the plan, holds ADMIN OPTION on plan role g_alice');
    expect(await admins()).toEqual([]);
    // It can no longer change g_alice's password.
    const change = await runPsql(env.server, { database: 'vg', command: "SET ROLE squatter; ALTER ROLE g_alice PASSWORD 'mine'" });
    expect(change.code).not.toBe(0);
    expect((await env.run('verify.sql')).code).toBe(0);
    await env.su.query('GRANT g_alice TO squatter WITH ADMIN OPTION');
    const verify = await env.run('verify.sql');
    expect(verify.code).not.toBe(0);
    expect(verify.stdout).toContain('FAIL: role squatter, outside the plan, holds ADMIN OPTION on plan role g_alice');
  });
});
