// Managed PostgreSQL: the generated files run as a provider's admin (NOSUPERUSER LOGIN CREATEROLE CREATEDB,
// owner of the database, member WITH ADMIN OPTION of the owner roles), by hand with psql as a DBA would,
// on PostgreSQL 15 and 17 (or what PGRANT_TEST_MAJORS allows). Expectations are written by hand.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, ident, type Db } from '../../src/harness/db.js';
import { runPsql, type PsqlResult } from '../../src/harness/psql.js';
import { runTests } from '../../src/harness/run.js';
import { formatReport } from '../../src/harness/report.js';
import type { Server } from '../../src/harness/server.js';
import { snapshot } from '../../src/harness/snapshot.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { sharedEngine, TEST_MAJORS, useServers } from '../support/servers.js';

const wanted = TEST_MAJORS.filter((m) => m === 15 || m === 17);
const MAJORS = wanted.length ? wanted : [TEST_MAJORS[0]!];
const servers = useServers(MAJORS);
const allServers = useServers();
const BASE = readFileSync('test/converge/v1.yaml', 'utf8');
const FIXTURE = 'test/converge/fixture.sql';
const PREVIOUS_DEPLOY = 'test/managed/previous-release-deploy.sql';
const OWNERS = ['c_owner', 'c_owner2', 'c_external'];
const PLAN_ROLES = ['c_readers', 'c_alice', 'c_bob', 'c_writers', 'c_auditor', 'c_old_name'];
const DBA = { user: 'm_dba', password: 'managed admin password' };

const temp: string[] = [];
afterAll(() => temp.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Plan = { patterns: Record<string, unknown>[] } & Record<string, unknown>;
const edit = (fn: (p: Plan) => void): string => {
  const p = parse(BASE) as Plan;
  fn(p);
  return stringify(p);
};
const pattern = (p: Plan, name: string) => p.patterns.find((x) => x.pattern === name)!;

/** deploy.sql, verify.sql, revert.sql of a plan text, for a major, in a temporary folder. */
async function files(text: string, major: number, from?: string): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'pgrant-managed-'));
  temp.push(dir);
  writeFileSync(join(dir, 'plan.yaml'), text);
  const rendered = await renderPlanFile(join(dir, 'plan.yaml'), { postgres: major, from: from ? { text: from, label: 'v1.yaml' } : undefined });
  const paths: Record<string, string> = {};
  for (const [name, content] of rendered.files) {
    writeFileSync(join(dir, name), content);
    paths[name] = join(dir, name);
  }
  return paths;
}

