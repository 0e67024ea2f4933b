// --layout sqitch, proven with the real sqitch (Debian package); --layout flyway, proven by running the
// migrations as Flyway does (over a client connection, each in a transaction, no psql). Flyway itself is
// not installable here (it comes from Maven, which this network does not reach).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModule, parseSync } from 'libpg-query';
import { connect, ident, withDb, type Db } from '../../src/harness/db.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { cli } from '../support/cli.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';

const major = TEST_MAJORS.includes(17) ? 17 : TEST_MAJORS[0]!;
const servers = useServers([major]);

// Each layout runs as the superuser and as a managed service's admin (NOSUPERUSER CREATEROLE CREATEDB,
// owner of the database, member WITH ADMIN OPTION of the owner roles).
const DEPLOYERS = ['superuser', 'managed'] as const;
const DBA = { user: 'layout_dba', password: 'layout-dba-secret' };

async function createAdmin(admin: Db, owners: string[]): Promise<void> {
  await admin.query(`CREATE ROLE ${ident(DBA.user)} NOSUPERUSER LOGIN CREATEROLE CREATEDB PASSWORD '${DBA.password}'`);
  for (const o of owners) await admin.query(`GRANT ${ident(o)} TO ${ident(DBA.user)} WITH ADMIN OPTION`);
}

async function dropAdmin(admin: Db): Promise<void> {
  await admin.query(`DROP OWNED BY ${ident(DBA.user)}; DROP ROLE ${ident(DBA.user)}`);
}

