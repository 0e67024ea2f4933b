// Proves one plan on one server, as one deployer (the superuser, or a managed service's admin): each phase
// below is a function over one shared context, run in the README's order: setup → fixture → deploy →
// deploy again → objects created later → verify → probes → the plan's own cases → verify catches drift →
// logins → revert. `pgrant test --deployer both` runs the list once per deployer.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../diagnostics.js';
import type { Model } from '../model/model.js';
import { auditSql } from '../audit/audit.js';
import { renderPlanFile, type Rendered } from '../pipeline.js';
import { connect, ident, literal, type Db } from './db.js';
import { asDeployer, connectAsDeployer, createManagedAdmin, dropManagedAdmin, superuserDeployer, type Deployer, type DeployerKind } from './deployer.js';
import { readFacts } from './facts.js';
import { Intent, type RuntimeRoles } from './intent.js';
import { PhaseSkipped, proofOk } from './outcome.js';
import { createProbeFunctions } from './probe-objects.js';
import { buildProbes, describeProbeFailure, runProbes, type ProbeResult } from './probes.js';
import { runPsql, type PsqlResult } from './psql.js';
import type { ServerAddress } from './server.js';
import { diffSnapshots, snapshot } from './snapshot.js';
import { describeFailure } from './errors.js';
import { planRolesNeededByFixture, rolesCreatedIn } from './fixture-roles.js';
import { holdRole, hostileFindings, makeHostile, MARKER_VARIABLE, pinnedConnection, squatterPower, stopAfterPasswords, takeMarks, type Hostile } from './hostile.js';

export interface PhaseReport {
  name: string;
  /** 'pass' | 'fail' | 'skip' (not run because an earlier phase failed, or nothing to do: says why). */
  status: 'pass' | 'fail' | 'skip';
  detail?: string;
  /** Where an unexpected error came from: shown only with --verbose. */
  stack?: string;
}

export interface CaseCheck {
  as: string;
  sql: string;
  expected: string;
  ok: boolean;
  actual: string;
}

export interface CaseReport {
  plan: string;
  file: string;
  major: number;
  /** Who ran the generated files: the server's superuser, or a managed service's admin (not a superuser). */
  deployer: DeployerKind;
  /** The major the SQL was rendered for (the plan's target, or the server's when older). */
  renderedFor: number;
  ok: boolean;
  phases: PhaseReport[];
  probes: ProbeResult[];
  cases: CaseCheck[];
  /** Lint hints that need the fixture's schema (not failures). */
  hints: string[];
  durationMs: number;
}

export interface ProveOptions {
  planFile: string;
  server: ServerAddress;
  /** Who runs the generated files (default: the superuser). */
  deployer?: DeployerKind;
  /** Overrides the plan's `test.fixture`. */
  fixture?: string;
  /** Run in a scratch database with this name instead of the plan's (shared servers). */
  scratchDatabase?: string;
  /** Keep the database after the run (for inspection). */
  keep?: boolean;
  onPhase?: (phase: string) => void;
  /** Test seam: runs right after the second deploy, e.g. to add a privilege the plan does not give. */
  afterDeploy?: (db: Db) => Promise<void>;
  /** Test seam: runs after the fixture, before deploy (e.g. a canary table the plan must not touch). */
  beforeDeploy?: (db: Db) => Promise<void>;
  /** Test seam: runs after revert.sql, before the database is dropped (e.g. the canary is still intact). */
  afterRevert?: (db: Db) => Promise<void>;
  /** Passwords for psql variables (default: random). The fuzz tests give hostile ones. */
  passwordFor?: (variable: string) => string;
  /** Make the server hostile before deploy (`pgrant test --hostile`, see hostile.ts) and fail on what it catches. */
  hostile?: boolean;
  /** Test seam: runs on each rendered file's text before it is written (e.g. a template with a line taken out). */
  editFile?: (name: string, content: string) => string;
}

class PhaseFailed extends Error {}

function psqlError(r: PsqlResult): string {
  const lines = (r.stderr + r.stdout).split('\n').filter((l) => /ERROR|FATAL|FAIL|HINT|DETAIL|psql:/.test(l));
  return (lines.length ? lines : (r.stderr || r.stdout).split('\n')).slice(0, 12).join('\n').trim();
}

/** Renders the plan for a server: the plan's own files when the server is as new as its target, else re-rendered for the server's major. */
export async function renderFor(planFile: string, major: number, scratchDatabase?: string): Promise<Rendered> {
  const own = await renderPlanFile(planFile, { database: scratchDatabase });
  if (major >= own.plan.postgres) return own;
  return renderPlanFile(planFile, { postgres: major, database: scratchDatabase });
}

/** What every phase shares: the plan, the server, the deployer, and what earlier phases found. */
interface Run {
  options: ProveOptions;
  server: ServerAddress;
  model: Model;
  plan: Rendered['plan'];
  database: string;
  report: CaseReport;
  /** The rendered files, written here for psql. */
  dir: string;
  /** Passwords for psql variables: fresh per run, never written anywhere. */
  passwords: Map<string, string>;
  /** A plan that creates its database runs deploy.sql from the maintenance database (its header says so). */
  createsDatabase: boolean;
  deployer: Deployer;
  /** The superuser in the maintenance database: sets up and cleans up. */
  maintenance: Db;
  /** The superuser in the plan's database: reads the catalog and acts as roles (SET ROLE) to measure. */
  admin?: Db;
  rolesBefore: Set<string>;
  /** The plan's roles. */
  managed: string[];
  /** Roles this run creates (the plan's, stand-ins for external ones, the fixture's): the only ones it drops. */
  createdRoles: Set<string>;
  checksums: Map<string, string>;
  createdAfter: Map<string, string>;
  /** Functions the harness made in each schema, closed to PUBLIC, so EXECUTE probes have one to deny. */
  probeFunctions: string[];
  /** The fixture file (`--fixture`, or the plan's `test.fixture`), if any. */
  fixtureFile?: string;
  /** Its text, read once ('' when unreadable: the fixture phase then reports psql's message). */
  fixtureSql?: string;
  /** With --hostile: what was planted, and a connection that resolves names in pg_catalog only. */
  hostile?: Hostile;
  hostileDb?: Db;
  /** What the first deploy printed (deploy.sql's reports, e.g. about a squatter). */
  deployOutput: string;
}

