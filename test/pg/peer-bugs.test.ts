// Bugs that scenarios from ldap2pg's and pgroles' test suites and documented examples hit in ordinary
// plans, each replayed on real PostgreSQL: the generated files run with psql as a DBA runs them (as a
// superuser and as a managed service's admin where the plan allows both), `pgrant test`, `pgrant diff`
// and `pgrant import` as a user runs them. Expectations are written by hand from PostgreSQL's docs.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSql } from '../../src/audit/audit.js';
import { connect, ident, literal, type Db } from '../../src/harness/db.js';
import type { DeployerKind } from '../../src/harness/deployer.js';
import { provePlan } from '../../src/harness/prove.js';
import { runPsql, type PsqlResult } from '../../src/harness/psql.js';
import { addressOf, type Server } from '../../src/harness/server.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { cli } from '../support/cli.js';
import { urlOf } from '../support/import.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';

const servers = useServers();
/** The harness's own phases (bugs 4 and 5) do not depend on the major: one server is enough. */
const harnessMajor = TEST_MAJORS.includes(17) ? 17 : TEST_MAJORS[0]!;

interface Scenario {
  /** The superuser's connection to the plan's database. */
  db: Db;
  /** Runs deploy.sql, verify.sql or revert.sql as the deployer. */
  run: (file: 'deploy.sql' | 'verify.sql' | 'revert.sql') => Promise<PsqlResult>;
  /** Runs SQL in the plan's database as the superuser, optionally as another role (SET ROLE). */
  sql: (text: string, as?: string) => Promise<void>;
  planFile: string;
  database: string;
}

const MANAGED_ADMIN = 'pb_admin';

