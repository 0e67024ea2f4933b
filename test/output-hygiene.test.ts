// What pgrant prints carries no raw control character from a plan's values: an ESC sequence cannot reach
// the terminal, and a newline cannot fake a line of output.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReport } from '../src/harness/report.js';
import type { RunReport } from '../src/harness/run.js';
import { cli } from './support/cli.js';
import { tempDir } from './support/tmp.js';

const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

describe('printed output', () => {
  it('escapes control characters of plan values in CLI diagnostics', async () => {
    const dir = tempDir('hygiene');
    const plan = join(dir, 'plan.yaml');
    writeFileSync(plan, ['pgrant: 1', 'database: app', 'patterns:', '  - pattern: "readonly\\e[2J\\nplan.yaml:1:1: error: fake\\r\\u009b"', '    role: r', '    schemas: [sales]', ''].join('\n'));
    const r = await cli('render', plan, '--out', join(dir, 'out'));
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    const lines = r.stderr.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${plan}:4:14: error: patterns[0].pattern: unknown pattern "readonly\\x1b[2J\\nplan.yaml:1:1: error: fake\\r\\x9b"`);
    expect(lines[1]).toMatch(/^ {2}hint: /);
  });

  it('escapes control characters of server names in the pgrant test report', () => {
    const report = {
      ok: false,
      engine: 'embedded',
      majors: [17],
      deployers: ['superuser'],
      errors: [{ major: 17, message: 'server said "\x1b]0;owned\x07"' }],
      cases: [
        {
          file: 'plan.yaml', plan: 'p', major: 17, deployer: 'superuser', renderedFor: 17, ok: false, durationMs: 1, hints: ['table "a\nFAIL: b"'], cases: [],
          phases: [{ name: 'verify.sql', status: 'fail', detail: 'FAIL: role "x\x1b[31m" lacks SELECT\nsecond line' }],
          probes: [{ role: 'r\x1b[1m', capability: 'SELECT on t\r', expected: true, actual: true, ok: true }],
        },
      ],
    } as unknown as RunReport;
    const lines = formatReport(report);
    expect(lines.join('\n')).not.toMatch(RAW_CONTROL);
    expect(lines).toContain('      FAIL: role "x\\x1b[31m" lacks SELECT');
    expect(lines).toContain('      second line');
    expect(lines.some((l) => l.includes('hint: table "a\\nFAIL: b"'))).toBe(true);
  });
});
