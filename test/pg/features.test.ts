// Features no other test drove: deploy.sql's three stops, diff/audit --database-url, test --keep,
// --pg all, harden_public_schema and the plan-level reassign_to — each on a real server.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, type Db } from '../../src/harness/db.js';
import { runPsql } from '../../src/harness/psql.js';
import { SUPPORTED_MAJORS, type Server } from '../../src/harness/server.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { quoteIdent } from '../../src/sql/quote.js';
import { cli } from '../support/cli.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';

// PostgreSQL 14 is where harden_public_schema matters (PUBLIC may CREATE in public before 15).
const major = TEST_MAJORS.includes(14) ? 14 : TEST_MAJORS[0]!;
const servers = useServers([major]);
const scratch = mkdtempSync(join(tmpdir(), 'pgrant-features-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function rendered(plan: string, text?: string): Promise<Map<string, string>> {
  let file = plan;
  if (text !== undefined) {
    file = join(mkdtempSync(join(scratch, 'plan-')), 'plan.yaml');
    writeFileSync(file, text);
  }
  const { files } = await renderPlanFile(file, { postgres: major });
  const dir = mkdtempSync(join(scratch, 'files-'));
  const paths = new Map<string, string>();
  for (const [name, content] of files) {
    writeFileSync(join(dir, name), content);
    paths.set(name, join(dir, name));
  }
  return paths;
}

/** Runs `fn` with a fresh database and the given roles; drops everything it made afterwards. */
async function withDatabase(database: string, roles: string[], fn: (db: Db, server: Server) => Promise<void>): Promise<void> {
  const server = servers.get(major)!;
  const admin = await connect(server, 'postgres');
  const before = new Set((await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname));
  for (const r of roles) await admin.query(`CREATE ROLE ${quoteIdent(r)} NOLOGIN`);
  await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
  const db = await connect(server, database);
  try {
    await fn(db, server);
  } finally {
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    for (const { rolname } of (await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows) {
      if (!before.has(rolname)) await admin.query(`DROP ROLE ${quoteIdent(rolname)}`);
    }
    await admin.end();
  }
}

const roleCount = async (db: Db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_roles')).rows[0]!.n;
const PASSWORDS = { alice_password: 'a-1', streamflow_app_password: 'b-2', streamflow_dba_password: 'c-3' };

describe(`deploy.sql stops before changing anything (PostgreSQL ${major})`, () => {
  it('when a psql variable is missing, in another database, or when a table it relies on is missing', async () => {
    const files = await rendered('examples/streamflow.yaml');
    await withDatabase('streamflow', ['streamflow_owner'], async (db, server) => {
      const roles = await roleCount(db);
      // A table the plan names does not exist yet (no fixture loaded).
      const missing = await runPsql(server, { database: 'streamflow', file: files.get('deploy.sql')!, vars: PASSWORDS });
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/pgrant: the plan relies on objects that do not exist: .*table public\.artists.*; no role or privilege was changed/);
      expect(await roleCount(db)).toBe(roles);

      const fixture = await runPsql(server, { database: 'streamflow', file: 'examples/streamflow.fixture.sql' });
      expect(fixture.code, fixture.stderr).toBe(0);
      const { alice_password: _, ...withoutAlice } = PASSWORDS;
      const unset = await runPsql(server, { database: 'streamflow', file: files.get('deploy.sql')!, vars: withoutAlice });
      expect(unset.code).not.toBe(0);
      expect(unset.stderr).toMatch(/pgrant: psql variable alice_password is not set; nothing was changed/);
      expect(await roleCount(db)).toBe(roles);

      const elsewhere = await runPsql(server, { database: 'postgres', file: files.get('deploy.sql')!, vars: PASSWORDS });
      expect(elsewhere.code).not.toBe(0);
      expect(elsewhere.stderr).toMatch(/pgrant: this deploy\.sql is for database streamflow, but it runs in postgres; no role or privilege was changed/);
      expect(await roleCount(db)).toBe(roles);

      // And with everything in place it runs.
      const ok = await runPsql(server, { database: 'streamflow', file: files.get('deploy.sql')!, vars: PASSWORDS });
      expect(ok.code, ok.stderr).toBe(0);
      expect(await roleCount(db)).toBe(roles + 5);
    });
  });
});

describe(`commands against a running server (PostgreSQL ${major})`, () => {
  /** A superuser login for URLs; dropped with the database's roles. */
  async function urlFor(db: Db, server: Server, database: string): Promise<string> {
    const password = randomBytes(9).toString('base64url');
    await db.query(`CREATE ROLE feature_admin SUPERUSER LOGIN PASSWORD '${password}'`);
    return `postgresql://feature_admin:${password}@127.0.0.1:${server.port}/${database}`;
  }

  it('audit --database-url prints the state; diff --database-url is quiet when deployed and names drift', async () => {
    const files = await rendered('examples/team.yaml');
    await withDatabase('teamdb', ['app_owner'], async (db, server) => {
      expect((await runPsql(server, { database: 'teamdb', file: 'examples/team.fixture.sql' })).code).toBe(0);
      const vars = { alice_password: 'x1', bob_password: 'x2', admin_password: 'x3', lead_dev_password: 'x4', appuser_password: 'x5' };
      const deploy = await runPsql(server, { database: 'teamdb', file: files.get('deploy.sql')!, vars });
      expect(deploy.code, deploy.stderr).toBe(0);
      const url = await urlFor(db, server, 'teamdb');

      const audit = await cli('audit', '--database-url', url);
      expect(audit.code, audit.stderr).toBe(0);
      const state = JSON.parse(audit.stdout) as Record<string, unknown>;
      expect(JSON.stringify(state)).toContain('"senior_engineers"');

      const clean = await cli('diff', 'examples/team.yaml', '--database-url', url);
      expect(clean.code, clean.stdout + clean.stderr).toBe(0);

      await db.query('GRANT TRUNCATE ON public.users TO engineering');
      const drift = await cli('diff', 'examples/team.yaml', '--database-url', url);
      expect(drift.code).toBe(1);
      expect(drift.stdout + drift.stderr).toMatch(/engineering.*TRUNCATE.*users|TRUNCATE.*users.*engineering/);
    });
  });

  it('test --keep leaves the scratch database for inspection', async () => {
    await withDatabase('keep_probe', [], async (db, server) => {
      const url = await urlFor(db, server, 'postgres');
      const before = (await db.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'pgrant\\_test\\_%'")).rows;
      // One deployer: the managed admin a kept run leaves behind would own objects this cleanup does not drop.
      const r = await cli('test', 'examples/offboarding.yaml', '--database-url', url, '--keep', '--deployer', 'superuser');
      expect(r.code, r.stdout).toBe(0);
      const after = (await db.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'pgrant\\_test\\_%'")).rows;
      expect(after.length).toBe(before.length + 1);
      const kept = after.find((d) => !before.some((b) => b.datname === d.datname))!.datname;
      await db.query(`DROP DATABASE ${quoteIdent(kept)} WITH (FORCE)`);
    });
  });
});

describe(`harden_public_schema (PostgreSQL ${major})`, () => {
  const plan = (harden: boolean) => `pgrant: 1
database: hardened
patterns:
  - pattern: database
    name: hardened
    harden_public_schema: ${harden}
    connect: [h_reader]
  - pattern: readonly
    role: h_reader
`;
  it.each([true, false])('harden_public_schema: %s decides whether any role may CREATE in public', async (harden) => {
    const files = await rendered('', plan(harden));
    await withDatabase('hardened', ['h_outsider'], async (db, server) => {
      const r = await runPsql(server, { database: 'hardened', file: files.get('deploy.sql')! });
      expect(r.code, r.stderr).toBe(0);
      await db.query('BEGIN; SET LOCAL ROLE h_outsider');
      const created = await db.query('CREATE TABLE public.squatter (id int)').then(
        () => 'allowed',
        (e: { code?: string }) => (e.code === '42501' ? 'denied' : `error ${e.code}`),
      );
      await db.query('ROLLBACK');
      // Before 15 PUBLIC may create in public unless hardened; from 15 on PostgreSQL itself closes it.
      expect(created).toBe(!harden && major < 15 ? 'allowed' : 'denied');
    });
  });
});

describe(`reassign_to at the plan level (PostgreSQL ${major})`, () => {
  it("revert.sql hands what the plan's roles own to reassign_to, rows included", async () => {
    const files = await rendered(
      '',
      `pgrant: 1
database: reassigned
reassign_to: r_keeper
patterns:
  - pattern: roles
    roles:
      - name: r_worker
        grants:
          - {privileges: [USAGE, CREATE], schemas: [work]}
`,
    );
    await withDatabase('reassigned', ['r_keeper'], async (db, server) => {
      await db.query('CREATE SCHEMA work');
      expect((await runPsql(server, { database: 'reassigned', file: files.get('deploy.sql')! })).code).toBe(0);
      await db.query('SET ROLE r_worker; CREATE TABLE work.made (id int); INSERT INTO work.made VALUES (1), (2); RESET ROLE');
      const revert = await runPsql(server, { database: 'reassigned', file: files.get('revert.sql')! });
      expect(revert.code, revert.stderr).toBe(0);
      const owner = await db.query<{ owner: string; n: number }>("SELECT tableowner AS owner, (SELECT count(*)::int FROM work.made) AS n FROM pg_tables WHERE schemaname = 'work' AND tablename = 'made'");
      expect(owner.rows).toEqual([{ owner: 'r_keeper', n: 2 }]);
      expect((await db.query("SELECT 1 FROM pg_roles WHERE rolname = 'r_worker'")).rowCount).toBe(0);
    });
  });
});

describe('--pg all', () => {
  // As the superuser only: both deployers on every major are proven by test/examples.test.ts.
  it('runs a plan on every supported major', async () => {
    const r = await cli('test', 'examples/offboarding.yaml', '--pg', 'all', '--deployer', 'superuser', '--json');
    expect(r.code, r.stdout).toBe(0);
    const report = JSON.parse(r.stdout) as { majors: number[]; cases: { major: number; deployer: string; ok: boolean }[] };
    expect(report.majors).toEqual([...SUPPORTED_MAJORS]);
    const runs = report.cases.map((c) => `${c.major} ${c.deployer} ${c.ok}`);
    expect(runs).toEqual(SUPPORTED_MAJORS.map((m) => `${m} superuser true`));
  });
});
