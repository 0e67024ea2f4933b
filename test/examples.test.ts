// The examples: out/ is fresh, and every example passes the harness on every supported major.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runTests } from '../src/harness/run.js';
import { formatReport } from '../src/harness/report.js';
import { cli } from './support/cli.js';
import { TEST_MAJORS } from './support/servers.js';

const examples = readdirSync('examples').filter((f) => f.endsWith('.yaml')).sort().map((f) => `examples/${f}`);

describe('examples', () => {
  it('out/ is fresh (pgrant render examples/*.yaml --check)', async () => {
    const r = await cli('render', ...examples, '--check');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it(`pass the harness on PostgreSQL ${TEST_MAJORS.join(', ')}, deployed by the superuser and by a managed service's admin`, async () => {
    const report = await runTests({ plans: examples, majors: TEST_MAJORS, deployers: ['superuser', 'managed'], engine: 'embedded' });
    const text = formatReport(report).join('\n');
    expect(report.errors).toEqual([]);
    expect(report.cases).toHaveLength(examples.length * TEST_MAJORS.length * 2);
    for (const c of report.cases) {
      expect(c.ok, `${c.file} on PostgreSQL ${c.major} as ${c.deployer}:\n${text}`).toBe(true);
      expect(c.probes.length, `${c.file} on ${c.major} ran probes`).toBeGreaterThan(0);
      expect(c.phases.filter((p) => p.status === 'pass').map((p) => p.name)).toEqual(
        expect.arrayContaining(['deploy', 'deploy again (idempotent)', 'verify.sql', 'probes (act as each role)', 'verify.sql catches a privilege added by hand', 'revert']),
      );
    }
    // Twice the runs of one deployer (5 examples × 5 majors × 2): more time on a busy 2-core machine.
  }, 900_000);
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
    const report = await runTests({ plans: renderable, deployers: ['superuser'], engine: 'embedded' });
    const text = formatReport(report).join('\n');
    expect(report.errors).toEqual([]);
    expect(report.cases).toHaveLength(renderable.length);
    for (const c of report.cases) expect(c.ok, `${c.file} on PostgreSQL ${c.major}:\n${text}`).toBe(true);
  });
});
