// Round trips for pgrant import: a database set up (by pgrant or by hand), imported live and from the
// audit JSON, the imported plan rendered and deployed on the same database, catalog snapshots compared.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditSql } from '../../src/audit/audit.js';
import { connect, ident, literal } from '../../src/harness/db.js';
import { runPsql } from '../../src/harness/psql.js';
import type { ServerAddress } from '../../src/harness/server.js';
import { diffSnapshots, snapshot } from '../../src/harness/snapshot.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { cli, type CliResult } from './cli.js';

/** A connection URL for the superuser over the server's Unix socket. */
export function urlOf(server: ServerAddress, database?: string): string {
  const query = new URLSearchParams({ host: server.host, port: String(server.port), user: server.user });
  if (server.password) query.set('password', server.password);
  return `postgresql:///${database ? encodeURIComponent(database) : ''}?${query.toString()}`;
}

/** A scratch folder and the roles of a server, cleaned up by `done()`: temporary files, databases, roles. */
export async function scratch(server: ServerAddress) {
  const dir = mkdtempSync(join(tmpdir(), 'pgrant-import-'));
  const admin = await connect(server, 'postgres');
  const initialRoles = new Set((await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname));
  const databases: string[] = [];
  return {
    dir,
    async createDatabase(name: string) {
      await admin.query(`CREATE DATABASE ${ident(name)}`);
      databases.push(name);
    },
    async done() {
      for (const d of databases) await admin.query(`DROP DATABASE IF EXISTS ${ident(d)} WITH (FORCE)`);
      const roles = (await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname).filter((r) => !initialRoles.has(r));
      for (const r of roles) await admin.query(`DROP OWNED BY ${ident(r)}`);
      for (const r of roles) await admin.query(`DROP ROLE ${ident(r)}`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * pgrant's own bookkeeping of the roles it manages (a role setting pgrant.*, or objects in its schema
 * `pgrant`) is not access state of the database: left out of the comparison.
 */
const BOOKKEEPING = [/^role_settings: .*pgrant\./, /^(relations|schemas): [-+] \{"nspname":"pgrant"/, /^routines: [-+] \{"routine":"pgrant\./];

function accessDiff(before: Record<string, unknown[]>, after: Record<string, unknown[]>): string[] {
  return diffSnapshots(before, after).filter((d) => !BOOKKEEPING.some((re) => re.test(d)));
}

export interface RoundTrip {
  live: CliResult;
  fromAudit: CliResult;
  yaml: string;
  lint: CliResult;
  deployStderr: string;
  changes: string[];
  verify: { code: number; stdout: string; stderr: string };
}

/**
 * Imports `database` live and from audit.sql's JSON (both must give the same plan), lints the plan,
 * deploys its deploy.sql on the same database and returns what changed in the catalog, then verifies.
 */
export async function roundTrip(server: ServerAddress, dir: string, database: string, name: string, extra: string[] = []): Promise<RoundTrip> {
  const planFile = join(dir, `${name}.yaml`);
  const live = await cli('import', '--database-url', urlOf(server), '--database', database, '-o', planFile, '--quiet', ...extra);
  const yaml = readFileSync(planFile, 'utf8');
  writeFileSync(join(dir, 'audit.sql'), auditSql());
  const audit = await runPsql(server, { database, file: join(dir, 'audit.sql') });
  if (audit.code !== 0) throw new Error(audit.stderr);
  writeFileSync(join(dir, 'state.json'), audit.stdout);
  const airGapped = join(dir, 'air-gapped', `${name}.yaml`);
  rmSync(join(dir, 'air-gapped'), { recursive: true, force: true });
  await import('node:fs').then((fs) => fs.mkdirSync(join(dir, 'air-gapped')));
  const fromAudit = await cli('import', '--audit', join(dir, 'state.json'), '-o', airGapped, '--quiet', ...extra);
  if (readFileSync(airGapped, 'utf8') !== yaml) throw new Error('the live and the air-gapped imports differ');
  const lint = await cli('lint', planFile);

  const { files } = await renderPlanFile(planFile);
  for (const [file, content] of files) writeFileSync(join(dir, file), content);
  const db = await connect(server, database);
  try {
    const before = await snapshot(db);
    const deploy = await runPsql(server, { database, file: join(dir, 'deploy.sql'), vars: {} });
    if (deploy.code !== 0) throw new Error(`deploy.sql of the imported plan failed: ${deploy.stderr}\n${yaml}`);
    const after = await snapshot(db);
    const verify = await runPsql(server, { database, file: join(dir, 'verify.sql') });
    return { live, fromAudit, yaml, lint, deployStderr: deploy.stderr, changes: accessDiff(before, after), verify };
  } finally {
    await db.end();
  }
}

export { literal };
