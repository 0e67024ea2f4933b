// Output hygiene on real servers: verify.sql's FAIL lines and deploy.sql's messages print names with
// control characters escaped (a newline in a table name cannot fake a report line, ESC reaches no
// terminal); each remediation statement they propose runs as written; no hint proposes granting a superuser.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, ident, type Db } from '../../src/harness/db.js';
import { runPsql } from '../../src/harness/psql.js';
import type { Server } from '../../src/harness/server.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';

const wanted = TEST_MAJORS.filter((m) => m === 14 || m === 18);
const MAJORS = wanted.length ? wanted : TEST_MAJORS;
const servers = useServers(MAJORS);
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;
const DBA = { user: 'oh_dba', password: 'managed admin password' };

async function renderTo(text: string, major: number): Promise<Record<string, string>> {
  const dir = tempDir('hygiene');
  writeFileSync(join(dir, 'plan.yaml'), text);
  const { files } = await renderPlanFile(join(dir, 'plan.yaml'), { postgres: major });
  const paths: Record<string, string> = {};
  for (const [name, content] of files) {
    paths[name] = join(dir, name);
    writeFileSync(paths[name], content);
  }
  return paths;
}

/** A database and roles for one test, dropped after it. */
async function withDatabase(server: Server, database: string, roles: string[], fn: (db: Db) => Promise<void>): Promise<void> {
  const admin = await connect(server, 'postgres');
  await admin.query(`CREATE DATABASE ${ident(database)}`);
  const db = await connect(server, database);
  try {
    await fn(db);
  } finally {
    await db.end();
    await admin.query(`DROP DATABASE ${ident(database)} WITH (FORCE)`);
    for (const role of roles) await admin.query(`DROP OWNED BY ${ident(role)} CASCADE; DROP ROLE ${ident(role)}`).catch(() => {});
    await admin.end();
  }
}

const NEWLINE_TABLE = 'x\nFAIL: a line verify.sql never wrote';
const ESC_TABLE = 'e\x1b[2J\x1b]0;title\x07';
const CREATEROLE_SQUATTER = 'sq\x1b[8m\nuat';

const PLAN = `pgrant: 1
name: hygiene
database: oh_db
patterns:
  - pattern: readonly
    role: oh_reader
    schemas: [app]
    owners: [oh_owner]
    members:
      - name: oh_app
`;

