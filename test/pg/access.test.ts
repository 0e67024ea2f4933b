// Hand-written access matrices, checked on every major: each example's examples/access/<name>.yaml and
// each pattern's test/access/<pattern>.yaml (a small plan, its fixture, its matrix). deploy.sql runs as
// a user would run it; then each role acts, and what PostgreSQL allows must be what the matrix says.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMatrix, readMatrix, type AccessMatrix } from '../support/access.js';
import { withDeployed } from '../support/deployed.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';

const servers = useServers();
const scratch = mkdtempSync(join(tmpdir(), 'pgrant-access-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Subject {
  name: string;
  plan: string;
  fixture?: string;
  matrix: AccessMatrix;
}

const examples: Subject[] = readdirSync('examples')
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => {
    const plan = `examples/${f}`;
    const test = (parse(readFileSync(plan, 'utf8')) as { test?: { fixture?: string } }).test;
    return { name: plan, plan, fixture: test?.fixture ? resolve('examples', test.fixture) : undefined, matrix: readMatrix(`examples/access/${f}`) };
  });

const patterns: Subject[] = readdirSync('patterns')
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => {
    const file = `test/access/${f}`;
    if (!existsSync(file)) throw new Error(`pattern ${basename(f, '.yaml')} has no hand-written access matrix (${file})`);
    const doc = parse(readFileSync(file, 'utf8')) as { plan: string; fixture?: string } & AccessMatrix;
    const dir = mkdtempSync(join(scratch, 'pattern-'));
    writeFileSync(join(dir, 'plan.yaml'), doc.plan);
    if (doc.fixture) writeFileSync(join(dir, 'fixture.sql'), doc.fixture);
    return { name: file, plan: join(dir, 'plan.yaml'), fixture: doc.fixture ? join(dir, 'fixture.sql') : undefined, matrix: { roles: doc.roles, after_deploy: doc.after_deploy } };
  });

describe.each(TEST_MAJORS)('access matrices on PostgreSQL %i', (major) => {
  it.each([...examples, ...patterns].map((s) => [s.name, s] as const))('%s', async (_name, subject) => {
    const server = servers.get(major)!;
    const plan = { file: subject.plan, fixture: subject.fixture, afterDeploy: subject.matrix.after_deploy };
    const { checks, roles } = await withDeployed(server, major, plan, async (d) => ({
      checks: await checkMatrix({ server, major, database: d.database, passwords: d.passwords }, subject.matrix),
      roles: d.roles,
    }));
    // Every role the plan creates has a row in the matrix, and every row was checked.
    const planned = [...roles].sort();
    expect(Object.keys(subject.matrix.roles).filter((r) => planned.includes(r)).sort()).toEqual(planned);
    expect(checks.length).toBeGreaterThan(0);
    const wrong = checks.filter((c) => c.actual !== c.expected);
    expect(wrong.map((c) => `${c.role}: ${c.action}: expected ${c.expected}, was ${c.actual}${c.message ? ` (${c.message})` : ''}`)).toEqual([]);
  });
});
