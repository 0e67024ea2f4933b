// The harness runs deploy.sql as the server's own superuser, whatever its name: `test` in the
// testcontainers module, anything behind --database-url. Here a server whose only superuser is
// `ops_admin` (no `postgres` role at all) proves a plan whose default privileges name no owner.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, literal } from '../../src/harness/db.js';
import { provePlan } from '../../src/harness/prove.js';
import { addressOf, startServer, type Server } from '../../src/harness/server.js';
import { cli } from '../support/cli.js';
import { TEST_MAJORS } from '../support/servers.js';

const major = TEST_MAJORS.includes(17) ? 17 : TEST_MAJORS[0]!;

// No `owners`: default privileges apply to tables the deployer (here ops_admin) creates later.
const PLAN = `pgrant: 1
name: su_readwrite
database: su_app
patterns:
  - pattern: readwrite
    role: su_writer
    schemas: [public]
    members: [su_bob]
`;

describe(`a server whose superuser is not called postgres (PostgreSQL ${major})`, () => {
  let server: Server;
  let dir: string;
  let plan: string;

  beforeAll(async () => {
    server = await startServer(major, { superuser: 'ops_admin' });
    dir = mkdtempSync(join(tmpdir(), 'pgrant-superuser-'));
    plan = join(dir, 'plan.yaml');
    writeFileSync(plan, PLAN);
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has no postgres role (the premise of this test)', async () => {
    const db = await connect(server, 'postgres');
    try {
      const roles = (await db.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY 1")).rows.map((r) => r.rolname);
      expect(roles).toEqual(['ops_admin']);
    } finally {
      await db.end();
    }
  });

  it('proves the plan, default privileges applying to tables ops_admin creates after deploy', async () => {
    const report = await provePlan({ planFile: plan, server: addressOf(server) });
    expect(report.phases.filter((p) => p.status === 'fail')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.phases.find((p) => p.name === 'objects created after deploy (default privileges)')?.detail).toBe('created public.pgrant_after_1 by ops_admin');
    // Written by hand: the readwrite group (and its member) may INSERT into a table created after deploy.
    const later = report.probes.filter((p) => p.capability === 'INSERT public.pgrant_after_1');
    expect(later.map((p) => [p.role, p.expected, p.actual]).sort()).toEqual([
      ['su_bob', true, true],
      ['su_writer', true, true],
    ]);
  });

  it('proves it through --database-url as that superuser', async () => {
    const password = 'ops-admin-secret';
    const db = await connect(server, 'postgres');
    try {
      await db.query(`ALTER ROLE ops_admin PASSWORD ${literal(password)}`);
    } finally {
      await db.end();
    }
    const url = `postgresql://ops_admin:${password}@127.0.0.1:${server.port}/postgres`;
    const result = await cli('test', plan, '--database-url', url, '--json');
    const report = JSON.parse(result.stdout) as { ok: boolean; engine: string; cases: { ok: boolean; phases: { name: string; status: string; detail?: string }[] }[] };
    expect(report.engine).toBe('database-url');
    expect(report.cases[0]!.phases.filter((p) => p.status === 'fail')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(result.code).toBe(0);
  });
});