describe.each(MAJORS)('PostgreSQL %i', (major) => {
  it('verify.sql and deploy.sql print control characters in names escaped; each remediation runs as written', async () => {
    const server = servers.get(major)!;
    await withDatabase(server, 'oh_db', ['oh_reader', 'oh_app', 'oh_owner', CREATEROLE_SQUATTER], async (db) => {
      await db.query('CREATE ROLE oh_owner NOLOGIN; CREATE SCHEMA app AUTHORIZATION oh_owner; SET ROLE oh_owner; CREATE TABLE app.t (n int); RESET ROLE');
      const files = await renderTo(PLAN, major);
      const deploy = await runPsql(server, { database: 'oh_db', file: files['deploy.sql']! });
      expect(deploy.code, deploy.stderr).toBe(0);
      // Hostile state: extra grants on tables whose names hold a newline and ESC sequences; a function and
      // a table with a serial column (its sequence owned by the column) owned by a plan login.
      await db.query(`SET ROLE oh_owner; CREATE TABLE app.${ident(NEWLINE_TABLE)} (n int); CREATE TABLE app.${ident(ESC_TABLE)} (n int); RESET ROLE`);
      await db.query(`GRANT INSERT ON app.${ident(NEWLINE_TABLE)}, app.${ident(ESC_TABLE)} TO oh_reader`);
      await db.query('CREATE FUNCTION app.f(a integer, b text) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$; ALTER FUNCTION app.f(integer, text) OWNER TO oh_app');
      await db.query('CREATE TABLE app.s (id serial); ALTER TABLE app.s OWNER TO oh_app');
      // Before 16 deploy.sql warns about every CREATEROLE role, by name.
      await db.query(`CREATE ROLE ${ident(CREATEROLE_SQUATTER)} CREATEROLE`);

      const verify = await runPsql(server, { database: 'oh_db', file: files['verify.sql']! });
      expect(verify.code).not.toBe(0);
      const out = verify.stdout + verify.stderr;
      expect(out).not.toMatch(RAW_CONTROL);
      const fails = verify.stdout.split('\n').filter((l) => l.startsWith('FAIL: '));
      // One line per failure, the newline shown as \n inside it: no line of its own.
      expect(fails.filter((l) => l.includes('never wrote'))).toHaveLength(1);
      expect(fails.some((l) => l.startsWith('FAIL: "role oh_reader holds INSERT on table app.x\\nFAIL: a line verify.sql never wrote, which the plan does not grant')), fails.join('\n')).toBe(true);
      expect(fails.join('\n')).toContain('\\u001b[2J\\u001b]0;title\\u0007');
      // The function and the table owned by the plan login, each with a statement that fixes it; none for
      // the serial's sequence (it changes owner with its table).
      const statements = fails.map((l) => /\(deploy\.sql leaves it; to remove it: (.*)\)$/.exec(l)?.[1]).filter((s): s is string => s !== undefined);
      expect(statements.sort()).toEqual(['ALTER ROUTINE app.f(a integer, b text) OWNER TO oh_owner', 'ALTER TABLE app.s OWNER TO oh_owner']);

      // deploy.sql removes the extra grants, naming each table escaped, and reports what it leaves.
      const again = await runPsql(server, { database: 'oh_db', file: files['deploy.sql']! });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout + again.stderr).not.toMatch(RAW_CONTROL);
      expect(again.stderr).toContain('pgrant: removing: "role oh_reader holds INSERT on table app.x\\nFAIL: a line verify.sql never wrote, which the plan does not grant');
      expect(again.stderr).toContain('ALTER ROUTINE app.f(a integer, b text) OWNER TO oh_owner;');
      if (major < 16) expect(again.stderr).toContain('pgrant: role "sq\\u001b[8m\\nuat" has CREATEROLE');

      for (const statement of statements) {
        const r = await runPsql(server, { database: 'oh_db', command: statement });
        expect(r.stderr, statement).toBe('');
      }
      const after = await runPsql(server, { database: 'oh_db', file: files['verify.sql']! });
      expect(after.code, after.stdout + after.stderr).toBe(0);
    });
  });

  it('never proposes granting a superuser to a managed service\'s admin (schema public owned by the superuser, as on 14)', async () => {
    const server = servers.get(major)!;
    await withDatabase(server, 'oh_pub', ['oh_pub_reader', DBA.user], async (db) => {
      const superuser = (await db.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
      await db.query(`CREATE ROLE ${ident(DBA.user)} NOSUPERUSER LOGIN CREATEROLE CREATEDB PASSWORD '${DBA.password}'`);
      await db.query(`ALTER DATABASE oh_pub OWNER TO ${ident(DBA.user)}; ALTER SCHEMA public OWNER TO ${ident(superuser)}; CREATE TABLE public.t (n int); ALTER TABLE public.t OWNER TO ${ident(DBA.user)}`);
      const files = await renderTo('pgrant: 1\nname: pub\ndatabase: oh_pub\npatterns:\n  - pattern: readonly\n    role: oh_pub_reader\n    schemas: [public]\n', major);
      const deploy = await runPsql(server, { database: 'oh_pub', file: files['deploy.sql']!, login: DBA });
      expect(deploy.code).not.toBe(0);
      expect(deploy.stderr).toContain(`is not a member of the roles that own what the plan grants on: ${superuser}`);
      expect(deploy.stderr).not.toMatch(new RegExp(`GRANT (owner|${superuser}) TO`));
      expect(deploy.stderr).toContain('ALTER SCHEMA public OWNER TO pg_database_owner');
      // The statement the hint names, run by a superuser, lets the admin deploy.
      expect((await runPsql(server, { database: 'oh_pub', command: 'ALTER SCHEMA public OWNER TO pg_database_owner' })).stderr).toBe('');
      const retry = await runPsql(server, { database: 'oh_pub', file: files['deploy.sql']!, login: DBA });
      expect(retry.code, retry.stderr).toBe(0);
    });
  });
});