describe(`--layout sqitch (real sqitch, PostgreSQL ${major})`, () => {
  it.each(DEPLOYERS)('as the %s: deploys, verifies (and fails verification after a change by hand), reverts', async (deployer) => {
    const version = spawnSync('sqitch', ['--version'], { encoding: 'utf8' });
    expect(version.status, 'sqitch must be installed (apt-get install sqitch; .ci/run does it)').toBe(0);
    const out = tempDir('sqitch');
    // Rendered for the server's major: the files refuse to run on an older server than they target.
    const plan = join(out, 'polardbpg.yaml');
    writeFileSync(plan, readFileSync('examples/polardbpg.yaml', 'utf8').replace(/^postgres: \d+$/m, `postgres: ${major}`));
    const r = await cli('render', plan, '--layout', 'sqitch', '--out', out, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const dir = join(out, 'polardbpg');
    expect(readdirSync(dir).sort()).toEqual(['ACCESS.md', 'deploy', 'revert', 'sqitch.conf', 'sqitch.plan', 'verify']);
    const server = servers.get(major)!;
    const admin = await connect(server, 'postgres');
    const managed = deployer === 'managed';
    if (managed) await createAdmin(admin, []);
    await admin.query(`CREATE DATABASE polardb${managed ? ` OWNER ${ident(DBA.user)}` : ''}`);
    const as = managed ? { PGHOST: server.tcpHost, PGUSER: DBA.user, PGPASSWORD: DBA.password } : { PGHOST: server.host, PGUSER: server.user };
    const env = { ...process.env, ...as, PGPORT: String(server.port), SQITCH_USER_NAME: 'pgrant test', SQITCH_USER_EMAIL: 'test@localhost' };
    const sqitch = (...args: string[]) => spawnSync('sqitch', args, { cwd: dir, env, encoding: 'utf8' });
    try {
      const vars = ['employee_owner', 'employee_readwrite', 'employee_readonly', 'polardbpg_owner', 'polardbpg_readwrite', 'polardbpg_readonly'].flatMap((r) => ['--set', `${r}_password=pw-${r}`]);
      const deploy = sqitch('deploy', ...vars, 'db:pg:polardb');
      expect(deploy.status, deploy.stdout + deploy.stderr).toBe(0);
      expect(deploy.stdout).toMatch(/\+ pgrant_polardbpg \.\. ok/);
      const verify = sqitch('verify', 'db:pg:polardb');
      expect(verify.status, verify.stdout + verify.stderr).toBe(0);
      const db = await connect(server, 'polardb');
      await db.query('GRANT CREATE ON SCHEMA polardbpg TO polardbpg_role_readonly');
      await db.end();
      const failed = sqitch('verify', 'db:pg:polardb');
      expect(failed.status).not.toBe(0);
      expect(failed.stdout + failed.stderr).toMatch(/Verify failed/);
      const revert = sqitch('revert', '-y', 'db:pg:polardb');
      expect(revert.status, revert.stdout + revert.stderr).toBe(0);
      const left = await admin.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'polardbpg%' OR rolname LIKE 'employee%'");
      expect(left.rows).toEqual([]);
    } finally {
      await admin.query('DROP DATABASE IF EXISTS polardb WITH (FORCE)');
      const left = await admin.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE 'polardbpg%' OR rolname LIKE 'employee%'");
      for (const { rolname } of left.rows) await admin.query(`DROP ROLE ${ident(rolname)}`);
      if (managed) await dropAdmin(admin);
      await admin.end();
    }
  });
});

describe(`--layout flyway (PostgreSQL ${major})`, () => {
  const PLAN = `pgrant: 1
name: shop
database: shop
patterns:
  - pattern: readonly
    role: shop_readonly
    owners: [shop_owner]
  - pattern: app-user
    role: shop_app
    password: {env: SHOP_APP_PASSWORD}
    owners: [shop_owner]
`;

  it.each(DEPLOYERS)('as the %s: writes V1 / R / U1 migrations without psql meta-commands, which run as Flyway runs them', async (deployer) => {
    await loadModule();
    const dir = tempDir('flyway');
    writeFileSync(join(dir, 'shop.yaml'), PLAN);
    process.env.SHOP_APP_PASSWORD = 'flyway-secret';
    const { files } = await renderPlanFile(join(dir, 'shop.yaml'), { layout: 'flyway', postgres: major });
    expect([...files.keys()].sort()).toEqual(['ACCESS.md', 'R__pgrant_shop_verify.sql', 'U1__pgrant_shop.sql', 'V1__pgrant_shop.sql']);
    for (const [name, sql] of files) {
      if (!name.endsWith('.sql')) continue;
      expect(sql.split('\n').filter((l) => l.startsWith('\\')), name).toEqual([]);
      expect(sql, name).not.toMatch(/^(BEGIN|COMMIT);$/m);
      expect(sql, name).not.toContain('flyway-secret');
      expect(() => parseSync(sql), name).not.toThrow();
    }
    const server = servers.get(major)!;
    const admin = await connect(server, 'postgres');
    await admin.query('CREATE ROLE shop_owner NOLOGIN');
    const managed = deployer === 'managed';
    if (managed) await createAdmin(admin, ['shop_owner']);
    await admin.query(`CREATE DATABASE shop${managed ? ` OWNER ${ident(DBA.user)}` : ''}`);
    // Before 15 schema public belongs to the bootstrap superuser; providers hand it to their admin.
    if (managed && major < 15) await withDb(server, 'shop', (su) => su.query(`ALTER SCHEMA public OWNER TO ${ident(DBA.user)}`));
    const db = managed ? await connect({ ...server, host: server.tcpHost, user: DBA.user, password: DBA.password }, 'shop') : await connect(server, 'shop');
    // Flyway: one transaction per migration, the whole file sent over the connection.
    const migrate = async (name: string) => {
      await db.query('BEGIN');
      try {
        await db.query(files.get(name)!);
        await db.query('COMMIT');
      } catch (e) {
        await db.query('ROLLBACK');
        throw e;
      }
    };
    try {
      // The owner creates its table (a non-superuser may hand a table only to a role that may create it there).
      await db.query('GRANT CREATE ON SCHEMA public TO shop_owner; SET ROLE shop_owner; CREATE TABLE public.orders (id serial PRIMARY KEY); RESET ROLE');
      await migrate('V1__pgrant_shop.sql');
      await migrate('V1__pgrant_shop.sql'); // idempotent, as the repeatable runs may follow edits
      await migrate('R__pgrant_shop_verify.sql');
      // The owner adds a privilege by hand.
      await db.query('SET ROLE shop_owner; GRANT DELETE ON public.orders TO shop_readonly; RESET ROLE');
      const failure = await migrate('R__pgrant_shop_verify.sql').then(() => undefined, (e: { message: string; detail?: string }) => e);
      expect(failure?.message).toMatch(/pgrant verify: 1 checks failed for plan shop/);
      expect(failure?.detail).toBe('FAIL: role shop_readonly holds DELETE on table public.orders, which the plan does not grant');
      await migrate('U1__pgrant_shop.sql');
      expect((await db.query("SELECT 1 FROM pg_roles WHERE rolname IN ('shop_readonly', 'shop_app')")).rowCount).toBe(0);
    } finally {
      await db.end();
      await admin.query('DROP DATABASE shop WITH (FORCE)');
      for (const r of ['shop_readonly', 'shop_app', 'shop_owner']) await admin.query(`DROP ROLE IF EXISTS ${ident(r)}`);
      if (managed) await dropAdmin(admin);
      await admin.end();
    }
  });

  it('refuses what Flyway cannot do: psql password variables, creating the database', async () => {
    const r = await cli('render', 'examples/datatweets.yaml', '--layout', 'flyway', '--out', tempDir('flyway'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/comes from a psql variable, and Flyway has no psql/);
    expect(r.stderr).toMatch(/CREATE DATABASE cannot run inside a Flyway migration/);
    expect(readFileSync('README.md', 'utf8')).toMatch(/--layout flyway/);
  });
});