/**
 * Runs a generated file with psql, as the deployer. On a hostile server, each planted overload that ran
 * meanwhile is charged to this file, and psql's environment names the marker a smuggled meta-command would create.
 */
async function psqlFile(run: Run, file: string, extra: { vars?: Record<string, string>; env?: Record<string, string> } = {}): Promise<PsqlResult> {
  const database = file === 'deploy.sql' && run.createsDatabase ? 'postgres' : run.database;
  const as = asDeployer(run.deployer, run.server);
  const env: Record<string, string> = { ...as.env, ...(run.hostile ? { [MARKER_VARIABLE]: run.hostile.markerFile } : {}), ...extra.env };
  if (as.env?.PGOPTIONS && extra.env?.PGOPTIONS) env.PGOPTIONS = `${as.env.PGOPTIONS} ${extra.env.PGOPTIONS}`;
  if (run.hostile) await takeMarks(run.hostileDb!, run.hostile, "the harness's own SQL");
  const result = await runPsql(run.server, { database, file: join(run.dir, file), vars: { ...Object.fromEntries(run.passwords), ...extra.vars }, ...as, env });
  if (run.hostile) await takeMarks(run.hostileDb!, run.hostile, file, result.stderr);
  return result;
}

const rolesNow = async (run: Run) => new Set((await run.maintenance.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname));

type PhaseResult = Promise<string | void>;

async function setup(run: Run): PhaseResult {
  const { maintenance, model, database } = run;
  const clash = run.managed.filter((r) => run.rolesBefore.has(r));
  if (clash.length) throw new PhaseFailed(`roles the plan creates already exist on this server: ${clash.join(', ')}; refusing to touch them`);
  const exists = await maintenance.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (exists.rowCount) throw new PhaseFailed(`database ${database} already exists on this server; refusing to use it`);
  // Roles the plan relies on but does not create (owners, groups, provider roles such as rds_iam) exist
  // before the fixture. A role the fixture creates itself is left to it.
  const fixtureCreates = rolesCreatedIn(run.fixtureSql ?? '');
  for (const name of model.external) {
    if (!run.rolesBefore.has(name) && !name.startsWith('pg_') && !fixtureCreates.has(name)) {
      await maintenance.query(`CREATE ROLE ${ident(name)} NOLOGIN`);
      run.createdRoles.add(name);
    }
  }
  const managedAdmin = run.options.deployer === 'managed';
  if (managedAdmin) run.deployer = await createManagedAdmin(maintenance, model);
  await createPlanRolesForFixture(run);
  const who = managedAdmin ? `deployer ${run.deployer.name}: NOSUPERUSER CREATEROLE CREATEDB, owner of the database` : `deployer ${run.deployer.name} (superuser)`;
  if (run.createsDatabase) {
    // Before 15 schema public belongs to the bootstrap superuser; providers hand it to their admin (from 15
    // it belongs to pg_database_owner). The database deploy.sql creates is copied from template1.
    if (managedAdmin && run.server.major < 15) await publicSchemaOwner(run, 'template1', run.deployer.name);
    return `${who}; deploy.sql creates the database`;
  }
  // The managed admin owns the database, as it owns the ones it creates on a provider.
  await maintenance.query(`CREATE DATABASE ${ident(database)}${managedAdmin ? ` OWNER ${ident(run.deployer.name)}` : ''}`);
  run.admin = await connect(run.server, database, { pinned: true });
  if (managedAdmin && run.server.major < 15) await publicSchemaOwner(run, database, run.deployer.name);
  return who;
}

/**
 * Roles the plan creates that the fixture needs (e.g. the migration role owning its schema) exist first, as
 * NOLOGIN: deploy.sql then converges them like any existing role. Made by the superuser, as by whoever ran
 * the migrations; the managed admin is given them WITH ADMIN OPTION (what deploy.sql asks for from 16).
 */
async function createPlanRolesForFixture(run: Run): Promise<void> {
  const needed = planRolesNeededByFixture(run.model, run.fixtureSql ?? autoFixture(run.model, run.deployer.name));
  for (const name of needed) {
    await run.maintenance.query(`CREATE ROLE ${ident(name)} NOLOGIN`);
    if (run.deployer.kind === 'managed') await run.maintenance.query(`GRANT ${ident(name)} TO ${ident(run.deployer.name)} WITH ADMIN OPTION`);
  }
}

/** Gives schema public of a database to a role (the managed admin before 15, and back to the superuser after the run). */
async function publicSchemaOwner(run: Run, database: string, owner: string): Promise<void> {
  const db = await connect(run.server, database, { pinned: true });
  try {
    await db.query(`ALTER SCHEMA public OWNER TO ${ident(owner)}`);
  } finally {
    await db.end();
  }
}

