// Lint rules: each finding with its location, level and rule id; render refuses on errors.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../src/lint/rules.js';
import { cli } from './support/cli.js';
import { tempDir } from './support/tmp.js';

describe('pgrant lint', () => {
  it('reports every rule at the plan element that causes it, and exits 1 on errors', async () => {
    const r = await cli('lint', 'test/lint/all-rules.yaml', '--json');
    expect(r.code).toBe(1);
    const findings = JSON.parse(r.stdout) as { line: number; col: number; level: string; rule: string; message: string; hint: string }[];
    const byRule = (rule: string) => findings.filter((f) => f.rule === rule);
    expect(byRule('superuser')).toMatchObject([{ level: 'error', line: 7, col: 11 }]);
    expect(byRule('plaintext-password')).toMatchObject([{ level: 'warning', line: 9 }]);
    expect(byRule('schema-usage')).toMatchObject([{ level: 'error', line: 15, message: expect.stringMatching(/role "reporting" gets SELECT on objects in schema "sales" but no USAGE/) }]);
    expect(byRule('all-tables-without-defaults')).toMatchObject([{ level: 'warning', line: 16 }]);
    expect(byRule('defaults-without-owners').map((f) => f.line)).toEqual([10, 15]);
    expect(byRule('grant-option')).toMatchObject([{ level: 'warning', line: 21 }]);
    expect(byRule('direct-login-grant')).toMatchObject([{ level: 'info', line: 21 }]);
    expect(byRule('public-schema-create')).toMatchObject([{ level: 'warning' }]);
    for (const f of findings) expect(f.hint, f.rule).toBeTruthy();
  });

  it('prints file:line:col: level: message (rule-id) with a hint', async () => {
    const r = await cli('lint', 'test/lint/all-rules.yaml');
    expect(r.stdout).toMatch(/^test\/lint\/all-rules\.yaml:7:11: error: patterns\[0\]\.role: role "boss" is a SUPERUSER: .* \(superuser\)\n {2}hint: remove superuser, or write allow_superuser: true/m);
    expect(r.stdout).toMatch(/^pgrant lint: 2 error\(s\), \d+ warning\(s\), \d+ note\(s\)$/m);
  });

  it('CREATEROLE on PostgreSQL 16+ gets a note about ADMIN OPTION', async () => {
    const dir = tempDir('lint');
    writeFileSync(join(dir, 'p.yaml'), 'pgrant: 1\ndatabase: app\npostgres: 16\npatterns:\n  - pattern: admin\n    role: dba\n    owners: [app_owner]\n');
    const r = await cli('lint', join(dir, 'p.yaml'), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'createrole-pg16', level: 'info' })]));
  });

  it('allow_superuser silences the superuser error', async () => {
    const dir = tempDir('lint');
    writeFileSync(join(dir, 'p.yaml'), 'pgrant: 1\ndatabase: app\npatterns:\n  - pattern: admin\n    role: root2\n    superuser: true\n    allow_superuser: true\n    owners: [o]\n');
    const r = await cli('lint', join(dir, 'p.yaml'), '--json');
    expect(JSON.parse(r.stdout).filter((f: { rule: string }) => f.rule === 'superuser')).toEqual([]);
  });

  it('a clean plan has no findings, and names too long are reported with their rule', async () => {
    const clean = await cli('lint', 'test/lint/clean.yaml');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe('pgrant lint: 0 error(s), 0 warning(s), 0 note(s)');
    const long = await cli('lint', 'test/cases/name-too-long/plan.yaml', '--json');
    expect(long.code).toBe(1);
    expect(JSON.parse(long.stdout)[0]).toMatchObject({ rule: 'name-too-long', level: 'error', line: 5, col: 11 });
  });

  it('render runs the same rules: it refuses to write on errors and prints warnings', async () => {
    const out = tempDir('lint');
    const refused = await cli('render', 'test/lint/all-rules.yaml', '--out', out);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\(superuser\)/);
    expect(readdirSync(out)).toEqual([]);
    const ok = await cli('render', 'test/cases/hostile-names/plan.yaml', '--out', out);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/warning: .*\(plaintext-password\)/);
    expect((await cli('render', 'test/cases/hostile-names/plan.yaml', '--out', out, '--quiet')).stderr).toBe('');
    // Notes (info) only with --verbose; pgrant lint always shows them.
    expect((await cli('render', 'examples/team.yaml', '--out', out)).stderr).toBe('');
    expect((await cli('render', 'examples/team.yaml', '--out', out, '--verbose')).stderr).toMatch(/info: .*\(direct-login-grant\)/);
  });

  it('runs on every example: no errors, and only the findings each example means to show', async () => {
    const r = await cli('lint', ...readdirSync('examples').filter((f) => f.endsWith('.yaml')).sort().map((f) => `examples/${f}`), '--json');
    expect(r.code).toBe(0);
    const found = (JSON.parse(r.stdout) as { file: string; rule: string; level: string }[]).map((f) => `${f.file} ${f.level} ${f.rule}`);
    expect(found).toEqual([
      // The DBA account and the team example's admin have CREATEROLE, which means less since PostgreSQL 16.
      'examples/streamflow.yaml info createrole-pg16',
      'examples/team.yaml info createrole-pg16',
      // the team example's admin and application user are logins with their own grants, on purpose.
      'examples/team.yaml info direct-login-grant',
      'examples/team.yaml info direct-login-grant',
    ]);
  });

  it('every rule has an id, a level and a summary (documented in the README)', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync('README.md', 'utf8');
    for (const rule of RULES) {
      expect(rule.summary.length).toBeGreaterThan(10);
      expect(readme, rule.id).toContain(`\`${rule.id}\``);
    }
  });
});
