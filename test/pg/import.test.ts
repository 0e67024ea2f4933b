// pgrant import on real servers: every example deployed then imported (live and from the audit JSON),
// a database set up by hand in plain SQL, and pattern recognition; each imported plan's deploy.sql
// must change nothing (catalog snapshots before and after) and its verify.sql must pass.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { connect, ident } from '../../src/harness/db.js';
import { runPsql } from '../../src/harness/psql.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { roundTrip, scratch } from '../support/import.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';

const servers = useServers();
const EXAMPLES = ['streamflow', 'datatweets', 'polardbpg', 'team', 'offboarding'];

/** Deploys an example as a DBA would: referenced roles and the database first, the schema, then deploy.sql. */
async function deployExample(major: number, example: string, s: Awaited<ReturnType<typeof scratch>>, server: Parameters<typeof scratch>[0]) {
  const { model, files } = await renderPlanFile(`examples/${example}.yaml`, { postgres: major });
  const database = model.plan.database;
  const admin = await connect(server, 'postgres');
  try {
    for (const r of model.external.filter((r) => !r.startsWith('pg_'))) await admin.query(`DO $$ BEGIN CREATE ROLE ${ident(r)}; EXCEPTION WHEN duplicate_object THEN END $$`);
  } finally {
    await admin.end();
  }
  await s.createDatabase(database);
  const fixture = `examples/${example}.fixture.sql`;
  if (existsSync(fixture)) {
    const r = await runPsql(server, { database, file: fixture });
    expect(r.code, r.stderr).toBe(0);
  } else {
    const db = await connect(server, database);
    for (const schema of model.scope.schemas.filter((x) => !model.schemas.some((c) => c.name === x && c.create))) await db.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
    for (const t of model.requiredTables) await db.query(`CREATE TABLE IF NOT EXISTS ${ident(t.schema)}.${ident(t.name)} (id serial PRIMARY KEY)`);
    await db.end();
  }
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(s.dir, 'example-deploy.sql'), files.get('deploy.sql')!);
  const vars = Object.fromEntries(model.roles.flatMap((r) => (r.password?.kind === 'psql' ? [[r.password.variable, `pw-${r.name}`]] : [])));
  const deploy = await runPsql(server, { database: model.databases.some((d) => d.create) ? 'postgres' : database, file: join(s.dir, 'example-deploy.sql'), vars });
  expect(deploy.code, deploy.stderr).toBe(0);
  return database;
}

describe.each(TEST_MAJORS)('PostgreSQL %i', (major) => {
  it.each(EXAMPLES)('example %s: deployed, imported live and from the audit; the imported deploy.sql changes nothing; verify passes', async (example) => {
    const server = servers.get(major)!;
    const s = await scratch(server);
    try {
      const database = await deployExample(major, example, s, server);
      const r = await roundTrip(server, s.dir, database, example);
      expect(r.live.stderr).toBe('');
      expect(r.live.code).toBe(0);
      expect(r.fromAudit.code).toBe(0);
      expect(r.lint.code, r.lint.stdout + r.lint.stderr).toBe(0);
      expect(r.deployStderr).not.toMatch(/removing/);
      expect(r.changes, r.yaml).toEqual([]);
      expect(r.verify.code, r.verify.stdout + r.verify.stderr).toBe(0);
    } finally {
      await s.done();
    }
  });
});