async function createDatabase(run: Run): PhaseResult {
  const { database } = run;
  const result = await psqlFile(run, 'deploy.sql');
  const created = (await run.maintenance.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1;
  if (!created) throw new PhaseFailed(`deploy.sql did not create database ${database}:\n${psqlError(result)}`);
  run.admin = await connect(run.server, database, { pinned: true });
  if (result.code === 0) return `database ${database} created, then deploy.sql ran there`;
  // In a new, empty database the tables the plan names cannot exist yet: deploy.sql must stop
  // before changing anything, saying so; it runs again once the schema is loaded.
  if (/the plan relies on objects that do not exist/.test(result.stderr)) {
    return `database ${database} created; deploy.sql then stopped until the schema is loaded: ${psqlError(result).split('\n')[0]}`;
  }
  throw new PhaseFailed(psqlError(result));
}

/** The application's schema, loaded as the deployer (on a managed service the admin loads it). */
async function fixture(run: Run): PhaseResult {
  const { model, admin } = run;
  const file = run.fixtureFile;
  if (file) {
    const before = await rolesNow(run);
    const result = await runPsql(run.server, { database: run.database, file, ...asDeployer(run.deployer, run.server) });
    for (const r of await rolesNow(run)) if (!before.has(r)) run.createdRoles.add(r);
    if (result.code !== 0) throw new PhaseFailed(`the fixture ${file} failed:\n${psqlError(result)}`);
    run.checksums = await tableChecksums(admin!);
    run.report.hints = await serialHints(admin!, model, run.deployer.name);
    return `loaded ${file}`;
  }
  const db = await connectAsDeployer(run.server, run.database, run.deployer);
  try {
    await db.query(autoFixture(model, run.deployer.name));
  } finally {
    await db.end();
  }
  run.checksums = await tableChecksums(admin!);
  return 'created the plan\'s schemas and a probe table per schema and owner';
}

async function deploy(run: Run): PhaseResult {
  run.probeFunctions = await createProbeFunctions(run.admin!, run.model.scope.schemas);
  await run.options.beforeDeploy?.(run.admin!);
  const result = await psqlFile(run, 'deploy.sql');
  run.deployOutput = result.stderr + result.stdout;
  if (result.code !== 0) throw new PhaseFailed(psqlError(result));
}

async function deployAgain(run: Run): PhaseResult {
  const before = await snapshot(run.admin!);
  const result = await psqlFile(run, 'deploy.sql');
  if (result.code !== 0) throw new PhaseFailed(psqlError(result));
  const diff = diffSnapshots(before, await snapshot(run.admin!));
  if (diff.length) throw new PhaseFailed(`the catalog changed on the second run:\n${diff.slice(0, 20).join('\n')}`);
  await run.options.afterDeploy?.(run.admin!);
}

/** Each owner creates a table in each schema its default privileges cover: those grants must apply. */
async function objectsCreatedLater(run: Run): PhaseResult {
  const { model, admin } = run;
  const pairs = [...new Set(model.defaults.filter((d) => d.schema !== null).map((d) => JSON.stringify([d.owner ?? run.deployer.name, d.schema])))].map(
    (p) => JSON.parse(p) as [string, string],
  );
  const made: string[] = [];
  let n = 0;
  for (const [owner, schema] of pairs) {
    const exists = (await admin!.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount;
    if (!exists) continue;
    const canCreate = (await admin!.query<{ ok: boolean }>("SELECT has_schema_privilege($1, $2, 'CREATE') AS ok", [owner, schema])).rows[0]!.ok;
    if (!canCreate) {
      if (run.managed.includes(owner)) continue;
      await admin!.query(`GRANT CREATE ON SCHEMA ${ident(schema)} TO ${ident(owner)}`);
    }
    const table = `pgrant_after_${++n}`;
    await admin!.query(`SET ROLE ${ident(owner)}; ${await createLaterSql(admin!, owner, schema, table)}; RESET ROLE`);
    run.createdAfter.set(`${schema}.${table}`, owner);
    run.createdAfter.set(`${schema}.${table}_id_seq`, owner);
    made.push(`${schema}.${table} by ${owner}`);
  }
  return made.length ? `created ${made.join(', ')}` : 'the plan sets no default privileges';
}

/**
 * What an owner creates after deploy: a table with a bigserial key, so its sequence's default privileges
 * are exercised too. An index or a serial default looks the schema up, which needs USAGE: an owner with
 * CREATE only makes a plain table and a sequence of the same name instead, as it could in real life.
 */
async function createLaterSql(admin: Db, owner: string, schema: string, table: string): Promise<string> {
  const usage = (await admin.query<{ ok: boolean }>("SELECT has_schema_privilege($1, $2, 'USAGE') AS ok", [owner, schema])).rows[0]!.ok;
  const name = `${ident(schema)}.${ident(table)}`;
  if (usage) return `CREATE TABLE ${name} (id bigserial PRIMARY KEY, name text)`;
  return `CREATE TABLE ${name} (id bigint, name text); CREATE SEQUENCE ${ident(schema)}.${ident(`${table}_id_seq`)}`;
}

async function verify(run: Run): PhaseResult {
  const result = await psqlFile(run, 'verify.sql');
  if (result.code !== 0) throw new PhaseFailed(psqlError(result));
  return result.stdout.trim().split('\n').pop();
}

async function probes(run: Run): PhaseResult {
  const { model, admin, report } = run;
  const runtime = await runtimeRoles(admin!, model);
  const facts = await readFacts(admin!, model.scope.schemas, run.createdAfter);
  const intent = new Intent(model, runtime, run.deployer.name);
  const list = buildProbes(intent, facts, run.managed, { major: run.server.major });
  if (!list.length) throw new PhaseSkipped('no role of the plan to act as');
  report.probes = await runProbes(admin!, list);
  const bad = report.probes.filter((p) => !p.ok);
  if (bad.length) throw new PhaseFailed(bad.slice(0, 10).map(describeProbeFailure).join('\n'));
  const n = run.probeFunctions.length;
  return `${report.probes.length} probes as intended (with ${n} function${n === 1 ? '' : 's'} closed to PUBLIC)`;
}

async function planCases(run: Run): PhaseResult {
  run.report.cases = await runCases(run.admin!, run.model);
  const bad = run.report.cases.filter((c) => !c.ok);
  if (bad.length) throw new PhaseFailed(bad.map((c) => `as ${c.as}: ${c.sql}: expected ${c.expected}, got ${c.actual}`).join('\n'));
  return `${run.report.cases.length} cases`;
}

async function verifyCatchesDrift(run: Run): PhaseResult {
  const tamper = await chooseTamper(run.admin!, run.model, run.deployer.name);
  if (!tamper) throw new PhaseSkipped('no managed role with a privilege to add');
  await run.admin!.query(tamper.grant);
  const result = await psqlFile(run, 'verify.sql');
  if (result.code === 0) throw new PhaseFailed(`verify.sql passed after: ${tamper.grant}`);
  if (!result.stdout.includes(tamper.expect)) throw new PhaseFailed(`verify.sql failed but did not say "${tamper.expect}":\n${result.stdout}`);
  const again = await psqlFile(run, 'deploy.sql');
  if (again.code !== 0) throw new PhaseFailed(`deploy.sql failed to converge:\n${psqlError(again)}`);
  const clean = await psqlFile(run, 'verify.sql');
  if (clean.code !== 0) throw new PhaseFailed(`after deploy.sql converged, verify.sql still fails:\n${psqlError(clean)}`);
  return `${tamper.grant} → "${tamper.expect}"; deploy.sql removed it`;
}

async function logins(run: Run): PhaseResult {
  const { model, admin, server, database } = run;
  const tried: string[] = [];
  const problems: string[] = [];
  for (const r of model.roles) {
    if (!r.attrs.login || !r.password) continue;
    const password = r.password.kind === 'psql' ? run.passwords.get(r.password.variable) : r.password.plaintext;
    if (password === undefined) {
      tried.push(`${r.name}: not tried (a verifier was given; the password is unknown)`);
      continue;
    }
    const row = (
      await admin!.query<{ expected: boolean }>(
        `SELECT has_database_privilege($1, current_database(), 'CONNECT') AND (rolvaliduntil IS NULL OR rolvaliduntil > now()) AND rolconnlimit <> 0 AS expected
         FROM pg_roles WHERE rolname = $1`,
        [r.name],
      )
    ).rows[0];
    const expected = row?.expected ?? false;
    const result = await runPsql(server, { database, command: 'SELECT current_user', login: { user: r.name, password }, tuplesOnly: true });
    const ok = result.code === 0 && result.stdout.replace(/\n$/, '') === r.name;
    if (ok !== expected) problems.push(`${r.name}: expected ${expected ? 'to log in' : 'to be refused'}, ${ok ? 'logged in' : `was refused: ${result.stderr.trim()}`}`);
    tried.push(`${r.name}: ${ok ? 'logged in' : 'refused'}`);
  }
  // A database closed to PUBLIC refuses a login the plan does not let in.
  if (model.databases.some((d) => d.name === database && d.revokePublic)) {
    const outsider = `pgrant_outsider_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('base64url');
    await admin!.query(`CREATE ROLE ${ident(outsider)} LOGIN PASSWORD ${literal(password)}`);
    try {
      const result = await runPsql(server, { database, command: 'SELECT 1', login: { user: outsider, password } });
      if (result.code === 0) problems.push(`${outsider} (a login the plan does not mention) could connect to ${database}`);
      else if (!/permission denied for database/.test(result.stderr)) problems.push(`${outsider} was refused, but not for lack of CONNECT: ${result.stderr.trim()}`);
      else tried.push(`an outsider login: refused (permission denied for database)`);
    } finally {
      await admin!.query(`DROP ROLE ${ident(outsider)}`);
    }
  }
  if (problems.length) throw new PhaseFailed(problems.join('\n'));
  return tried.length ? tried.join('; ') : 'no login role with a password';
}

async function revert(run: Run): PhaseResult {
  const { admin, model } = run;
  const result = await psqlFile(run, 'revert.sql');
  if (result.code !== 0) throw new PhaseFailed(psqlError(result));
  const left = (await admin!.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [run.managed])).rows.map((r) => r.rolname);
  if (left.length) throw new PhaseFailed(`roles left after revert: ${left.join(', ')}`);
  const after = await tableChecksums(admin!);
  const changed = [...run.checksums.keys()].filter((t) => after.get(t) !== run.checksums.get(t));
  if (changed.length) throw new PhaseFailed(`rows changed in fixture tables: ${changed.join(', ')}`);
  const created = model.schemas.filter((s) => s.create).map((s) => s.name);
  const schemasLeft = (await admin!.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = ANY($1)', [created])).rows[0]!.n;
  if (schemasLeft !== created.length) throw new PhaseFailed('revert dropped a schema');
  await run.options.afterRevert?.(admin!);
  return `no managed role left; ${run.checksums.size} fixture tables unchanged`;
}

/** `--hostile`: the attacker plants its overloads, the database's settings change, a squatter takes the roles. */
async function hostileServer(run: Run): PhaseResult {
  run.hostileDb = await pinnedConnection(run.server, run.database);
  // audit.sql (what `pgrant import --database-url` runs) is attacked too: it runs after the deploys.
  await writeFile(join(run.dir, 'audit.sql'), run.options.editFile ? run.options.editFile('audit.sql', auditSql()) : auditSql());
  const files = await Promise.all(['deploy.sql', 'verify.sql', 'revert.sql', 'migrate.sql', 'audit.sql'].map((f) => readFile(join(run.dir, f), 'utf8').catch(() => '')));
  run.hostile = await makeHostile(
    {
      server: run.server,
      database: run.database,
      files,
      deployer: run.deployer.name,
      deployerIsSuperuser: run.deployer.kind === 'superuser',
      scope: run.model.scope.schemas,
      planRoles: run.managed,
      markerFile: join(run.dir, 'meta-command-ran'),
      squatterOwnsDatabase: run.deployer.kind === 'superuser',
      major: run.server.major,
      // Dropped after the plan's roles (the squatter administers some of them).
      creating: (role) => run.createdRoles.add(role),
    },
    run.hostileDb,
  );
  const h = run.hostile;
  return `attacker ${h.attacker} planted ${h.planted.reduce((n, p) => n + p.overloads.length, 0)} overloads in ${h.plantedIn.join(', ') || 'no schema'}${h.leftOut.length ? ` (not in ${h.leftOut.join(', ')})` : ''}; standard_conforming_strings = off, log_statement = all${h.statsSchema ? ', pg_stat_statements' : ''}; squatter ${h.squatter} made the plan's roles first${run.deployer.kind === 'superuser' ? ' and owns the database' : ''}`;
}

/** `--hostile`: deploys that fail at a password (its role locked) and after the passwords (the first GRANT stopped). */
async function failedDeploys(run: Run): PhaseResult {
  const login = run.model.roles.find((r) => r.password?.kind === 'psql');
  if (!login) throw new PhaseSkipped('no password from a psql variable in this plan');
  const said: string[] = [];
  const hold = await holdRole(run.server, run.database, login.name);
  try {
    const r = await psqlFile(run, 'deploy.sql', { vars: { lock_timeout: '1s' } });
    if (r.code === 0) throw new PhaseFailed(`deploy.sql succeeded while role ${login.name} was locked by another session`);
    said.push(`stopped at ${login.name}'s password: ${psqlError(r).split('\n')[0]}`);
  } finally {
    await hold.release();
  }
  const stop = await stopAfterPasswords(run.hostileDb!);
  try {
    const r = await psqlFile(run, 'deploy.sql', { env: stop.env });
    if (r.code !== 0 && !r.stderr.includes(stop.message)) throw new PhaseFailed(`deploy.sql failed before its first GRANT or REVOKE:\n${psqlError(r)}`);
    said.push(r.code === 0 ? 'no GRANT or REVOKE to stop after the passwords' : 'stopped at its first GRANT or REVOKE, after the passwords');
  } finally {
    await stop.remove();
  }
  return said.join('; ');
}

/** `--hostile`: audit.sql, the reader of `pgrant import`, on the hostile database (its runs are charged to it). */
async function auditRead(run: Run): PhaseResult {
  const r = await psqlFile(run, 'audit.sql');
  if (r.code !== 0) throw new PhaseFailed(psqlError(r));
  return `read ${r.stdout.length} bytes of state`;
}

/** `--hostile`: after deploy.sql, the squatter has no power left over the plan's roles. */
async function squatterChecked(run: Run): PhaseResult {
  const logins = run.model.roles.filter((r) => r.attrs.login).map((r) => r.name);
  const problems = await squatterPower(run.hostileDb!, run.hostile!, run.managed, logins, run.server.major, run.deployOutput);
  if (problems.length) throw new PhaseFailed(problems.join('\n'));
  return run.server.major < 16 ? 'deploy.sql reported the squatter\'s CREATEROLE (before 16 it cannot be taken away)' : `no ADMIN OPTION on the plan's roles, no password change for ${logins.length} login${logins.length === 1 ? '' : 's'}`;
}

/** `--hostile`: no planted overload ran, no password in the log or pg_stat_statements, no meta-command. */
async function hostileChecked(run: Run): PhaseResult {
  if (!run.hostile) throw new PhaseSkipped('the hostile setup did not run');
  const { problems, checked } = await hostileFindings(run.hostileDb!, run.hostile, run.passwords, { superuserDeploys: run.deployer.kind === 'superuser' });
  if (problems.length) throw new PhaseFailed(problems.join('\n'));
  return checked.join('; ');
}

interface Phase {
  name: string;
  run: (run: Run) => PhaseResult;
  /** A failure leaves the database unusable for later phases (default); false: later phases still run. */
  fatal?: boolean;
  /** Why the phase does not apply to this plan (skipped, saying so), or undefined to run it. */
  skip?: (run: Run) => string | undefined;
  /** Not listed at all when false (a phase only some plans have). */
  applies?: (run: Run) => boolean;
  /** Runs even after a fatal failure (a check of everything that happened before). */
  always?: boolean;
}

const hostile = (r: Run) => r.options.hostile === true;

const PHASES: Phase[] = [
  { name: 'setup', run: setup },
  { name: 'create the database (deploy.sql from the maintenance database)', run: createDatabase, applies: (r) => r.createsDatabase },
  { name: 'fixture', run: fixture },
  { name: 'hostile server: overloads planted, settings changed, roles squatted', run: hostileServer, applies: hostile },
  { name: 'deploy', run: deploy },
  { name: 'deploy again (idempotent)', run: deployAgain },
  { name: 'hostile: deploys stopped at and after the password step', run: failedDeploys, applies: hostile, fatal: false },
  { name: 'hostile: the squatter has no power left', run: squatterChecked, applies: hostile, fatal: false },
  { name: 'hostile: audit.sql (pgrant import) runs', run: auditRead, applies: hostile, fatal: false },
  { name: 'objects created after deploy (default privileges)', run: objectsCreatedLater },
  { name: 'verify.sql', run: verify, fatal: false },
  { name: 'probes (act as each role)', run: probes, fatal: false },
  { name: "plan's test cases", run: planCases, skip: (r) => (r.model.tests.length ? undefined : 'the plan has no test.cases') },
  { name: 'verify.sql catches a privilege added by hand', run: verifyCatchesDrift },
  { name: 'logins over TCP (scram-sha-256)', run: logins },
  { name: 'revert', run: revert },
  { name: 'hostile: no planted overload ran, no password in the log or statistics, no meta-command', run: hostileChecked, applies: hostile, always: true },
];

export async function provePlan(options: ProveOptions): Promise<CaseReport> {
  const started = Date.now();
  const { server } = options;
  const rendered = await renderFor(options.planFile, server.major, options.scratchDatabase);
  const { model, plan } = rendered;
  const database = model.plan.database;
  const report: CaseReport = {
    plan: plan.name,
    file: options.planFile,
    major: server.major,
    deployer: options.deployer ?? 'superuser',
    renderedFor: model.plan.postgres,
    ok: false,
    phases: [],
    probes: [],
    cases: [],
    hints: [],
    durationMs: 0,
  };
  const dir = await mkdtemp(join(tmpdir(), `pgrant-case-${plan.name}-`));
  for (const [name, content] of rendered.files) await writeFile(join(dir, name), options.editFile ? options.editFile(name, content) : content);
  const passwords = new Map<string, string>();
  for (const r of model.roles) {
    if (r.password?.kind === 'psql') passwords.set(r.password.variable, options.passwordFor?.(r.password.variable) ?? randomBytes(12).toString('base64url'));
  }
  const maintenance = await connect(server, 'postgres', { pinned: true });
  const rolesBefore = new Set((await maintenance.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname));
  const managed = model.roles.map((r) => r.name);
  const run: Run = {
    options,
    server,
    model,
    plan,
    database,
    report,
    dir,
    passwords,
    createsDatabase: model.databases.some((d) => d.create && d.name === database),
    // The managed admin is created by the setup phase, once the plan's external roles exist.
    deployer: superuserDeployer(server),
    maintenance,
    rolesBefore,
    managed,
    createdRoles: new Set(managed),
    checksums: new Map(),
    createdAfter: new Map(),
    probeFunctions: [],
    deployOutput: '',
  };
  run.fixtureFile = options.fixture ?? (plan.test.fixture ? resolve(dirname(options.planFile), plan.test.fixture) : undefined);
  if (run.fixtureFile) run.fixtureSql = await readFile(run.fixtureFile, 'utf8').catch(() => '');

  let failed = false;
  try {
    for (const phase of PHASES) {
      if (phase.applies && !phase.applies(run)) continue;
      // After a fatal failure (the database is not in a state later phases can use), the rest is skipped.
      const why = failed && !phase.always ? 'not run: an earlier phase failed' : phase.skip?.(run);
      if (why) {
        report.phases.push({ name: phase.name, status: 'skip', detail: why });
        continue;
      }
      options.onPhase?.(phase.name);
      try {
        const detail = await phase.run(run);
        report.phases.push({ name: phase.name, status: 'pass', detail: detail || undefined });
      } catch (e) {
        if (e instanceof PhaseSkipped) {
          report.phases.push({ name: phase.name, status: 'skip', detail: e.message });
          continue;
        }
        // An unexpected error is a report line with its cause and a hint; its stack only with --verbose.
        const { detail, stack } = e instanceof PhaseFailed || e instanceof UserError ? { detail: e.message, stack: undefined } : describeFailure(e);
        report.phases.push({ name: phase.name, status: 'fail', detail, ...(stack ? { stack } : {}) });
        if (phase.fatal !== false) failed = true;
      }
    }
  } finally {
    await run.admin?.end().catch(() => {});
    await run.hostileDb?.end().catch(() => {});
    if (!options.keep) {
      await maintenance.query(`DROP DATABASE IF EXISTS ${ident(database)}${server.major >= 13 ? ' WITH (FORCE)' : ''}`).catch(() => {});
      for (const role of run.createdRoles) {
        if (!rolesBefore.has(role)) await maintenance.query(`DROP ROLE IF EXISTS ${ident(role)}`).catch(() => {});
      }
    }
    if (run.deployer.kind === 'managed') {
      if (run.createsDatabase && server.major < 15) await publicSchemaOwner(run, 'template1', server.user).catch(() => {});
      if (!options.keep) await dropManagedAdmin(maintenance, run.deployer);
    }
    await maintenance.end().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
  report.ok = proofOk(report.phases) && !failed;
  report.durationMs = Date.now() - started;
  return report;
}

/**
 * With the user's schema at hand: roles that may INSERT into a table with serial columns but may not use
 * the sequences behind them (inserts relying on the default then fail with "permission denied for sequence").
 */
async function serialHints(db: Db, model: Model, deployer: string): Promise<string[]> {
  const facts = await readFacts(db, model.scope.schemas, new Map());
  const intent = new Intent(model, { hasPrivilegesOf: (a, b) => a === b, externalHolds: () => false }, deployer);
  const sequences = new Map(facts.sequences.map((q) => [`${ident(q.schema)}.${ident(q.name)}`, q]));
  const hints: string[] = [];
  for (const role of model.roles.map((r) => r.name)) {
    for (const t of facts.tables) {
      if (!t.serialSequences.length || !intent.planned(role, { kind: 'table', fact: t }).has('INSERT')) continue;
      for (const name of t.serialSequences) {
        const q = sequences.get(name);
        if (!q) continue;
        const privs = intent.planned(role, { kind: 'sequence', fact: q });
        if (!privs.has('USAGE') && !privs.has('UPDATE')) {
          hints.push(`role ${role} may INSERT into ${t.schema}.${t.name} but not use its sequence ${q.schema}.${q.name}: inserts relying on the serial default will fail (grant USAGE on it: sequences: true in readonly, readwrite and app-user, or {privileges: [USAGE], sequences: [${q.schema}.${q.name}]})`);
        }
      }
    }
  }
  return hints;
}

/** md5 of every row of every user table, to prove revert (and probes) changed no data. */
async function tableChecksums(db: Db): Promise<Map<string, string>> {
  const tables = await db.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1`,
  );
  const sums = new Map<string, string>();
  for (const { name } of tables.rows) {
    const r = await db.query<{ sum: string | null }>(`SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS sum FROM ${name} t`);
    sums.set(name, r.rows[0]!.sum ?? '');
  }
  return sums;
}

/** Without a fixture: the plan's schemas, the tables it names, and a probe table per schema and owner (`deployer` stands for "no owner given"). */
function autoFixture(model: Model, deployer: string): string {
  const owners = [...new Set(model.owners.map((o) => o ?? deployer))];
  const created = new Set(model.schemas.filter((s) => s.create).map((s) => s.name));
  const lines: string[] = [];
  const tableColumns = new Map<string, Set<string>>();
  for (const g of model.grants) {
    if (g.target.kind === 'columns') {
      const key = `${g.target.schema}\0${g.target.table}`;
      tableColumns.set(key, new Set([...(tableColumns.get(key) ?? []), ...g.target.columns]));
    }
  }
  let n = 0;
  for (const schema of model.scope.schemas.filter((s) => !created.has(s))) {
    const first = owners[0] ?? deployer;
    lines.push(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)} AUTHORIZATION ${ident(first)};`);
    for (const owner of owners) {
      if (owner !== deployer) lines.push(`GRANT USAGE, CREATE ON SCHEMA ${ident(schema)} TO ${ident(owner)};`);
      const table = `${ident(schema)}.${ident(`pgrant_probe_${++n}`)}`;
      lines.push(`SET ROLE ${ident(owner)};`, `CREATE TABLE ${table} (id bigserial PRIMARY KEY, name text);`, `INSERT INTO ${table} (name) VALUES ('one'), ('two');`, 'RESET ROLE;');
    }
  }
  for (const t of model.requiredTables) {
    if (created.has(t.schema)) continue;
    const owner = owners[0] ?? deployer;
    const cols = [...(tableColumns.get(`${t.schema}\0${t.name}`) ?? [])].filter((c) => c !== 'id');
    lines.push(`CREATE SCHEMA IF NOT EXISTS ${ident(t.schema)} AUTHORIZATION ${ident(owner)};`);
    lines.push(`SET ROLE ${ident(owner)};`);
    lines.push(`CREATE TABLE IF NOT EXISTS ${ident(t.schema)}.${ident(t.name)} (id bigserial PRIMARY KEY${cols.map((c) => `, ${ident(c)} text`).join('')});`);
    lines.push(`INSERT INTO ${ident(t.schema)}.${ident(t.name)} DEFAULT VALUES;`, 'RESET ROLE;');
  }
  for (const g of model.grants) {
    if (g.target.kind !== 'function' || created.has(g.target.schema)) continue;
    const t = g.target;
    lines.push(`CREATE SCHEMA IF NOT EXISTS ${ident(t.schema)};`);
    lines.push(
      `CREATE OR REPLACE ${t.routine === 'PROCEDURE' ? 'PROCEDURE' : 'FUNCTION'} ${ident(t.schema)}.${ident(t.name)}(${t.args.join(', ')})${t.routine === 'PROCEDURE' ? '' : ' RETURNS void'} LANGUAGE sql AS ${literal('')};`,
    );
  }
  return lines.join('\n');
}

/** Ownership through membership and external groups, asked of the server. */
async function runtimeRoles(db: Db, model: Model): Promise<RuntimeRoles> {
  const roles = model.roles.map((r) => r.name);
  const rows = await db.query<{ role: string; other: string; has: boolean }>(
    `SELECT r.rolname AS role, o.rolname AS other, pg_has_role(r.oid, o.oid, 'USAGE') AS has
     FROM pg_roles r CROSS JOIN pg_roles o WHERE r.rolname = ANY($1)`,
    [roles],
  );
  const has = new Set(rows.rows.filter((r) => r.has).map((r) => `${r.role}\0${r.other}`));
  const ext = new Map<string, boolean>();
  const externalRoles = model.external;
  for (const e of externalRoles) {
    const res = await db.query<{ kind: string; schema: string; name: string; privilege: string; has: boolean }>(
      `SELECT 'table' AS kind, n.nspname AS schema, c.relname AS name, p.privilege, has_table_privilege($1, c.oid, p.privilege) AS has
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p(privilege)
       WHERE n.nspname = ANY($2) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       UNION ALL
       SELECT 'sequence', n.nspname, c.relname, p.privilege, has_sequence_privilege($1, c.oid, p.privilege)
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) AS p(privilege)
       WHERE n.nspname = ANY($2) AND c.relkind = 'S'
       UNION ALL
       SELECT 'schema', n.nspname, n.nspname, p.privilege, has_schema_privilege($1, n.oid, p.privilege)
       FROM pg_namespace n CROSS JOIN unnest(ARRAY['USAGE', 'CREATE']) AS p(privilege)
       WHERE n.nspname = ANY($2)`,
      [e, model.scope.schemas],
    ).catch(() => ({ rows: [] as { kind: string; schema: string; name: string; privilege: string; has: boolean }[] }));
    for (const r of res.rows) ext.set(`${e}\0${r.kind}\0${r.schema}\0${r.name}\0${r.privilege}`, r.has);
  }
  return {
    hasPrivilegesOf: (role, other) => role === other || has.has(`${role}\0${other}`),
    externalHolds: (role, object, privilege) => ext.get(`${role}\0${object.kind}\0${object.schema}\0${object.name}\0${privilege}`) ?? false,
  };
}

/** The plan's own acceptance cases, in order, in one transaction that is rolled back. */
async function runCases(db: Db, model: Model): Promise<CaseCheck[]> {
  const results: CaseCheck[] = [];
  await db.query('BEGIN');
  try {
    // The plan's cases are the user's SQL, written for a role's usual search_path (the harness's own
    // connections resolve names in pg_catalog only).
    await db.query(`SET LOCAL search_path = "$user", public`);
    for (const c of model.tests) {
      await db.query('SAVEPOINT pgrant_case');
      let failedWith: string | undefined;
      let value: string | undefined;
      try {
        await db.query(`SET ROLE ${ident(c.as)}`);
        const result = await db.query({ text: c.sql, rowMode: 'array' });
        const first = (result.rows as unknown[][])[0]?.[0];
        value = (result.rows as unknown[]).length ? String(first) : undefined;
        await db.query('RESET ROLE');
        await db.query('RELEASE SAVEPOINT pgrant_case');
      } catch (e) {
        failedWith = (e as Error).message;
        await db.query('ROLLBACK TO SAVEPOINT pgrant_case');
        await db.query('RESET ROLE');
      }
      const e = c.expect;
      const actual = failedWith !== undefined ? `ERROR: ${failedWith}` : `success${value !== undefined ? `, returned ${value}` : ''}`;
      const ok =
        'error' in e ? failedWith !== undefined && failedWith.includes(e.error)
        : 'returns' in e ? failedWith === undefined && value === e.returns
        : e.ok === (failedWith === undefined);
      const expected = 'error' in e ? `ERROR: ${e.error}` : 'returns' in e ? `returns ${e.returns}` : e.ok ? 'success' : 'an error';
      results.push({ as: c.as, sql: c.sql, expected, ok, actual });
    }
  } finally {
    await db.query('ROLLBACK');
  }
  return results;
}

/** A privilege to add by hand that the plan does not give a managed role, and the line verify must print. */
async function chooseTamper(db: Db, model: Model, deployer: string): Promise<{ grant: string; expect: string } | undefined> {
  const managed = model.roles.filter((r) => !r.attrs.superuser && !model.additiveRoles.includes(r.name)).map((r) => r.name);
  // What the plan's default privileges give on a table its owner created is the plan's: not a tamper verify.sql must name.
  const byDefault = model.defaults.filter((d) => d.objects === 'tables').flatMap((d) => d.privileges.map((p) => [d.owner ?? deployer, d.schema, d.grantee, p]));
  const rows = await db.query<{ schema: string; name: string; role: string; privilege: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, r.rolname AS role, p.privilege
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN unnest(ARRAY['TRUNCATE', 'DELETE', 'TRIGGER', 'REFERENCES']) AS p(privilege)
     CROSS JOIN pg_roles r
     WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND r.rolname = ANY($2) AND c.relowner <> r.oid
       AND NOT EXISTS (SELECT FROM aclexplode(c.relacl) a WHERE a.grantee = r.oid AND a.privilege_type = p.privilege)
       AND NOT EXISTS (SELECT FROM json_array_elements($3::json) d
                       WHERE d->>0 = pg_get_userbyid(c.relowner) AND (d->>1 IS NULL OR d->>1 = n.nspname) AND d->>2 = r.rolname AND d->>3 = p.privilege)
     ORDER BY array_position($2, r.rolname::text), 1, 2, array_position(ARRAY['TRUNCATE', 'DELETE', 'TRIGGER', 'REFERENCES'], p.privilege)
     LIMIT 1`,
    [model.scope.schemas, managed, JSON.stringify(byDefault)],
  );
  const t = rows.rows[0];
  if (t) {
    return {
      grant: `GRANT ${t.privilege} ON TABLE ${ident(t.schema)}.${ident(t.name)} TO ${ident(t.role)}`,
      expect: `role ${t.role} holds ${t.privilege} on table ${t.schema}.${t.name}`,
    };
  }
  const schema = model.scope.schemas[0];
  const role = managed[0];
  if (schema && role) return { grant: `GRANT CREATE ON SCHEMA ${ident(schema)} TO ${ident(role)}`, expect: `role ${role} holds CREATE on schema ${schema}` };
  return undefined;
}
