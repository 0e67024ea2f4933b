// A plan deployed as a DBA would deploy it — roles it relies on, the fixture, deploy.sql with psql
// variables — for oracles that then look at the database on their own (access matrices, pgTAP).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { connect } from '../../src/harness/db.js';
import { rolesCreatedIn } from '../../src/harness/fixture-roles.js';
import { renderFor } from '../../src/harness/prove.js';
import { runPsql } from '../../src/harness/psql.js';
import type { Server } from '../../src/harness/server.js';
import { quoteIdent } from '../../src/sql/quote.js';

export interface Deployed {
  database: string;
  /** Login role → its password (the plan's {psql: VAR} passwords, fresh for this run). */
  passwords: Map<string, string>;
  /** The roles the plan creates. */
  roles: string[];
}

async function roleNames(server: Server): Promise<Set<string>> {
  const db = await connect(server, 'postgres');
  try {
    return new Set((await db.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname));
  } finally {
    await db.end();
  }
}

/**
 * Renders the plan for `major`, creates its database (or lets deploy.sql create it), loads the fixture,
 * runs deploy.sql and then `afterDeploy` SQL; calls `fn`; then drops the database and every role made.
 */
export async function withDeployed<T>(
  server: Server,
  major: number,
  plan: { file: string; fixture?: string; afterDeploy?: string },
  fn: (d: Deployed) => Promise<T>,
): Promise<T> {
  const rendered = await renderFor(plan.file, major);
  const dir = mkdtempSync(join(tmpdir(), 'pgrant-deployed-'));
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
    // Roles the plan only references exist before the fixture, except those the fixture creates itself
    // (as `pg_dumpall --globals-only` output would), as `pgrant test` does.
    const fixtureCreates = rolesCreatedIn(plan.fixture ? readFileSync(plan.fixture, 'utf8') : '');
    for (const role of model.external) {
      if (!before.has(role) && !role.startsWith('pg_') && !fixtureCreates.has(role)) await admin.query(`CREATE ROLE ${quoteIdent(role)} NOLOGIN`);
    }
    const deploy = () => runPsql(server, { database: createsDatabase ? 'postgres' : database, file: join(dir, 'deploy.sql'), vars });
    // A plan that creates its database: the first run creates it (and stops until the tables exist).
    if (createsDatabase) await deploy();
    else await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
    if (plan.fixture) {
      const f = await runPsql(server, { database, file: plan.fixture });
      expect(f.code, f.stderr).toBe(0);
    }
    const d = await deploy();
    expect(d.code, d.stderr).toBe(0);
    if (plan.afterDeploy) {
      const later = await runPsql(server, { database, command: plan.afterDeploy });
      expect(later.code, later.stderr).toBe(0);
    }
    return await fn({ database, passwords, roles: model.roles.map((r) => r.name) });
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    for (const role of await roleNames(server)) if (!before.has(role)) await admin.query(`DROP ROLE ${quoteIdent(role)}`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
