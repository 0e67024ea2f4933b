// On a real server: `pgrant test` reports harness errors as lines with a cause and never crashes on a plan
// whose owners it creates; fixtures may name the plan's roles or create the ones it references; and a
// role given explicit tables gets only those tables' sequences. Expectations are written by hand.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, ident, type Db } from '../../src/harness/db.js';
import { runPsql } from '../../src/harness/psql.js';
import { addressOf, type Server } from '../../src/harness/server.js';
import { provePlan } from '../../src/harness/prove.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { auditSql } from '../../src/audit/audit.js';
import { cli } from '../support/cli.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';

const major = TEST_MAJORS.includes(17) ? 17 : TEST_MAJORS[0]!;
const servers = useServers([major]);

function planFile(text: string, extra: Record<string, string> = {}): string {
  const dir = tempDir('newcomer-pg');
  for (const [name, content] of Object.entries(extra)) writeFileSync(join(dir, name), content);
  const file = join(dir, 'plan.yaml');
  writeFileSync(file, text);
  return file;
}

/** A stack frame as Node prints it. */
const STACK = /^\s+at .*(\.js|\.ts):\d+/m;

describe(`pgrant test on PostgreSQL ${major}: no crash, no stack`, () => {
  it('passes a plan whose owners are roles it creates, without a fixture', async () => {
    const file = planFile(`pgrant: 1
name: own_owner
database: own_owner
patterns:
  - pattern: roles
    roles: [{name: nc_own, login: true}]
  - pattern: readonly
    role: nc_readonly
    schemas: [inventory]
    owners: [nc_own]
`);
    const r = await cli('test', file, '--pg', String(major));
    expect(r.stdout).not.toMatch(STACK);
    expect(r.stdout).not.toMatch(/does not exist/);
    expect(r.code, r.stdout).toBe(0);
  });

  it('an unexpected error is a report line with PostgreSQL\'s message, its SQLSTATE and a hint; the stack only with --verbose', async () => {
    // The automatic fixture creates the function the plan grants on; its argument type does not exist.
    const file = planFile(`pgrant: 1
name: bad_type
database: bad_type
patterns:
  - pattern: roles
    roles:
      - name: nc_caller
        grants:
          - {privileges: [USAGE], schemas: [public]}
          - {privileges: [EXECUTE], functions: ["public.refresh(nc_no_such_type)"]}
`);
    const r = await cli('test', file, '--pg', String(major));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ pg\d+ as superuser: fixture:\n\s+ERROR: type "?nc_no_such_type"? does not exist \(SQLSTATE 42704\)\n\s+hint: an object the fixture or the plan names does not exist yet/);
    expect(r.stdout).not.toMatch(STACK);
    const verbose = await cli('test', file, '--pg', String(major), '--verbose');
    expect(verbose.code).toBe(1);
    expect(verbose.stdout).toMatch(STACK);
  });
});

describe(`fixtures and the roles of a plan, on PostgreSQL ${major}`, () => {
  it('a fixture may create its schema AUTHORIZATION a role the plan creates (the migration role)', async () => {
    const file = planFile(
      `pgrant: 1
name: nc_migrator
database: nc_migrator
patterns:
  - pattern: app-user
    role: nc_migrator
    password: {psql: nc_migrator_password}
    schemas: [sales]
    owners: [nc_migrator]
  - pattern: readonly
    role: nc_readonly
    schemas: [sales]
    owners: [nc_migrator]
test:
  fixture: schema.sql
`,
      { 'schema.sql': 'CREATE SCHEMA sales AUTHORIZATION nc_migrator;\nSET ROLE nc_migrator;\nCREATE TABLE sales.orders (id serial PRIMARY KEY, total numeric);\nRESET ROLE;\n' },
    );
    const report = await provePlan({ planFile: file, server: addressOf(servers.get(major)!) });
    expect(report.phases.filter((p) => p.status === 'fail')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.probes.some((p) => p.role === 'nc_readonly' && p.capability === 'SELECT sales.orders' && p.expected && p.actual)).toBe(true);
  });

  it('a fixture may create a role the plan only references', async () => {
    const file = planFile(
      `pgrant: 1
name: nc_refowner
database: nc_refowner
patterns:
  - pattern: readonly
    role: nc_reader
    schemas: [sales]
    owners: [nc_owner]
test:
  fixture: schema.sql
`,
      { 'schema.sql': 'CREATE ROLE nc_owner NOLOGIN;\nCREATE SCHEMA sales AUTHORIZATION nc_owner;\nCREATE TABLE sales.orders (id int);\nALTER TABLE sales.orders OWNER TO nc_owner;\n' },
    );
    const report = await provePlan({ planFile: file, server: addressOf(servers.get(major)!) });
    expect(report.phases.filter((p) => p.status === 'fail')).toEqual([]);
    expect(report.ok).toBe(true);
    const db = await connect(servers.get(major)!, 'postgres');
    try {
      expect((await db.query("SELECT 1 FROM pg_roles WHERE rolname = 'nc_owner'")).rowCount).toBe(0);
    } finally {
      await db.end();
    }
  });

  it('the team example gets no "inserts will fail" hints: its roles that insert can use the sequences', async () => {
    const report = await provePlan({ planFile: 'examples/team.yaml', server: addressOf(servers.get(major)!) });
    expect(report.ok).toBe(true);
    expect(report.hints).toEqual([]);
  });
});