/** A fresh database `conv` owned by the admin, the owner roles (the admin a member WITH ADMIN), the fixture loaded by the admin. */
async function withManagedDatabase(server: Server, fn: (ctx: { su: Db; asDba: (file: string) => Promise<PsqlResult>; asSuperuser: (file: string) => Promise<PsqlResult> }) => Promise<void>): Promise<void> {
  const maintenance = await connect(server, 'postgres');
  for (const r of OWNERS) await maintenance.query(`CREATE ROLE ${ident(r)} NOLOGIN`);
  await maintenance.query(`CREATE ROLE ${ident(DBA.user)} NOSUPERUSER LOGIN CREATEROLE CREATEDB PASSWORD '${DBA.password}'`);
  for (const r of OWNERS) await maintenance.query(`GRANT ${ident(r)} TO ${ident(DBA.user)} WITH ADMIN OPTION`);
  await maintenance.query(`CREATE DATABASE conv OWNER ${ident(DBA.user)}`);
  const su = await connect(server, 'conv');
  su.on('error', () => {});
  const asDba = (file: string) => runPsql(server, { database: 'conv', file, login: DBA });
  const asSuperuser = (file: string) => runPsql(server, { database: 'conv', file });
  try {
    const fixture = await asDba(FIXTURE);
    expect(fixture.code, fixture.stderr).toBe(0);
    await fn({ su, asDba, asSuperuser });
  } finally {
    await su.end();
    await maintenance.query('DROP DATABASE conv WITH (FORCE)');
    // The plan's and the test's roles first, the admin last (it granted memberships and owns what it created).
    const left = (await maintenance.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname ~ '^c_' ORDER BY 1")).rows;
    for (const { rolname } of left) await maintenance.query(`DROP OWNED BY ${ident(rolname)}; DROP ROLE ${ident(rolname)}`);
    await maintenance.query(`DROP OWNED BY ${ident(DBA.user)}; DROP ROLE ${ident(DBA.user)}`);
    await maintenance.end();
  }
}

const rolesLeft = async (db: Db, names: string[]) => (await db.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1) ORDER BY 1', [names])).rows.map((r) => r.rolname);
const rows = async (db: Db) => (await db.query<{ t: string }>("SELECT (SELECT string_agg(o::text, ',' ORDER BY id) FROM app.orders o) || '|' || (SELECT count(*) FROM app.customers) AS t")).rows[0]!.t;

describe.each(MAJORS)('PostgreSQL %i, files run by hand as a managed service\'s admin', (major) => {
  it('deploy, deploy again, drift added by the owner, a member removed, revert', async () => {
    const v1 = await files(BASE, major);
    const v2 = await files(edit((p) => (pattern(p, 'readonly').members = ['c_alice'])), major);
    await withManagedDatabase(servers.get(major)!, async ({ su, asDba }) => {
      const dataBefore = await rows(su);
      const first = await asDba(v1['deploy.sql']!);
      expect(first.code, first.stderr).toBe(0);
      expect(await rolesLeft(su, PLAN_ROLES)).toEqual([...PLAN_ROLES].sort());
      // Not one attribute word a non-superuser may not say, and nothing changes the second time.
      const before = await snapshot(su);
      const again = await asDba(v1['deploy.sql']!);
      expect(again.code, again.stderr).toBe(0);
      expect(await snapshot(su)).toEqual(before);
      // The owner adds a privilege by hand: verify names it, the next deploy removes it.
      await su.query('SET ROLE c_owner; GRANT DELETE ON app.orders TO c_readers; RESET ROLE');
      const drift = await asDba(v1['verify.sql']!);
      expect(drift.code).not.toBe(0);
      expect(drift.stdout).toContain('FAIL: role c_readers holds DELETE on table app.orders, which the plan does not grant');
      expect((await asDba(v1['deploy.sql']!)).code).toBe(0);
      const clean = await asDba(v1['verify.sql']!);
      expect(clean.code, clean.stdout + clean.stderr).toBe(0);
      expect((await su.query("SELECT has_table_privilege('c_readers', 'app.orders', 'DELETE') AS d")).rows[0].d).toBe(false);
      // A member removed from the plan is dropped by the next deploy.
      const next = await asDba(v2['deploy.sql']!);
      expect(next.code, next.stderr).toBe(0);
      expect(await rolesLeft(su, ['c_bob'])).toEqual([]);
      expect((await asDba(v2['verify.sql']!)).code).toBe(0);
      // Revert: no plan role left, every row still there, and no bookkeeping left behind.
      const revert = await asDba(v2['revert.sql']!);
      expect(revert.code, revert.stderr).toBe(0);
      expect(await rolesLeft(su, PLAN_ROLES)).toEqual([]);
      expect(await rows(su)).toBe(dataBefore);
      expect((await su.query("SELECT to_regnamespace('pgrant') AS s")).rows[0].s).toBeNull();
    });
  });

  it('migrate.sql from v1 to v2 (a member and a role removed, an owner changed) runs as the admin; verify.sql of v2 passes', async () => {
    const v1 = await files(BASE, major);
    const v2text = edit((p) => {
      pattern(p, 'readonly').members = ['c_alice'];
      pattern(p, 'readonly').owners = ['c_owner2'];
      pattern(p, 'roles').roles = (pattern(p, 'roles').roles as { name: string }[]).filter((r) => r.name !== 'c_auditor');
    });
    const v2 = await files(v2text, major, BASE);
    await withManagedDatabase(servers.get(major)!, async ({ su, asDba }) => {
      expect((await asDba(v1['deploy.sql']!)).code).toBe(0);
      const migrate = await asDba(v2['migrate.sql']!);
      expect(migrate.code, migrate.stderr).toBe(0);
      expect(await rolesLeft(su, ['c_auditor', 'c_bob'])).toEqual([]);
      const verify = await asDba(v2['verify.sql']!);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect((await asDba(v2['revert.sql']!)).code).toBe(0);
    });
  });

  it('bypassrls: true stops before any change, naming BYPASSRLS, the role and why', async () => {
    const plan = await files(edit((p) => pattern(p, 'roles').roles = [{ name: 'c_auditor', bypassrls: true, grants: [{ privileges: ['USAGE'], schemas: ['app'] }] }]), major);
    await withManagedDatabase(servers.get(major)!, async ({ su, asDba }) => {
      const r = await asDba(plan['deploy.sql']!);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/pgrant: m_dba is not a superuser, and this needs one: BYPASSRLS for role c_auditor \(the plan gives it\); no role or privilege was changed/);
      expect(r.stderr).toMatch(/rds_replication/);
      expect(await rolesLeft(su, PLAN_ROLES)).toEqual([]);
      expect((await su.query("SELECT to_regnamespace('pgrant') AS s")).rows[0].s).toBeNull();
    });
  });

  it('a plan that creates its database stops before CREATE DATABASE when it needs a superuser', async () => {
    const plan = await files(
      'pgrant: 1\nname: m_create\ndatabase: m_created\npatterns:\n  - {pattern: database, name: m_created, create: true}\n  - pattern: roles\n    roles: [{name: c_rls, bypassrls: true}]\n',
      major,
    );
    await withManagedDatabase(servers.get(major)!, async ({ su }) => {
      const r = await runPsql(servers.get(major)!, { database: 'postgres', file: plan['deploy.sql']!, login: DBA });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/pgrant: m_dba is not a superuser, and this needs one: BYPASSRLS for role c_rls \(the plan gives it\)/);
      expect((await su.query("SELECT count(*)::int AS n FROM pg_database WHERE datname = 'm_created'")).rows[0].n).toBe(0);
      expect(await rolesLeft(su, ['c_rls'])).toEqual([]);
    });
  });

  // schema public stays as it is: on 14 it belongs to the bootstrap superuser, which no admin may act as (tested elsewhere).
  it('a database the plan creates, owned by a role the plan creates: the first deploy creates both (superuser and admin), the owner as said', async () => {
    const plan = await files(
      'pgrant: 1\nname: m_owned\ndatabase: m_owned\npatterns:\n  - {pattern: database, name: m_owned, owner: c_dbowner, create: true, harden_public_schema: false}\n  - pattern: roles\n    roles: [{name: c_dbowner, login: true}]\n',
      major,
    );
    const server = servers.get(major)!;
    await withManagedDatabase(server, async ({ su }) => {
      for (const login of [undefined, DBA]) {
        try {
          const first = await runPsql(server, { database: 'postgres', file: plan['deploy.sql']!, login });
          expect(first.code, first.stderr).toBe(0);
          const again = await runPsql(server, { database: 'postgres', file: plan['deploy.sql']!, login });
          expect(again.code, again.stderr).toBe(0);
          const owner = await su.query<{ owner: string }>("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'm_owned'");
          expect(owner.rows).toEqual([{ owner: 'c_dbowner' }]);
        } finally {
          await su.query('DROP DATABASE IF EXISTS m_owned WITH (FORCE)');
          await su.query('DROP ROLE IF EXISTS c_dbowner');
        }
      }
    });
  });

  it('an owner the admin is not a member of stops the deploy, naming it', async () => {
    const plan = await files(edit((p) => (pattern(p, 'readonly').owners = ['c_owner2'])), major);
    await withManagedDatabase(servers.get(major)!, async ({ su, asDba }) => {
      await su.query(`REVOKE c_owner2 FROM ${ident(DBA.user)}`);
      const r = await asDba(plan['deploy.sql']!);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/pgrant: m_dba is not a member of roles the plan makes it act as .*: c_owner2; no role or privilege was changed/);
      expect(await rolesLeft(su, PLAN_ROLES)).toEqual([]);
    });
  });

  it('a plan role holding ADMIN OPTION on an outside role cannot make deploy.sql drop or reassign it', async () => {
    const v1 = await files(BASE, major);
    const v2 = await files(edit((p) => (pattern(p, 'roles').roles = [{ name: 'c_auditor', grants: [{ privileges: ['USAGE'], schemas: ['app'] }] }])), major);
    await withManagedDatabase(servers.get(major)!, async ({ su, asDba }) => {
      expect((await asDba(v1['deploy.sql']!)).code).toBe(0);
      // The outside role owns a table with rows; the plan's login c_old_name holds ADMIN OPTION on it.
      await su.query("CREATE ROLE c_victim LOGIN; GRANT USAGE, CREATE ON SCHEMA other TO c_victim; SET ROLE c_victim; CREATE TABLE other.victim_data (n int); INSERT INTO other.victim_data VALUES (7); RESET ROLE");
      await su.query("GRANT c_victim TO c_old_name WITH ADMIN OPTION; ALTER ROLE c_old_name PASSWORD 'attacker'");
      const attacker = { user: 'c_old_name', password: 'attacker' };
      const as = (command: string) => runPsql(servers.get(major)!, { database: 'conv', command, login: attacker, onErrorStop: true });
      const victimOid = (await su.query("SELECT oid FROM pg_roles WHERE rolname = 'c_victim'")).rows[0].oid as number;
      // Every way it has to write the record: the table, the previous release's setting, its own schema pgrant.
      expect((await as(`INSERT INTO pgrant.managed_role VALUES ('conv', ${victimOid}, 'c_victim', '{"plan":"conv"}')`)).stderr).toMatch(/permission denied/);
      expect((await as(`UPDATE pgrant.managed_role SET role_oid = ${victimOid}`)).stderr).toMatch(/permission denied/);
      expect((await as(`ALTER ROLE c_victim IN DATABASE conv SET pgrant.managed = '{"plan":"conv","schemas":[],"databases":[],"owners":[]}'`)).stderr).toMatch(/permission denied|must be superuser/);
      expect((await as('DROP SCHEMA pgrant CASCADE')).stderr).toMatch(/must be owner/);
      // What ADMIN OPTION does allow: making others members of the victim, including the deployer and plan roles.
      expect((await as(`GRANT c_victim TO c_auditor; GRANT c_victim TO ${ident(DBA.user)}`)).code).toBe(0);
      // v2 drops roles the plan no longer has (c_readers' members stay; c_writers, c_old_name … go), as the admin and then as a superuser.
      const deployed = await asDba(v2['deploy.sql']!);
      expect(deployed.code, deployed.stderr).toBe(0);
      expect(await rolesLeft(su, ['c_old_name', 'c_victim'])).toEqual(['c_victim']);
      expect((await su.query("SELECT tableowner FROM pg_tables WHERE tablename = 'victim_data'")).rows[0].tableowner).toBe('c_victim');
      expect((await su.query('SELECT n FROM other.victim_data')).rows).toEqual([{ n: 7 }]);
      expect((await su.query("SELECT count(*)::int AS n FROM pgrant.managed_role WHERE role_name = 'c_victim'")).rows[0].n).toBe(0);
      await su.query('DROP TABLE other.victim_data');
    });
  });

  it('renamed_from never takes over a role that merely has the old name', async () => {
    const plan = await files(edit((p) => (pattern(p, 'roles').roles = [{ name: 'c_new_name', login: true, renamed_from: 'c_victim' }])), major);
    await withManagedDatabase(servers.get(major)!, async ({ su, asDba }) => {
      // An outside role with the old name (made by someone else, e.g. a role with CREATEROLE), which the admin administers.
      await su.query(`CREATE ROLE c_victim LOGIN; GRANT c_victim TO ${ident(DBA.user)} WITH ADMIN OPTION`);
      const r = await asDba(plan['deploy.sql']!);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/WARNING: {2}pgrant: role c_victim exists, but no deploy of plan conv recorded it: it is left alone, and role c_new_name is created/);
      expect(await rolesLeft(su, ['c_new_name', 'c_victim'])).toEqual(['c_new_name', 'c_victim']);
    });
  });

  it('a schema owned by a plan role cannot pose as the bookkeeping', async () => {
    const v1 = await files(BASE, major);
    await withManagedDatabase(servers.get(major)!, async ({ su, asSuperuser }) => {
      // A plan role made before the first deploy creates its own pgrant.managed_role with a forged row.
      await su.query("CREATE ROLE c_old_name LOGIN; GRANT CREATE ON DATABASE conv TO c_old_name; CREATE ROLE c_victim");
      await su.query("SET ROLE c_old_name; CREATE SCHEMA pgrant; CREATE TABLE pgrant.managed_role (plan text, role_oid oid, role_name name, scope text, PRIMARY KEY (plan, role_oid)); RESET ROLE");
      await su.query("INSERT INTO pgrant.managed_role SELECT 'conv', oid, rolname, '{\"plan\":\"conv\"}' FROM pg_roles WHERE rolname = 'c_victim'");
      const r = await asSuperuser(v1['deploy.sql']!);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/pgrant: the bookkeeping in schema pgrant cannot be trusted: schema pgrant is owned by c_old_name/);
      expect(await rolesLeft(su, ['c_victim'])).toEqual(['c_victim']);
      await su.query('DROP SCHEMA pgrant CASCADE');
    });
  });

  it('upgrade: the previous release deployed, the new files clean a schema removed from the plan', async () => {
    const v2 = await files(edit((p) => (pattern(p, 'readonly').schemas = ['app'])), major);
    for (const deployer of ['superuser', 'admin'] as const) {
      await withManagedDatabase(servers.get(major)!, async ({ su, asDba, asSuperuser }) => {
        // The previous release could only be deployed by a superuser (its records were custom settings).
        const old = await asSuperuser(PREVIOUS_DEPLOY);
        expect(old.code, old.stderr).toBe(0);
        expect((await su.query("SELECT has_table_privilege('c_readers', 'extra.stats', 'SELECT') AS s")).rows[0].s).toBe(true);
        let r: PsqlResult;
        if (deployer === 'admin') {
          r = await asDba(v2['deploy.sql']!);
          if (major >= 16) {
            // From 16 the admin cannot administer roles a superuser made: it says so, and how to fix it.
            expect(r.code).not.toBe(0);
            expect(r.stderr).toMatch(/pgrant: m_dba cannot administer these roles, which exist already: c_alice, c_auditor, c_bob, c_old_name, c_readers, c_writers/);
            expect(r.stderr).toMatch(/GRANT c_alice TO m_dba WITH ADMIN OPTION;/);
            for (const role of PLAN_ROLES) await su.query(`GRANT ${ident(role)} TO ${ident(DBA.user)} WITH ADMIN OPTION`);
            r = await asDba(v2['deploy.sql']!);
          }
          expect(r.code, r.stderr).toBe(0);
          expect(r.stderr).toMatch(/only a superuser may remove them/);
        } else {
          r = await asSuperuser(v2['deploy.sql']!);
          expect(r.code, r.stderr).toBe(0);
          // Read once, then removed.
          expect((await su.query("SELECT count(*)::int AS n FROM pg_db_role_setting s, unnest(s.setconfig) c WHERE c LIKE 'pgrant.managed=%'")).rows[0].n).toBe(0);
        }
        // The schema removed from the plan is cleaned; app is kept.
        expect((await su.query("SELECT has_table_privilege('c_readers', 'extra.stats', 'SELECT') AS s")).rows[0].s).toBe(false);
        expect((await su.query("SELECT has_schema_privilege('c_readers', 'extra', 'USAGE') AS s")).rows[0].s).toBe(false);
        expect((await su.query("SELECT has_table_privilege('c_readers', 'app.orders', 'SELECT') AS s")).rows[0].s).toBe(true);
        const verify = deployer === 'admin' ? await asDba(v2['verify.sql']!) : await asSuperuser(v2['verify.sql']!);
        expect(verify.code, verify.stdout).toBe(0);
      });
    }
  });
});

describe('a plan with readonly + members, app-user, team-hierarchy, project and drop-role', () => {
  it(`passes pgrant test --deployer both on PostgreSQL ${TEST_MAJORS.join(', ')}`, async () => {
    const report = await runTests({ plans: ['test/managed/patterns.yaml'], majors: TEST_MAJORS, deployers: ['superuser', 'managed'], engine: sharedEngine(allServers) });
    const text = formatReport(report).join('\n');
    expect(report.errors).toEqual([]);
    expect(report.cases.map((c) => `${c.major} ${c.deployer}`)).toEqual(TEST_MAJORS.flatMap((m) => [`${m} superuser`, `${m} managed`]));
    for (const c of report.cases) {
      expect(c.ok, `${c.major} ${c.deployer}:\n${text}`).toBe(true);
      expect(c.phases.find((p) => p.name === 'setup')!.detail).toMatch(c.deployer === 'managed' ? /NOSUPERUSER CREATEROLE CREATEDB/ : /superuser/);
    }
  });
});
