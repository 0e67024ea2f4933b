// The examples: out/ is fresh, and every example passes the harness on every supported major.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runTests } from '../src/harness/run.js';
import { formatReport } from '../src/harness/report.js';
import { cli } from './support/cli.js';
import { sharedEngine, TEST_MAJORS, useServers } from './support/servers.js';

const servers = useServers();
const examples = readdirSync('examples').filter((f) => f.endsWith('.yaml')).sort().map((f) => `examples/${f}`);

describe('examples', () => {
  it('out/ is fresh (pgrant render examples/*.yaml --check)', async () => {
    const r = await cli('render', ...examples, '--check');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  // One test per example (each on every major, as both deployers), on this file's servers: a slow run
  // fails one example at its own timeout, and nothing keeps running after it (no server of its own).
  it.each(examples)(`%s passes the harness on PostgreSQL ${TEST_MAJORS.join(', ')}, deployed by the superuser and by a managed service's admin`, async (example) => {
    const report = await runTests({ plans: [example], majors: TEST_MAJORS, deployers: ['superuser', 'managed'], engine: sharedEngine(servers) });
    const text = formatReport(report).join('\n');
    expect(report.errors).toEqual([]);
    expect(report.cases).toHaveLength(TEST_MAJORS.length * 2);
    for (const c of report.cases) {
      expect(c.ok, `${c.file} on PostgreSQL ${c.major} as ${c.deployer}:\n${text}`).toBe(true);
      expect(c.probes.length, `${c.file} on ${c.major} ran probes`).toBeGreaterThan(0);
      expect(c.phases.filter((p) => p.status === 'pass').map((p) => p.name)).toEqual(
        expect.arrayContaining(['deploy', 'deploy again (idempotent)', 'verify.sql', 'probes (act as each role)', 'verify.sql catches a privilege added by hand', 'revert']),
      );
    }
  });
});

// Golden cases that render are proven too, each on its own target major.
const renderable = readdirSync('test/cases')
  .filter((c) => existsSync(`test/cases/${c}/expected`))
  .sort()
  .map((c) => `test/cases/${c}/plan.yaml`);

describe('golden cases', () => {
  it('that render pass the harness on their target major', async () => {
    process.env.PGRANT_TEST_SVC_PASSWORD ??= 'correct horse battery staple';
    // The superuser only: the examples and test/pg/managed.test.ts cover the managed admin (suite time).
    const report = await runTests({ plans: renderable, deployers: ['superuser'], engine: sharedEngine(servers) });
    const text = formatReport(report).join('\n');
    expect(report.errors).toEqual([]);
    expect(report.cases).toHaveLength(renderable.length);
    for (const c of report.cases) expect(c.ok, `${c.file} on PostgreSQL ${c.major}:\n${text}`).toBe(true);
  });
});
