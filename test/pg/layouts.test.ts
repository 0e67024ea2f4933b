// --layout flyway, proven by running the migrations as Flyway does (over a client connection, each in a
// transaction, no psql). Flyway itself is not installable here (it comes from Maven, which this network
// does not reach). --layout sqitch is proven with the real sqitch in sqitch.test.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModule, parseSync } from 'libpg-query';
import { connect, ident, withDb } from '../../src/harness/db.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { cli } from '../support/cli.js';
import { createAdmin, DBA, DEPLOYERS, dropAdmin } from '../support/layout-admin.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';

const major = TEST_MAJORS.includes(17) ? 17 : TEST_MAJORS[0]!;
const servers = useServers([major]);

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
      expect(failure?.detail).toBe('FAIL: role shop_readonly holds DELETE on table public.orders, which the plan does not grant (deploy.sql removes it; to remove it: REVOKE DELETE ON TABLE public.orders FROM shop_readonly CASCADE)');
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
