// Edited plans converge. For each kind of edit, on every major: deploy v1 then deploy v2, and deploy v1
// then migrate.sql, must both give the catalog a fresh deploy of v2 gives (roles, attributes, memberships,
// ACLs, default ACLs, policies). Privileges added by hand in scope go; outside scope, or on roles the
// plan does not manage, they stay.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { connect, ident } from '../../src/harness/db.js';
import { runPsql } from '../../src/harness/psql.js';
import type { Server } from '../../src/harness/server.js';
import { snapshot, type Snapshot } from '../../src/harness/snapshot.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';

const servers = useServers();
const BASE = readFileSync('test/converge/v1.yaml', 'utf8');
const FIXTURE = 'test/converge/fixture.sql';
const EXTERNAL = ['c_owner', 'c_owner2', 'c_external'];

type Plan = { patterns: Record<string, unknown>[] } & Record<string, unknown>;
const edit = (fn: (p: Plan) => void): string => {
  const p = parse(BASE) as Plan;
  fn(p);
  return stringify(p);
};
const pattern = (p: Plan, name: string) => p.patterns.find((x) => x.pattern === name)!;
const roleDef = (p: Plan, name: string) => (pattern(p, 'roles').roles as Record<string, unknown>[]).find((r) => r.name === name)!;

const SCENARIOS: [string, string][] = [
  ['removed member', edit((p) => (pattern(p, 'readonly').members = ['c_alice']))],
  ['removed table', edit((p) => (pattern(p, 'readwrite').tables = ['app.orders']))],
  ['removed schema', edit((p) => (pattern(p, 'readonly').schemas = ['app']))],
  ['narrowed privileges', edit((p) => ((roleDef(p, 'c_auditor').grants as Record<string, unknown>[])[1]!.privileges = ['SELECT']))],
  ['column list changed', edit((p) => ((roleDef(p, 'c_auditor').grants as Record<string, unknown>[])[2]!.columns = { 'app.customers': ['id', 'email'] }))],
  ['role removed', edit((p) => (pattern(p, 'roles').roles = (pattern(p, 'roles').roles as Record<string, unknown>[]).filter((r) => r.name !== 'c_auditor')))],
  ['role renamed', edit((p) => Object.assign(roleDef(p, 'c_old_name'), { name: 'c_new_name', renamed_from: 'c_old_name' }))],
  ['owner changed', edit((p) => (pattern(p, 'readonly').owners = ['c_owner2']))],
];

function write(text: string): string {
  const dir = tempDir('converge');
  const file = join(dir, 'plan.yaml');
  writeFileSync(file, text);
  return file;
}

async function files(text: string, major: number, from?: string): Promise<Map<string, string>> {
  const rendered = await renderPlanFile(write(text), { postgres: major, from: from ? { text: from, label: 'v1.yaml' } : undefined });
  const dir = tempDir('converge');
  const paths = new Map<string, string>();
  for (const [name, content] of rendered.files) {
    writeFileSync(join(dir, name), content);
    paths.set(name, join(dir, name));
  }
  return paths;
}

