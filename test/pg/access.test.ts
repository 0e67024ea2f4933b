// Hand-written access matrices, checked on every major: each example's examples/<name>.access.yaml and
// each pattern's test/access/<pattern>.yaml (a small plan, its fixture, its matrix). deploy.sql runs as
// a user would run it; then each role acts, and what PostgreSQL allows must be what the matrix says.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/harness/db.js';
import { renderFor } from '../../src/harness/prove.js';
import { runPsql } from '../../src/harness/psql.js';
import type { Server } from '../../src/harness/server.js';
import { quoteIdent } from '../../src/sql/quote.js';
import { checkMatrix, readMatrix, type AccessMatrix } from '../support/access.js';
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
  .filter((f) => f.endsWith('.yaml') && !f.endsWith('.access.yaml'))
  .sort()
  .map((f) => {
    const plan = `examples/${f}`;
    const test = (parse(readFileSync(plan, 'utf8')) as { test?: { fixture?: string } }).test;
    return { name: plan, plan, fixture: test?.fixture ? resolve('examples', test.fixture) : undefined, matrix: readMatrix(`examples/${basename(f, '.yaml')}.access.yaml`) };
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

async function roleNames(server: Server): Promise<Set<string>> {
  const db = await connect(server, 'postgres');
  try {
    return new Set((await db.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname));
  } finally {
    await db.end();
  }
}

/** Deploys the plan as a DBA would (fixture first), checks the matrix, and removes everything it made. */
async function deployAndCheck(server: Server, major: number, subject: Subject) {
  const rendered = await renderFor(subject.plan, major);
  const dir = mkdtempSync(join(scratch, 'files-'));
  for (const [name, content] of rendered.files) writeFileSync(join(dir, name), content);
  const { model } = rendered;
  const database = model.plan.database;
  const passwords = new Map<string, string>();
  const vars: Record<string, string> = {};
  for (const r of model.roles) {
    if (r.password?.kind !== 'psql') continue;
    vars[r.password.variable] = randomBytes(12).toString('base64url');
    passwords.set(r.name, vars[r.password.variable]!);
  }
  const before = await roleNames(server);
  const admin = await connect(server, 'postgres');
  const createsDatabase = model.databases.some((d) => d.create && d.name === database);
  try {
    for (const role of model.external) if (!before.has(role) && !role.startsWith('pg_')) await admin.query(`CREATE ROLE ${quoteIdent(role)} NOLOGIN`);
    const deploy = () => runPsql(server, { database: createsDatabase ? 'postgres' : database, file: join(dir, 'deploy.sql'), vars });
    // A plan that creates its database: the first run creates it (and stops until the tables exist).
    if (createsDatabase) await deploy();
    else await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
    if (subject.fixture) {
      const f = await runPsql(server, { database, file: subject.fixture });
      expect(f.code, f.stderr).toBe(0);
    }
    const d = await deploy();
    expect(d.code, d.stderr).toBe(0);
    if (subject.matrix.after_deploy) {
      const later = await runPsql(server, { database, command: subject.matrix.after_deploy });
      expect(later.code, later.stderr).toBe(0);
    }
    return await checkMatrix({ server, major, database, passwords }, subject.matrix);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    for (const role of await roleNames(server)) if (!before.has(role)) await admin.query(`DROP ROLE ${quoteIdent(role)}`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.each(TEST_MAJORS)('access matrices on PostgreSQL %i', (major) => {
  it.each([...examples, ...patterns].map((s) => [s.name, s] as const))('%s', async (_name, subject) => {
    const checks = await deployAndCheck(servers.get(major)!, major, subject);
    // Every role the plan creates has a row in the matrix, and every row was checked.
    const rendered = await renderFor(subject.plan, major);
    const planned = rendered.model.roles.map((r) => r.name).sort();
    expect(Object.keys(subject.matrix.roles).filter((r) => planned.includes(r)).sort()).toEqual(planned);
    expect(checks.length).toBeGreaterThan(0);
    const wrong = checks.filter((c) => c.actual !== c.expected);
    expect(wrong.map((c) => `${c.role}: ${c.action}: expected ${c.expected}, was ${c.actual}${c.message ? ` (${c.message})` : ''}`)).toEqual([]);
  });
});
