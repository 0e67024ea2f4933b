// Every example passes `pgrant test --hostile` on the oldest and the newest major, as both deployers
// (issue 23): every generated file (and the harness's own SQL) pinned to search_path = pg_catalog,
// pg_temp and standard_conforming_strings = on, no password in the log or pg_stat_statements when
// deploy.sql fails after its password step, and no power left to a squatter that owns the database.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatReport } from '../../src/harness/report.js';
import { runTests } from '../../src/harness/run.js';
import { TEST_MAJORS } from '../support/servers.js';

const examples = readdirSync('examples').filter((f) => f.endsWith('.yaml')).sort().map((f) => `examples/${f}`);
const wanted = TEST_MAJORS.filter((m) => m === 14 || m === 18);
const MAJORS = wanted.length ? wanted : TEST_MAJORS;

describe('examples on a hostile server', () => {
  it(`pass pgrant test --hostile on PostgreSQL ${MAJORS.join(' and ')}, deployed by the superuser and by a managed service's admin`, async () => {
    const report = await runTests({ plans: examples, majors: MAJORS, deployers: ['superuser', 'managed'], engine: 'embedded', hostile: true });
    const text = formatReport(report).join('\n');
    expect(report.errors).toEqual([]);
    expect(report.cases).toHaveLength(examples.length * MAJORS.length * 2);
    for (const c of report.cases) {
      expect(c.ok, `${c.file} on PostgreSQL ${c.major} as ${c.deployer}:\n${text}`).toBe(true);
      expect(c.phases.filter((p) => p.status === 'pass').map((p) => p.name)).toEqual(
        expect.arrayContaining(['hostile server: overloads planted, settings changed, roles squatted', 'deploy', 'revert', 'hostile: no planted overload ran, no password in the log or statistics, no meta-command']),
      );
    }
  }, 1_800_000);
});
