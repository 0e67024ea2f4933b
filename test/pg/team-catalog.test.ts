// Team patterns and includes, on real servers: examples/services.yaml (a team catalog, a plan split across
// included files) deploys exactly the catalog its hand-written equivalent deploys; and render --from-git
// on a commit that edits only a team pattern writes a migrate.sql that takes a deployed database to
// exactly what a fresh deploy of the edited plan gives.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, ident } from '../../src/harness/db.js';
import { runPsql } from '../../src/harness/psql.js';
import type { Server } from '../../src/harness/server.js';
import { snapshot, type Snapshot } from '../../src/harness/snapshot.js';
import { gitFiles } from '../../src/plan/files.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { cli } from '../support/cli.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';

const servers = useServers();
const FIXTURE = 'examples/services.fixture.sql';
const PASSWORDS = { rita_password: 'r1ta-pw', billing_app_password: 'b1lling-pw', dana_password: 'd4na-pw', orders_app_password: '0rders-pw' };

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgrant-team-'));
  temporary.push(dir);
  return dir;
}

/** Writes rendered files into a temporary folder; returns their paths by name. */
function writeFiles(files: Map<string, string>): Map<string, string> {
  const dir = tempDir();
  return new Map([...files].map(([name, content]) => (writeFileSync(join(dir, name), content), [name, join(dir, name)])));
}

/** A fresh database with the fixture; runs the scripts in order; returns the catalog snapshot; cleans up. */
async function deployed(server: Server, scripts: string[]): Promise<Snapshot> {
  const admin = await connect(server, 'postgres');
  await admin.query('CREATE ROLE shop_owner NOLOGIN');
  await admin.query('CREATE DATABASE shop');
  const db = await connect(server, 'shop');
  try {
    const fixture = await runPsql(server, { database: 'shop', file: FIXTURE });
    expect(fixture.stderr).toBe('');
    for (const script of scripts) {
      const r = await runPsql(server, { database: 'shop', file: script, vars: PASSWORDS });
      expect(r.code, `${script}: ${r.stderr}`).toBe(0);
    }
    const snap = await snapshot(db);
    snap.databases = snap.databases!.filter((d) => (d as { datname: string }).datname === 'shop');
    return snap;
  } finally {
    await db.end();
    await admin.query('DROP DATABASE shop WITH (FORCE)');
    const roles = (await admin.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname ~ '^(shop_|billing_|orders_|rita$|dana$)'")).rows;
    for (const { rolname } of roles) await admin.query(`DROP ROLE ${ident(rolname)}`);
    await admin.end();
  }
}

/** The roles the snapshot holds, by name (what the hand-written expectations below are checked against). */
const roleNames = (s: Snapshot) => (s.roles as { rolname: string }[]).map((r) => r.rolname).filter((n) => n !== 'postgres' && n !== 'shop_owner');

describe.each(TEST_MAJORS)('PostgreSQL %i', (major) => {
  it('a team pattern and includes deploy exactly what the plan written out by hand deploys', async () => {
    const server = servers.get(major)!;
    const team = writeFiles((await renderPlanFile('examples/services.yaml', { postgres: major })).files);
    const byHand = writeFiles((await renderPlanFile('test/team/services-by-hand.yaml', { postgres: major })).files);
    const fromTeam = await deployed(server, [team.get('deploy.sql')!]);
    const fromHand = await deployed(server, [byHand.get('deploy.sql')!]);
    expect(roleNames(fromTeam).sort()).toEqual(['billing_analysts', 'billing_app', 'dana', 'orders_analysts', 'orders_app', 'rita', 'shop_reporting']);
    expect(fromTeam).toEqual(fromHand);
  });

  it('render --from-git on a commit that edits only a team pattern: migrate.sql lists and makes the changes', async () => {
    const server = servers.get(major)!;
    const repo = tempDir();
    for (const path of ['services.yaml', 'services', 'team-patterns']) cpSync(join('examples', path), join(repo, path), { recursive: true });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=pgrant test', '-c', 'user.email=test@pgrant.invalid', ...args], { cwd: repo, stdio: 'pipe' });
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'v1');
    // The edit: services' analysts' groups are renamed readers, and the application logins lose DELETE.
    const file = join(repo, 'team-patterns', 'service.yaml');
    const v1 = readFileSync(file, 'utf8');
    const v2 = v1.replace('role: "{{name}}_analysts"', 'role: "{{name}}_readers"').replace('    schemas: ["{{schema}}"]\n    owners', '    privileges: [SELECT, INSERT, UPDATE]\n    schemas: ["{{schema}}"]\n    owners');
    expect(v2).not.toBe(v1);
    writeFileSync(file, v2);

    const out = tempDir();
    const plan = join(repo, 'services.yaml');
    const r = await cli('render', plan, '--from-git', 'HEAD', '--out', out, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const migrate = readFileSync(join(out, 'services', 'migrate.sql'), 'utf8');
    const changes = migrate.split('\n').filter((l) => l.startsWith('--   ')).join('\n');
    expect(changes).toMatch(/create role billing_readers/);
    expect(changes).toMatch(/create role orders_readers/);
    expect(changes).toMatch(/drop role billing_analysts/);
    expect(changes).toMatch(/add dana to billing_readers/);
    expect(changes).toMatch(/grant SELECT on every table in schema billing to billing_readers/);
    expect(changes).toMatch(/revoke DELETE on every table in schema billing from billing_app/);
    expect(changes).toMatch(/revoke DELETE on every table in schema orders from orders_app/);
    expect(changes).not.toMatch(/shop_reporting|rita/);

    // And it does what it says: v1 then migrate.sql is a fresh v2.
    const one = writeFiles((await renderPlanFile('examples/services.yaml', { postgres: major })).files);
    const old = gitFiles('HEAD', plan);
    const two = writeFiles((await renderPlanFile(plan, { postgres: major, from: { file: plan, files: old, text: old.read(plan), label: old.label(plan) } })).files);
    const fresh = await deployed(server, [two.get('deploy.sql')!]);
    const migrated = await deployed(server, [one.get('deploy.sql')!, two.get('migrate.sql')!]);
    expect(roleNames(fresh)).toContain('billing_readers');
    expect(roleNames(fresh)).not.toContain('billing_analysts');
    expect(migrated).toEqual(fresh);
  });
});