/** A fresh database with the fixture; runs the scripts in order; returns the catalog snapshot; cleans up. */
async function run(server: Server, scripts: string[], between?: (db: Awaited<ReturnType<typeof connect>>) => Promise<void>, verify?: string): Promise<Snapshot> {
  const admin = await connect(server, 'postgres');
  for (const r of EXTERNAL) await admin.query(`CREATE ROLE ${ident(r)} NOLOGIN`);
  await admin.query('CREATE DATABASE conv');
  const db = await connect(server, 'conv');
  try {
    const fixture = await runPsql(server, { database: 'conv', file: FIXTURE });
    expect(fixture.stderr).toBe('');
    for (const [i, script] of scripts.entries()) {
      if (i === 1) await between?.(db);
      const r = await runPsql(server, { database: 'conv', file: script });
      expect(r.code, `${script}: ${r.stderr}`).toBe(0);
    }
    if (verify) {
      const v = await runPsql(server, { database: 'conv', file: verify });
      expect(v.code, `${verify}: ${v.stdout}${v.stderr}`).toBe(0);
      expect(v.stdout).toMatch(/pgrant verify: all \d+ checks passed/);
    }
    const snap = await snapshot(db);
    // Only this database and the roles of this test; role OIDs and grantors of other runs do not matter.
    snap.databases = snap.databases!.filter((d) => (d as { datname: string }).datname === 'conv');
    return snap;
  } finally {
    await db.end();
    await admin.query('DROP DATABASE conv WITH (FORCE)');
    const left = (await admin.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE 'c\\_%'")).rows;
    for (const { rolname } of left) await admin.query(`DROP ROLE ${ident(rolname)}`);
    await admin.end();
  }
}

describe.each(TEST_MAJORS)('PostgreSQL %i', (major) => {
  it.each(SCENARIOS)('%s: deploy v1 → deploy v2, and deploy v1 → migrate.sql, equal a fresh deploy of v2', async (_name, v2) => {
    const server = servers.get(major)!;
    const one = await files(BASE, major);
    const two = await files(v2, major, BASE);
    const fresh = await run(server, [two.get('deploy.sql')!]);
    // And the new verify.sql passes on both.
    const deployed = await run(server, [one.get('deploy.sql')!, two.get('deploy.sql')!], undefined, two.get('verify.sql')!);
    const migrated = await run(server, [one.get('deploy.sql')!, two.get('migrate.sql')!], undefined, two.get('verify.sql')!);
    expect(deployed).toEqual(fresh);
    expect(migrated).toEqual(fresh);
    expect(readFileSync(two.get('migrate.sql')!, 'utf8')).toMatch(/^-- Changes:\n-- {3}/m);
  });

  it('a privilege added by hand is removed in scope, kept outside it and on roles the plan does not manage', async () => {
    const server = servers.get(major)!;
    const one = await files(BASE, major);
    const snap = await run(server, [one.get('deploy.sql')!, one.get('deploy.sql')!], async (db) => {
      await db.query('GRANT DELETE ON app.orders TO c_readers'); // in scope: goes
      await db.query('GRANT USAGE ON SCHEMA other TO c_readers; GRANT SELECT ON other.notes TO c_readers'); // outside scope: stays
      await db.query('GRANT DELETE ON app.orders TO c_external'); // a role the plan does not manage: stays
      await db.query('GRANT c_auditor TO c_external'); // someone else added to a managed group: stays
    });
    const relations = snap.relations as { nspname: string; relname: string; acl: string[] }[];
    const acl = (schema: string, table: string) => relations.find((r) => r.nspname === schema && r.relname === table)!.acl;
    expect(acl('app', 'orders')).not.toContain('c_readers=DELETE/c_owner');
    expect(acl('app', 'orders')).toContain('c_external=DELETE/c_owner');
    expect(acl('other', 'notes')).toContain('c_readers=SELECT/c_owner');
    expect(snap.memberships).toContainEqual(expect.objectContaining({ grp: 'c_auditor', member: 'c_external' }));
  });

  it('mode: additive: the next deploy keeps what was added by hand to that pattern\'s roles', async () => {
    const server = servers.get(major)!;
    const additive = await files(edit((p) => (pattern(p, 'readonly').mode = 'additive')), major);
    const snap = await run(server, [additive.get('deploy.sql')!, additive.get('deploy.sql')!], async (db) => {
      await db.query('GRANT DELETE ON app.orders TO c_readers'); // c_readers is additive: stays
      await db.query('GRANT TRUNCATE ON app.orders TO c_writers'); // c_writers is authoritative: goes
    });
    const orders = (snap.relations as { nspname: string; relname: string; acl: string[] }[]).find((r) => r.nspname === 'app' && r.relname === 'orders')!;
    expect(orders.acl).toContain('c_readers=DELETE/c_owner');
    expect(orders.acl).not.toContain('c_writers=TRUNCATE/c_owner');
  });
});