/** A fresh database with the given roles, the fixture loaded by the superuser; dropped after `fn` with every role made. */
async function withDatabase(
  server: Server,
  options: { database: string; fixture: string; roles: string[]; managedAdminPassword?: string },
  fn: (db: Db) => Promise<void>,
): Promise<void> {
  const admin = await connect(server, 'postgres');
  const before = new Set((await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname));
  let db: Db | undefined;
  try {
    for (const r of options.roles) await admin.query(`CREATE ROLE ${ident(r)} NOLOGIN`);
    let owner = '';
    if (options.managedAdminPassword !== undefined) {
      await admin.query(`CREATE ROLE ${ident(MANAGED_ADMIN)} NOSUPERUSER LOGIN CREATEROLE CREATEDB PASSWORD ${literal(options.managedAdminPassword)}`);
      for (const r of options.roles) await admin.query(`GRANT ${ident(r)} TO ${ident(MANAGED_ADMIN)} WITH ADMIN OPTION`);
      owner = ` OWNER ${ident(MANAGED_ADMIN)}`;
    }
    await admin.query(`CREATE DATABASE ${ident(options.database)}${owner}`);
    db = await connect(server, options.database);
    const fixture = await runPsql(server, { database: options.database, command: options.fixture });
    expect(fixture.code, fixture.stderr).toBe(0);
    await fn(db);
  } finally {
    await db?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${ident(options.database)} WITH (FORCE)`);
    const made = (await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname).filter((r) => !before.has(r));
    // The admin last: it granted memberships to the others.
    for (const r of made.sort((a, b) => Number(a === MANAGED_ADMIN) - Number(b === MANAGED_ADMIN))) await admin.query(`DROP OWNED BY ${ident(r)}; DROP ROLE ${ident(r)}`);
    await admin.end();
  }
}

/**
 * A plan's files rendered for the server, in its database with the roles it relies on (owned by a
 * managed service's admin, a member WITH ADMIN OPTION of those roles, when `deployer` is managed).
 */
async function withScenario(
  server: Server,
  options: { plan: string; fixture: string; roles: string[]; deployer: DeployerKind },
  fn: (s: Scenario) => Promise<void>,
): Promise<void> {
  const dir = tempDir('peer-bugs');
  const planFile = join(dir, 'plan.yaml');
  writeFileSync(planFile, options.plan);
  const { files, model } = await renderPlanFile(planFile, { postgres: server.major });
  for (const [name, content] of files) writeFileSync(join(dir, name), content);
  const database = model.plan.database;
  const password = options.deployer === 'managed' ? randomBytes(12).toString('base64url') : undefined;
  await withDatabase(server, { database, fixture: options.fixture, roles: options.roles, managedAdminPassword: password }, async (db) => {
    const login = password !== undefined ? { user: MANAGED_ADMIN, password } : undefined;
    const run = (file: string) => runPsql(server, { database, file: join(dir, file), ...(login ? { login } : {}) });
    const sql = async (text: string, as?: string) => {
      if (as) await db.query(`SET ROLE ${ident(as)}`);
      try {
        await db.query(text);
      } finally {
        if (as) await db.query('RESET ROLE');
      }
    };
    await fn({ db, run, sql, planFile, database });
  });
}

const has = async (db: Db, check: string): Promise<boolean> => (await db.query<{ ok: boolean }>(`SELECT ${check} AS ok`)).rows[0]!.ok;
const ok = (r: PsqlResult) => [r.code, r.stdout + r.stderr] as const;

// 1. An imported plan's shape: default privileges for an owner, nothing granted on existing objects.
const DEFAULTS_ONLY = `pgrant: 1
database: pb_defaults
patterns:
  - pattern: roles
    roles:
      - name: pb_reader
        grants:
          - {privileges: [USAGE], schemas: [app]}
        default_privileges:
          - {on: tables, privileges: [SELECT], schemas: [app], owners: [pb_owner]}
          - {on: sequences, privileges: [USAGE], owners: [pb_owner]}
`;

describe.each(TEST_MAJORS)('PostgreSQL %i: default privileges the plan sets are the plan\'s (bug 1)', (major) => {
  it.each(['superuser', 'managed'] as const)('as %s: what they give on tables the owner creates later is kept by deploy.sql and passes verify.sql', async (deployer) => {
    const server = servers.get(major)!;
    const fixture = 'CREATE SCHEMA app AUTHORIZATION pb_owner; CREATE TABLE app.other_owner (id integer); ALTER TABLE app.other_owner OWNER TO pb_other;';
    await withScenario(server, { plan: DEFAULTS_ONLY, fixture, roles: ['pb_owner', 'pb_other'], deployer }, async ({ db, run, sql }) => {
      expect(...ok(await run('deploy.sql'))).toBe(0);
      // The owner creates a table and a sequence: ALTER DEFAULT PRIVILEGES gives pb_reader SELECT / USAGE on them.
      await sql('CREATE TABLE app.later (id integer); CREATE SEQUENCE app.later_seq', 'pb_owner');
      expect(await has(db, "has_table_privilege('pb_reader', 'app.later', 'SELECT')")).toBe(true);
      expect(await has(db, "has_sequence_privilege('pb_reader', 'app.later_seq', 'USAGE')")).toBe(true);
      const verify = await run('verify.sql');
      expect(...ok(verify)).toBe(0);
      const again = await run('deploy.sql');
      expect(...ok(again)).toBe(0);
      expect(again.stderr).not.toMatch(/removing/);
      expect(await has(db, "has_table_privilege('pb_reader', 'app.later', 'SELECT')")).toBe(true);
      expect(await has(db, "has_sequence_privilege('pb_reader', 'app.later_seq', 'USAGE')")).toBe(true);

      // Still drift: a privilege the default privileges do not give, and SELECT on a table another role owns.
      await sql('GRANT INSERT ON app.later TO pb_reader; GRANT SELECT ON app.other_owner TO pb_reader');
      const drifted = await run('verify.sql');
      expect(drifted.code).not.toBe(0);
      expect(drifted.stdout).toContain('FAIL: role pb_reader holds INSERT on table app.later, which the plan does not grant');
      expect(drifted.stdout).toContain('FAIL: role pb_reader holds SELECT on table app.other_owner, which the plan does not grant');
      const cleaned = await run('deploy.sql');
      expect(...ok(cleaned)).toBe(0);
      expect(await has(db, "has_table_privilege('pb_reader', 'app.later', 'INSERT')")).toBe(false);
      expect(await has(db, "has_table_privilege('pb_reader', 'app.other_owner', 'SELECT')")).toBe(false);
      expect(await has(db, "has_table_privilege('pb_reader', 'app.later', 'SELECT')")).toBe(true);
      expect(...ok(await run('verify.sql'))).toBe(0);
    });
  });

  it('pgrant diff reports no drift for them either', async () => {
    const server = servers.get(major)!;
    const fixture = 'CREATE SCHEMA app AUTHORIZATION pb_owner;';
    await withScenario(server, { plan: DEFAULTS_ONLY, fixture, roles: ['pb_owner'], deployer: 'superuser' }, async ({ run, sql, planFile, database }) => {
      expect(...ok(await run('deploy.sql'))).toBe(0);
      await sql('CREATE TABLE app.later (id integer)', 'pb_owner');
      const clean = await cli('diff', planFile, '--database-url', urlOf(server, database));
      expect(clean.stdout).toBe('pgrant diff: no drift between plan plan and database pb_defaults');
      expect(clean.code).toBe(0);
      await sql('GRANT INSERT ON app.later TO pb_reader');
      const drifted = await cli('diff', planFile, '--database-url', urlOf(server, database));
      expect(drifted.code).toBe(1);
      expect(drifted.stdout).toContain('extra: role pb_reader holds INSERT on table app.later');
      expect(drifted.stdout).not.toContain('holds SELECT');
    });
  });
});

describe.each(TEST_MAJORS)('PostgreSQL %i: a plan with a superuser role (bug 2)', (major) => {
  it('deploys twice, and verify.sql passes', async () => {
    const server = servers.get(major)!;
    const plan = `pgrant: 1
database: pb_super
patterns:
  - pattern: roles
    roles:
      - {name: pb_root, login: true, superuser: true, allow_superuser: true}
      - name: pb_viewer
        grants:
          - {privileges: [USAGE], schemas: [app]}
          - {privileges: [SELECT], all_tables_in: [app], future: false}
`;
    await withScenario(server, { plan, fixture: 'CREATE SCHEMA app; CREATE TABLE app.t (id integer);', roles: [], deployer: 'superuser' }, async ({ db, run }) => {
      expect(...ok(await run('deploy.sql'))).toBe(0);
      expect(...ok(await run('deploy.sql'))).toBe(0);
      expect(await has(db, "(SELECT rolsuper FROM pg_roles WHERE rolname = 'pb_root')")).toBe(true);
      expect(await has(db, "has_table_privilege('pb_viewer', 'app.t', 'SELECT')")).toBe(true);
      expect(...ok(await run('verify.sql'))).toBe(0);
    });
  });
});

describe.each(TEST_MAJORS)('PostgreSQL %i: EXECUTE on all functions and all procedures of a schema (bug 3)', (major) => {
  const fixture = `CREATE SCHEMA app AUTHORIZATION pb_api_owner;
SET ROLE pb_api_owner;
CREATE FUNCTION app.f(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';
CREATE PROCEDURE app.p(integer) LANGUAGE sql AS 'SELECT 1';
REVOKE EXECUTE ON ALL ROUTINES IN SCHEMA app FROM PUBLIC;
RESET ROLE;`;
  const plan = (grants: string) => `pgrant: 1
database: pb_routines
patterns:
  - pattern: roles
    roles:
      - name: pb_runner
        grants:
          - {privileges: [USAGE], schemas: [app]}
${grants}`;
  const both = plan('          - {privileges: [EXECUTE], all_functions_in: [app]}\n          - {privileges: [EXECUTE], all_procedures_in: [app]}\n');

  it.each(['superuser', 'managed'] as const)('as %s: deploy.sql runs twice and verify.sql passes', async (deployer) => {
    await withScenario(servers.get(major)!, { plan: both, fixture, roles: ['pb_api_owner'], deployer }, async ({ db, run }) => {
      expect(...ok(await run('deploy.sql'))).toBe(0);
      expect(...ok(await run('deploy.sql'))).toBe(0);
      expect(await has(db, "has_function_privilege('pb_runner', 'app.f(integer)', 'EXECUTE')")).toBe(true);
      expect(await has(db, "has_function_privilege('pb_runner', 'app.p(integer)', 'EXECUTE')")).toBe(true);
      expect(...ok(await run('verify.sql'))).toBe(0);
    });
  });

  it('with functions only, EXECUTE on a procedure granted by hand is named by verify.sql and removed by deploy.sql', async () => {
    const onlyFunctions = plan('          - {privileges: [EXECUTE], all_functions_in: [app]}\n');
    await withScenario(servers.get(major)!, { plan: onlyFunctions, fixture, roles: ['pb_api_owner'], deployer: 'superuser' }, async ({ db, run, sql }) => {
      expect(...ok(await run('deploy.sql'))).toBe(0);
      await sql('GRANT EXECUTE ON PROCEDURE app.p(integer) TO pb_runner');
      const verify = await run('verify.sql');
      expect(verify.code).not.toBe(0);
      expect(verify.stdout).toContain('FAIL: role pb_runner holds EXECUTE on function app.p(integer), which the plan does not grant');
      expect(...ok(await run('deploy.sql'))).toBe(0);
      expect(await has(db, "has_function_privilege('pb_runner', 'app.p(integer)', 'EXECUTE')")).toBe(false);
      expect(await has(db, "has_function_privilege('pb_runner', 'app.f(integer)', 'EXECUTE')")).toBe(true);
      expect(...ok(await run('verify.sql'))).toBe(0);
    });
  });
});

describe.each(TEST_MAJORS)('PostgreSQL %i: pgrant diff and functions with named parameters (bug 6)', (major) => {
  it('no drift when the plan names the argument types only; a revoked EXECUTE is still named', async () => {
    const plan = `pgrant: 1
database: pb_named
patterns:
  - pattern: roles
    roles:
      - name: pb_caller
        grants:
          - {privileges: [USAGE], schemas: [app]}
          - {privileges: [EXECUTE], functions: ["app.total(integer)"]}
          - {privileges: [EXECUTE], procedures: ["app.bump(integer, text)"]}
`;
    const fixture = `CREATE SCHEMA app;
CREATE FUNCTION app.total(p_order_id integer) RETURNS integer LANGUAGE sql AS 'SELECT p_order_id';
CREATE PROCEDURE app.bump(p_id integer, p_note text) LANGUAGE sql AS 'SELECT 1';`;
    const server = servers.get(major)!;
    await withScenario(server, { plan, fixture, roles: [], deployer: 'superuser' }, async ({ run, sql, planFile, database }) => {
      expect(...ok(await run('deploy.sql'))).toBe(0);
      const clean = await cli('diff', planFile, '--database-url', urlOf(server, database));
      expect(clean.stdout).toBe('pgrant diff: no drift between plan plan and database pb_named');
      expect(clean.code).toBe(0);
      await sql('REVOKE EXECUTE ON FUNCTION app.total(integer) FROM pb_caller');
      const drifted = await cli('diff', planFile, '--database-url', urlOf(server, database));
      expect(drifted.stdout.split('\n')).toEqual(['missing: role pb_caller lacks EXECUTE on function app.total(integer)', 'pgrant diff: 1 difference(s) between plan plan and database pb_named']);
      expect(drifted.code).toBe(1);
    });
  });
});

describe.each(TEST_MAJORS)('PostgreSQL %i: pgrant import lists role settings and global default privileges it cannot write (bug 7)', (major) => {
  it('settings in every database are listed as left alone; a global revoke from PUBLIC is not expressed (exit 1)', async () => {
    const server = servers.get(major)!;
    const fixture = `CREATE SCHEMA app AUTHORIZATION pb_api_owner;
CREATE ROLE pb_analyst NOLOGIN;
GRANT USAGE ON SCHEMA app TO pb_analyst;
ALTER ROLE pb_analyst SET statement_timeout = '5s';
ALTER ROLE pb_analyst IN DATABASE pb_import SET search_path = app;
ALTER DEFAULT PRIVILEGES FOR ROLE pb_api_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE pb_api_owner IN SCHEMA app GRANT SELECT ON TABLES TO PUBLIC;`;
    const database = 'pb_import';
    await withDatabase(server, { database, fixture, roles: ['pb_api_owner'] }, async () => {
      const dir = tempDir('peer-bugs-import');
      writeFileSync(join(dir, 'audit.sql'), auditSql());
      const audit = await runPsql(server, { database, file: join(dir, 'audit.sql') });
      expect(audit.code, audit.stderr).toBe(0);
      writeFileSync(join(dir, 'state.json'), audit.stdout);
      const out = join(dir, 'pb_import.yaml');
      const r = await cli('import', '--audit', join(dir, 'state.json'), '-o', out, '--json', '--roles', '^pb_analyst$');
      expect(r.code).toBe(1);
      const json = JSON.parse(r.stdout) as { not_expressed: { what: string; why: string }[]; left_alone: string[] };
      expect(json.not_expressed).toEqual([
        { what: 'default privilege SELECT on tables created by pb_api_owner in schema app to PUBLIC', why: 'plans cannot state default privileges for PUBLIC' },
        {
          what: 'default privilege EXECUTE on functions created by pb_api_owner revoked from PUBLIC in every schema',
          why: 'plans cannot state it (ALTER DEFAULT PRIVILEGES FOR ROLE pb_api_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC): deploy.sql leaves it, verify.sql does not check it',
        },
      ]);
      expect(json.left_alone).toEqual([
        'role pb_analyst has settings in this database (search_path=app): deploy.sql leaves them alone',
        'role pb_analyst has settings in every database (statement_timeout=5s): deploy.sql leaves them alone',
      ]);
      // The plan file says so too, at its end.
      const written = readFileSync(out, 'utf8').replace(/\n#\s+/g, ' ');
      expect(written).toContain('- default privilege EXECUTE on functions created by pb_api_owner revoked from PUBLIC in every schema');
      expect(written).toContain('- role pb_analyst has settings in every database (statement_timeout=5s)');
    });
  });
});

describe(`pgrant test on PostgreSQL ${harnessMajor}`, () => {
  const planFile = (text: string, fixture: string) => {
    const dir = tempDir('peer-bugs-harness');
    writeFileSync(join(dir, 'fixture.sql'), fixture);
    writeFileSync(join(dir, 'plan.yaml'), `${text}test: {fixture: fixture.sql}\n`);
    return join(dir, 'plan.yaml');
  };

  it('proves a plan whose default privileges give what existing tables lack (bug 1): the privilege added by hand is one they do not give', async () => {
    const file = planFile(
      `pgrant: 1
database: pb_defaults_test
patterns:
  - pattern: roles
    roles:
      - name: pb_cleaner
        grants:
          - {privileges: [USAGE], schemas: [app]}
        default_privileges:
          - {on: tables, privileges: [SELECT, TRUNCATE], schemas: [app], owners: [pb_app_owner]}
`,
      'CREATE SCHEMA app AUTHORIZATION pb_app_owner; SET ROLE pb_app_owner; CREATE TABLE app.old (id integer); RESET ROLE;\n',
    );
    const report = await provePlan({ planFile: file, server: addressOf(servers.get(harnessMajor)!) });
    expect(report.phases.find((p) => p.name === 'verify.sql catches a privilege added by hand')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^GRANT DELETE ON TABLE app\.old TO pb_cleaner/) });
    expect(report.ok, JSON.stringify(report.phases.filter((p) => p.status === 'fail'))).toBe(true);
  });

  it.each(['superuser', 'managed'] as const)('as %s: the INSERT probe works on identity and generated columns (bug 4)', async (deployer) => {
    const file = planFile(
      `pgrant: 1
database: pb_identity
patterns:
  - {pattern: readwrite, role: pb_writer, schemas: [app], owners: [pb_app_owner]}
  - {pattern: readonly, role: pb_viewer, schemas: [app], owners: [pb_app_owner]}
`,
      `CREATE SCHEMA app AUTHORIZATION pb_app_owner;
SET ROLE pb_app_owner;
CREATE TABLE app.items (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
CREATE TABLE app.tags (id integer GENERATED ALWAYS AS IDENTITY);
CREATE TABLE app.totals (doubled integer GENERATED ALWAYS AS (n * 2) STORED, n integer);
RESET ROLE;
`,
    );
    const report = await provePlan({ planFile: file, server: addressOf(servers.get(harnessMajor)!), deployer });
    const inserts = report.probes.filter((p) => /^INSERT app\.(items|tags|totals)$/.test(p.capability)).map((p) => `${p.role} ${p.capability}: ${p.outcome}`);
    // readwrite may INSERT, readonly may not (the patterns' documentation); PostgreSQL answers each.
    expect(inserts.sort()).toEqual([
      'pb_viewer INSERT app.items: denied',
      'pb_viewer INSERT app.tags: denied',
      'pb_viewer INSERT app.totals: denied',
      'pb_writer INSERT app.items: allowed',
      'pb_writer INSERT app.tags: allowed',
      'pb_writer INSERT app.totals: allowed',
    ]);
    expect(report.ok, JSON.stringify(report.phases.filter((p) => p.status === 'fail'))).toBe(true);
  });

  it.each(['superuser', 'managed'] as const)('as %s: an owner with CREATE but not USAGE on the schema creates its objects after deploy (bug 5)', async (deployer) => {
    const file = planFile(
      `pgrant: 1
database: pb_create_only
patterns:
  - {pattern: readonly, role: pb_viewer, schemas: [app], owners: [pb_loader]}
`,
      `CREATE SCHEMA app;
GRANT CREATE ON SCHEMA app TO pb_loader;
CREATE TABLE app.t (id integer);
`,
    );
    const report = await provePlan({ planFile: file, server: addressOf(servers.get(harnessMajor)!), deployer });
    expect(report.phases.find((p) => p.name === 'objects created after deploy (default privileges)')).toMatchObject({ status: 'pass' });
    // What pb_loader created is covered by its default privileges: pb_viewer may SELECT it.
    expect(report.probes.find((p) => p.role === 'pb_viewer' && p.capability === 'SELECT app.pgrant_after_1')).toMatchObject({ expected: true, outcome: 'allowed' });
    expect(report.ok, JSON.stringify(report.phases.filter((p) => p.status === 'fail'))).toBe(true);
  });
});
