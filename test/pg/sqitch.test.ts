// --layout sqitch, proven with the real sqitch (Debian package: apt-get install sqitch), as the superuser
// and as a managed service's admin: deploy, verify (and fail verification after a change by hand), revert.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, ident } from '../../src/harness/db.js';
import { cli } from '../support/cli.js';
import { createAdmin, DBA, DEPLOYERS, dropAdmin } from '../support/layout-admin.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';
import { hasTool } from '../support/tools.js';

const major = TEST_MAJORS.includes(17) ? 17 : TEST_MAJORS[0]!;

if (await hasTool('sqitch')) {
  const servers = useServers([major]);

  describe(`--layout sqitch (real sqitch, PostgreSQL ${major})`, () => {
    it.each(DEPLOYERS)('as the %s: deploys, verifies (and fails verification after a change by hand), reverts', async (deployer) => {
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
}