describe(`least privilege on sequences, PostgreSQL ${major}`, () => {
  const PLAN = `pgrant: 1
name: seqs
postgres: ${major}
database: seqs
patterns:
  - pattern: readonly
    role: q_readonly
    schemas: [shop]
    tables: [shop.orders, shop.customers]
    owners: [q_owner]
  - pattern: readwrite
    role: q_readwrite
    schemas: [shop]
    tables: [shop.orders]
    owners: [q_owner]
  - pattern: app-user
    role: q_app
    schemas: [shop]
    tables: [shop.customers]
    owners: [q_owner]
  - pattern: readonly
    role: q_everything
    schemas: [shop]
    owners: [q_owner]
`;
  // orders: a serial column; customers: an identity column; notes: a serial column, not listed;
  // invoice_numbers: a sequence no column owns.
  const FIXTURE = `CREATE SCHEMA shop AUTHORIZATION q_owner;
SET ROLE q_owner;
CREATE TABLE shop.orders (id serial PRIMARY KEY, total numeric);
CREATE TABLE shop.customers (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text);
CREATE TABLE shop.notes (id serial PRIMARY KEY, body text);
CREATE SEQUENCE shop.invoice_numbers;
RESET ROLE;
`;

  async function withDatabase(server: Server, fn: (db: Db, run: (file: string) => Promise<{ code: number; stdout: string; stderr: string }>) => Promise<void>): Promise<void> {
    const admin = await connect(server, 'postgres');
    await admin.query('CREATE ROLE q_owner NOLOGIN');
    await admin.query('CREATE DATABASE seqs');
    const db = await connect(server, 'seqs');
    const dir = tempDir('newcomer-seqs');
    try {
      writeFileSync(join(dir, 'fixture.sql'), FIXTURE);
      expect((await runPsql(server, { database: 'seqs', file: join(dir, 'fixture.sql') })).code).toBe(0);
      await fn(db, (file) => runPsql(server, { database: 'seqs', file }));
    } finally {
      await db.end();
      await admin.query('DROP DATABASE seqs WITH (FORCE)');
      for (const role of ['q_readonly', 'q_readwrite', 'q_app', 'q_everything', 'q_owner']) await admin.query(`DROP ROLE IF EXISTS ${ident(role)}`);
      await admin.end();
    }
  }

  async function render(text: string, from?: string): Promise<Map<string, string>> {
    const plan = planFile(text);
    const rendered = await renderPlanFile(plan, { from: from ? { text: from, label: 'old.yaml' } : undefined });
    const dir = tempDir('newcomer-seqs');
    const paths = new Map<string, string>([['plan.yaml', plan]]);
    writeFileSync(join(dir, 'audit.sql'), auditSql());
    paths.set('audit.sql', join(dir, 'audit.sql'));
    for (const [name, content] of rendered.files) {
      writeFileSync(join(dir, name), content);
      paths.set(name, join(dir, name));
    }
    return paths;
  }

  /** role → sequence → privileges held (has_sequence_privilege), for the four sequences. */
  async function held(db: Db): Promise<Record<string, Record<string, string[]>>> {
    const rows = await db.query<{ role: string; seq: string; privs: string[] }>(
      `SELECT r.rolname AS role, c.relname AS seq,
              ARRAY(SELECT p FROM unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) p WHERE has_sequence_privilege(r.oid, c.oid, p)) AS privs
       FROM pg_roles r CROSS JOIN pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE r.rolname IN ('q_readonly', 'q_readwrite', 'q_app', 'q_everything') AND n.nspname = 'shop' AND c.relkind = 'S'
       ORDER BY 1, 2`,
    );
    const out: Record<string, Record<string, string[]>> = {};
    for (const r of rows.rows) (out[r.role] ??= {})[r.seq] = r.privs;
    return out;
  }

  it('with explicit tables: only the sequences those tables own (serial and identity), and no sequence defaults', async () => {
    const server = servers.get(major)!;
    const files = await render(PLAN);
    await withDatabase(server, async (db, run) => {
      const deploy = await run(files.get('deploy.sql')!);
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(await held(db)).toEqual({
        q_app: { customers_id_seq: ['USAGE', 'SELECT'], invoice_numbers: [], notes_id_seq: [], orders_id_seq: [] },
        q_everything: { customers_id_seq: ['SELECT'], invoice_numbers: ['SELECT'], notes_id_seq: ['SELECT'], orders_id_seq: ['SELECT'] },
        q_readonly: { customers_id_seq: ['SELECT'], invoice_numbers: [], notes_id_seq: [], orders_id_seq: ['SELECT'] },
        q_readwrite: { customers_id_seq: [], invoice_numbers: [], notes_id_seq: [], orders_id_seq: ['USAGE', 'SELECT'] },
      });
      // Default privileges on sequences only for the role whose tables are not listed.
      const defaults = await db.query<{ grantee: string; objtype: string }>(
        `SELECT DISTINCT pg_get_userbyid(a.grantee) AS grantee, d.defaclobjtype::text AS objtype
         FROM pg_default_acl d CROSS JOIN LATERAL aclexplode(d.defaclacl) a ORDER BY 1, 2`,
      );
      expect(defaults.rows).toEqual([
        { grantee: 'q_everything', objtype: 'S' },
        { grantee: 'q_everything', objtype: 'r' },
      ]);
      // A sequence made later by the owner: only q_everything gets it.
      await db.query('SET ROLE q_owner; CREATE SEQUENCE shop.later; RESET ROLE');
      const later = await db.query<{ role: string; ok: boolean }>(
        `SELECT r AS role, has_sequence_privilege(r, 'shop.later', 'SELECT') AS ok FROM unnest(ARRAY['q_readonly', 'q_readwrite', 'q_app', 'q_everything']) r ORDER BY 1`,
      );
      expect(later.rows).toEqual([
        { role: 'q_app', ok: false },
        { role: 'q_everything', ok: true },
        { role: 'q_readonly', ok: false },
        { role: 'q_readwrite', ok: false },
      ]);
      await db.query('DROP SEQUENCE shop.later');
      // The application can insert into its table through the identity column; verify.sql agrees.
      await db.query("SET ROLE q_app; INSERT INTO shop.customers (name) VALUES ('Ada'); RESET ROLE");
      const verify = await run(files.get('verify.sql')!);
      expect(verify.code, verify.stdout).toBe(0);
      // The audit of an air-gapped server knows which table owns each sequence: no drift.
      const audit = async () => {
        const r = await run(files.get('audit.sql')!);
        expect(r.code, r.stderr).toBe(0);
        const state = join(dirname(files.get('audit.sql')!), 'state.json');
        writeFileSync(state, r.stdout);
        return cli('diff', files.get('plan.yaml')!, '--audit', state);
      };
      const clean = await audit();
      expect(clean.stdout).toBe('pgrant diff: no drift between plan seqs and database seqs');
      expect(clean.code).toBe(0);
      // A sequence privilege added by hand outside the listed tables: verify.sql names it, deploy.sql removes it.
      await db.query('GRANT SELECT ON SEQUENCE shop.notes_id_seq TO q_readonly');
      const drifted = await audit();
      expect(drifted.code).toBe(1);
      expect(drifted.stdout).toMatch(/extra: role q_readonly holds SELECT on sequence shop\.notes_id_seq/);
      const drift = await run(files.get('verify.sql')!);
      expect(drift.code).not.toBe(0);
      expect(drift.stdout).toMatch(/role q_readonly holds SELECT on sequence shop\.notes_id_seq/);
      expect((await run(files.get('deploy.sql')!)).code).toBe(0);
      expect((await held(db)).q_readonly!.notes_id_seq).toEqual([]);
      expect((await run(files.get('verify.sql')!)).code).toBe(0);
    });
  });

  it('migrate.sql grants and revokes the sequences of tables added to and removed from the list', async () => {
    const server = servers.get(major)!;
    const v1 = PLAN;
    const v2 = PLAN.replace('tables: [shop.orders, shop.customers]', 'tables: [shop.notes, shop.customers]');
    const first = await render(v1);
    const migration = await render(v2, v1);
    expect(migration.has('migrate.sql')).toBe(true);
    await withDatabase(server, async (db, run) => {
      expect((await run(first.get('deploy.sql')!)).code).toBe(0);
      const migrate = await run(migration.get('migrate.sql')!);
      expect(migrate.code, migrate.stderr).toBe(0);
      const q = (await held(db)).q_readonly!;
      expect(q).toEqual({ customers_id_seq: ['SELECT'], invoice_numbers: [], notes_id_seq: ['SELECT'], orders_id_seq: [] });
      expect((await run(migration.get('verify.sql')!)).code).toBe(0);
    });
  });
});
