// pgrant audit / diff on real servers: deploy, audit, no drift; change something by hand, drift named exactly.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSql } from '../../src/audit/audit.js';
import { connect, ident } from '../../src/harness/db.js';
import { runPsql } from '../../src/harness/psql.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { cli } from '../support/cli.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';

const servers = useServers();

// Run by the superuser, and by a managed service's admin (NOSUPERUSER CREATEROLE CREATEDB, owner of the database, member of app_owner).
const DBA = { user: 'audit_dba', password: 'audit-dba-secret' };

describe.each(TEST_MAJORS)('PostgreSQL %i', (major) => {
  it.each(['superuser', 'managed'] as const)('as the %s: deploy, audit: no drift; a grant and an attribute changed by hand: drift named exactly', async (deployer) => {
    const server = servers.get(major)!;
    const dir = tempDir('audit');
    const { files } = await renderPlanFile('examples/team.yaml', { postgres: major });
    for (const [name, content] of files) writeFileSync(join(dir, name), content);
    writeFileSync(join(dir, 'audit.sql'), auditSql());
    const admin = await connect(server, 'postgres');
    await admin.query('CREATE ROLE app_owner NOLOGIN');
    const managed = deployer === 'managed';
    if (managed) {
      await admin.query(`CREATE ROLE ${DBA.user} NOSUPERUSER LOGIN CREATEROLE CREATEDB PASSWORD '${DBA.password}'; GRANT app_owner TO ${DBA.user} WITH ADMIN OPTION`);
    }
    await admin.query(`CREATE DATABASE teamdb${managed ? ` OWNER ${DBA.user}` : ''}`);
    if (managed && major < 15) await runPsql(server, { database: 'teamdb', command: `ALTER SCHEMA public OWNER TO ${DBA.user}` });
    try {
      const run = (file: string, vars: Record<string, string> = {}) => runPsql(server, { database: 'teamdb', file, vars, ...(managed ? { login: DBA } : {}) });
      expect((await run('examples/team.fixture.sql')).code).toBe(0);
      const vars = { alice_password: 'a1', bob_password: 'b1', admin_password: 'c1', lead_dev_password: 'd1', appuser_password: 'e1' };
      const deploy = await run(join(dir, 'deploy.sql'), vars);
      expect(deploy.code, deploy.stderr).toBe(0);

      const audit = async () => {
        const r = await run(join(dir, 'audit.sql'));
        expect(r.code, r.stderr).toBe(0);
        const file = join(dir, 'state.json');
        writeFileSync(file, r.stdout);
        return file;
      };
      const state = await audit();
      // pgrant's bookkeeping, readable by the role that deployed (it owns table pgrant.managed_role): the plan's roles.
      const recorded = (JSON.parse(readFileSync(state, 'utf8')) as { managed_roles: { plan: string; role: string }[] | null }).managed_roles;
      expect(recorded?.map((r) => `${r.plan}: ${r.role}`).sort()).toEqual(
        ['team: admin', 'team: alice', 'team: appuser', 'team: bob', 'team: engineering', 'team: lead_dev', 'team: senior_engineers'],
      );
      // Any other login runs audit.sql too; the bookkeeping is not its to read.
      const asAlice = await runPsql(server, { database: 'teamdb', file: join(dir, 'audit.sql'), login: { user: 'alice', password: 'a1' } });
      expect(asAlice.code, asAlice.stderr).toBe(0);
      expect((JSON.parse(asAlice.stdout) as { managed_roles: unknown }).managed_roles).toBeNull();
      const clean = await cli('diff', 'examples/team.yaml', '--audit', state);
      expect(clean.stdout).toBe('pgrant diff: no drift between plan team and database teamdb');
      expect(clean.code).toBe(0);

      const db = await connect(server, 'teamdb');
      await db.query('GRANT TRUNCATE ON code_reviews TO engineering');
      await db.query('REVOKE DELETE ON code_reviews FROM senior_engineers');
      await db.query('ALTER ROLE lead_dev CONNECTION LIMIT 3');
      await db.query('DROP POLICY orders_user_policy ON orders');
      await db.end();
      const drifted = await cli('diff', 'examples/team.yaml', '--audit', await audit(), '--json');
      expect(drifted.code).toBe(1);
      expect(JSON.parse(drifted.stdout).drift).toEqual([
        { kind: 'missing', what: 'policy orders_user_policy on public.orders' },
        { kind: 'extra', what: 'role engineering holds TRUNCATE on table public.code_reviews' },
        { kind: 'different', what: 'role lead_dev: CONNECTION LIMIT is 3, the plan says -1' },
        { kind: 'missing', what: 'role senior_engineers lacks DELETE on table public.code_reviews' },
      ]);
    } finally {
      await admin.query('DROP DATABASE IF EXISTS teamdb WITH (FORCE)');
      for (const r of ['engineering', 'senior_engineers', 'alice', 'bob', 'admin', 'lead_dev', 'appuser', 'app_owner']) await admin.query(`DROP ROLE IF EXISTS ${ident(r)}`);
      if (managed) await admin.query(`DROP OWNED BY ${DBA.user}; DROP ROLE ${DBA.user}`);
      await admin.end();
    }
  });
});

describe('pgrant audit', () => {
  it('writes audit.sql, a read-only psql script', async () => {
    const dir = tempDir('audit');
    const r = await cli('audit', '--file', join(dir, 'audit.sql'));
    expect(r.code).toBe(0);
    expect(auditSql()).toMatch(/^BEGIN TRANSACTION READ ONLY;$/m);
    expect(auditSql()).toMatch(/^ROLLBACK;$/m);
  });

  it('--audit refuses a file that is not an audit', async () => {
    const dir = tempDir('audit');
    writeFileSync(join(dir, 'x.json'), '{"hello": 1}');
    const r = await cli('diff', 'examples/team.yaml', '--audit', join(dir, 'x.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not the JSON audit\.sql prints/);
  });
});
