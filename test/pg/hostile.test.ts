// Hostile and busy servers (issue 12): each generated file is run with the real psql on real servers where
// someone squatted the plan's roles, changed access by hand, holds locks, logs every statement, runs
// deploys at the same time, or runs an older major. Expectations are written by hand.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Db } from '../../src/harness/db.js';
import { runPsql, type PsqlResult } from '../../src/harness/psql.js';
import type { Server } from '../../src/harness/server.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';

const wanted = TEST_MAJORS.filter((m) => m === 14 || m === 18);
const MAJORS = wanted.length ? wanted : TEST_MAJORS;
const servers = useServers(MAJORS);
const PLAN = 'test/hostile/plan.yaml';
const FIXTURE = 'test/hostile/fixture.sql';
const EXTERNAL = ['h_owner', 'h_grantor', 'h_ext'];
const PASSWORD = 'Sup3r-secret-pw-4-h_alice';

const temps: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'pgrant-hostile-'));
  temps.push(dir);
  return dir;
};

interface Env {
  server: Server;
  /** A client connected to the plan's database as the superuser. */
  db: Db;
  files: Map<string, string>;
  run(file: string, vars?: Record<string, string>, database?: string): Promise<PsqlResult>;
  deploy(vars?: Record<string, string>): Promise<PsqlResult>;
  verify(): Promise<PsqlResult>;
  scalar<T>(sql: string): Promise<T>;
}

const open: { server: Server; db: Db }[] = [];

async function render(major: number, text?: string): Promise<Map<string, string>> {
  let file = PLAN;
  if (text !== undefined) {
    file = join(tempDir(), 'plan.yaml');
    writeFileSync(file, text);
  }
  const rendered = await renderPlanFile(file, { postgres: major });
  const dir = tempDir();
  const paths = new Map<string, string>();
  for (const [name, content] of rendered.files) {
    writeFileSync(join(dir, name), content);
    paths.set(name, join(dir, name));
  }
  return paths;
}

/** A database hs with the fixture (and the roles outside the plan), and the plan's files for `major`. */
async function setup(server: Server, options: { renderFor?: number; before?: (admin: Db) => Promise<void> } = {}): Promise<Env> {
  const admin = await connect(server, 'postgres');
  for (const r of EXTERNAL) await admin.query(`CREATE ROLE ${r} NOLOGIN`);
  await options.before?.(admin);
  await admin.query('CREATE DATABASE hs');
  await admin.end();
  const fixture = await runPsql(server, { database: 'hs', file: FIXTURE });
  expect(fixture.code, fixture.stderr).toBe(0);
  const db = await connect(server, 'hs');
  open.push({ server, db });
  const files = await render(options.renderFor ?? server.major);
  const env: Env = {
    server,
    db,
    files,
    run: (file, vars = {}, database = 'hs') => runPsql(server, { database, file: files.get(file)!, vars }),
    deploy: (vars = { alice_password: PASSWORD }) => env.run('deploy.sql', vars),
    verify: () => env.run('verify.sql'),
    scalar: async <T>(sql: string) => (await db.query(sql)).rows[0]?.v as T,
  };
  return env;
}

afterEach(async () => {
  for (const { server, db } of open.splice(0)) {
    await db.end();
    const admin = await connect(server, 'postgres');
    await admin.query('DROP DATABASE IF EXISTS hs WITH (FORCE)');
    await admin.query('DROP DATABASE IF EXISTS hs_other WITH (FORCE)');
    await admin.query('ALTER SYSTEM RESET log_statement');
    await admin.query('ALTER SYSTEM RESET log_min_duration_statement');
    await admin.query('SELECT pg_reload_conf()');
    const roles = (await admin.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE 'h\\_%' OR rolname = 'squatter'")).rows;
    for (const { rolname } of roles) await admin.query(`DROP OWNED BY "${rolname}"`);
    for (const { rolname } of roles) await admin.query(`DROP ROLE "${rolname}"`);
    await admin.end();
  }
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const has = (env: Env, role: string, table: string, privilege = 'SELECT') =>
  env.scalar<boolean>(`SELECT has_table_privilege('${role}', '${table}', '${privilege}') AS v`);

describe.each(MAJORS)('PostgreSQL %i', (major) => {
  const server = () => servers.get(major)!;

  it('1. a plan file name with a shell command is refused; the name never reaches a psql meta-command', async () => {
    const dir = tempDir();
    const marker = join(dir, 'ran');
    // As in the report: the path is spelled with octal escapes, since a file name cannot hold "/".
    const hostile = `p\`touch $(printf '${marker.replaceAll('/', '\\057')}')\``;
    const plan = readFileSync(PLAN, 'utf8');
    // Named after the file: refused before anything is written.
    writeFileSync(join(dir, `${hostile}.yaml`), plan.replace(/^name: .*$/m, ''));
    const refused = await renderPlanFile(join(dir, `${hostile}.yaml`)).then(
      () => 'rendered',
      (e: Error) => e.message,
    );
    expect(refused).toMatch(/the plan name comes from the file name, and "p`touch .*`" is not a folder name/);
    // With `name:`, the file name still appears in the files' headers: running them runs no shell.
    writeFileSync(join(dir, `${hostile}.yaml`), plan.replace(/^postgres: .*$/m, `postgres: ${major}`));
    const rendered = await renderPlanFile(join(dir, `${hostile}.yaml`));
    const env = await setup(server());
    for (const [name, content] of rendered.files) writeFileSync(env.files.get(name)!, content);
    expect((await env.deploy()).code).toBe(0);
    const verify = await env.verify();
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain('checks passed for plan hostile');
    expect(() => readFileSync(marker)).toThrow();
  });

  it('3. verify.sql sees access through a membership outside the plan, ownership and PUBLIC; deploy.sql removes the membership and reports the rest', async () => {
    const env = await setup(server());
    expect((await env.deploy()).code).toBe(0);
    expect((await env.verify()).code).toBe(0);
    expect(await has(env, 'h_alice', 'app.payments')).toBe(false);

    // Membership in a role outside the plan: verify names the path; deploy removes it.
    await env.db.query('GRANT h_owner TO h_alice');
    expect(await has(env, 'h_alice', 'app.payments')).toBe(true);
    let verify = await env.verify();
    expect(verify.code).not.toBe(0);
    expect(verify.stdout).toContain('FAIL: role h_alice can do everything on table app.payments via membership in h_owner, its owner');
    expect(verify.stdout).toContain('FAIL: role h_alice is a member of role h_owner, which the plan does not state');
    let deploy = await env.deploy();
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain('pgrant: removing: role h_alice is a member of role h_owner');
    expect(await has(env, 'h_alice', 'app.payments')).toBe(false);
    expect((await env.verify()).code).toBe(0);

    // PUBLIC: every role gets it. Reported and left, with the statement that removes it.
    await env.db.query('GRANT SELECT ON app.payments TO PUBLIC');
    verify = await env.verify();
    expect(verify.code).not.toBe(0);
    expect(verify.stdout).toContain('FAIL: PUBLIC holds SELECT on table app.payments, which the plan does not grant');
    deploy = await env.deploy();
    expect(deploy.code).toBe(0);
    expect(deploy.stderr).toContain('pgrant: left as it is: PUBLIC holds SELECT on table app.payments');
    expect(deploy.stderr).toContain('REVOKE SELECT ON TABLE app.payments FROM PUBLIC;');
    await env.db.query('REVOKE SELECT ON app.payments FROM PUBLIC');

    // Ownership by a plan role: reported and left, with the fixing statement.
    await env.db.query('ALTER TABLE app.payments OWNER TO h_alice');
    verify = await env.verify();
    expect(verify.code).not.toBe(0);
    expect(verify.stdout).toContain('FAIL: role h_alice owns table app.payments');
    deploy = await env.deploy();
    expect(deploy.code).toBe(0);
    expect(deploy.stderr).toContain('ALTER TABLE app.payments OWNER TO h_owner;');
    await env.db.query('ALTER TABLE app.payments OWNER TO h_owner');
    expect((await env.verify()).code).toBe(0);
  });

  it('4a. a privilege another grantor gave a plan role is revoked as that grantor, and checked', async () => {
    const env = await setup(server());
    expect((await env.deploy()).code).toBe(0);
    await env.db.query('GRANT USAGE ON SCHEMA app TO h_grantor; GRANT SELECT ON app.payments TO h_grantor WITH GRANT OPTION');
    await env.db.query('SET ROLE h_grantor; GRANT SELECT ON app.payments TO h_alice; RESET ROLE');
    expect(await has(env, 'h_alice', 'app.payments')).toBe(true);
    const deploy = await env.deploy();
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain('pgrant: removing: role h_alice holds SELECT on table app.payments (granted by h_grantor), which the plan does not grant');
    expect(await has(env, 'h_alice', 'app.payments')).toBe(false);
    const acl = await env.scalar<string>("SELECT relacl::text AS v FROM pg_class WHERE oid = 'app.payments'::regclass");
    expect(acl).not.toContain('h_alice=');
    expect(acl).toContain('h_grantor=r*/h_owner');
    expect((await env.verify()).code).toBe(0);
  });

  it('4b. a grant option the plan does not give is taken away with CASCADE, each dependent grant reported', async () => {
    const env = await setup(server());
    expect((await env.deploy()).code).toBe(0);
    await env.db.query('GRANT SELECT ON app.tracks TO h_auditor WITH GRANT OPTION; GRANT USAGE ON SCHEMA app TO h_ext');
    await env.db.query('SET ROLE h_auditor; GRANT SELECT ON app.tracks TO h_ext; RESET ROLE');
    for (let i = 0; i < 2; i++) {
      const deploy = await env.deploy();
      expect(deploy.code, deploy.stderr).toBe(0);
      if (i === 0) expect(deploy.stderr).toMatch(/removing: role h_auditor holds SELECT WITH GRANT OPTION on table app\.tracks.*, and the grants it made from it to h_ext \(CASCADE\)/);
    }
    expect(await has(env, 'h_ext', 'app.tracks')).toBe(false);
    expect(await has(env, 'h_auditor', 'app.tracks')).toBe(true);
    expect(await has(env, 'h_auditor', 'app.tracks', 'SELECT WITH GRANT OPTION')).toBe(false);
    expect((await env.verify()).code).toBe(0);
  });

  it('5. no password reaches the server log with log_statement = all; an empty one is refused without a statement of its own', async () => {
    const env = await setup(server());
    const log = join(env.server.host, 'server.log');
    await env.db.query("ALTER SYSTEM SET log_statement = 'all'");
    await env.db.query('ALTER SYSTEM SET log_min_duration_statement = 0');
    await env.db.query('SELECT pg_reload_conf()');
    await new Promise((r) => setTimeout(r, 300));
    const before = readFileSync(log, 'utf8').length;
    const empty = await env.deploy({ alice_password: '' });
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain('pgrant: psql variable alice_password is empty; nothing was changed');
    expect(await env.scalar<number>("SELECT count(*)::int AS v FROM pg_roles WHERE rolname = 'h_alice'")).toBe(0);
    expect((await env.deploy()).code).toBe(0);
    expect((await env.deploy()).code).toBe(0);
    const logged = readFileSync(log, 'utf8').slice(before);
    // The empty password's error was logged (as a message alone: no statement, no CONTEXT), the passwords not.
    expect(logged).toContain('pgrant: psql variable alice_password is empty');
    expect(logged).not.toContain(PASSWORD);
    // alice logs in with it: the password was set.
    const login = await runPsql(env.server, { database: 'hs', command: 'SELECT 1', login: { user: 'h_alice', password: PASSWORD } });
    expect(login.code, login.stderr).toBe(0);
  });

  it('6. four deploys at once all succeed, with new roles and with existing ones', async () => {
    const env = await setup(server());
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all([0, 1, 2, 3].map(() => env.deploy()));
      expect(results.map((r) => r.code), results.map((r) => r.stderr).join('\n')).toEqual([0, 0, 0, 0]);
    }
    expect((await env.verify()).code).toBe(0);
  });

  it('6. four deploys at once of a plan that creates its database all succeed (one creates it, the others find it)', async () => {
    const env = await setup(server());
    const files = await render(major, `pgrant: 1\nname: hs_create\ndatabase: hs_other\npatterns:\n  - {pattern: database, name: hs_other, create: true, connect: [h_creators]}\n  - {pattern: readonly, role: h_creators, schemas: [public]}\n`);
    const results = await Promise.all([0, 1, 2, 3].map(() => runPsql(env.server, { database: 'postgres', file: files.get('deploy.sql')! })));
    expect(results.map((r) => r.code), results.map((r) => r.stderr).join('\n')).toEqual([0, 0, 0, 0]);
    expect((await runPsql(env.server, { database: 'hs_other', file: files.get('verify.sql')! })).code).toBe(0);
  });

  it('7. a lock held by another session stops deploy.sql after lock_timeout with a pgrant message; nothing changes', async () => {
    const env = await setup(server());
    const blocker = await connect(env.server, 'hs');
    try {
      await blocker.query('BEGIN; ALTER TABLE app.tracks ADD COLUMN blocked int');
      const started = Date.now();
      const r = await env.deploy({ alice_password: PASSWORD, lock_timeout: '1s' });
      expect(Date.now() - started).toBeLessThan(8000);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('pgrant: waited 1s (lock_timeout) for a lock on table app.tracks, which another session holds; nothing was changed');
      expect(r.stderr).toContain('psql -v lock_timeout=60s');
      expect(await env.scalar<number>("SELECT count(*)::int AS v FROM pg_roles WHERE rolname LIKE 'h\\_%' AND rolname NOT IN ('h_owner', 'h_grantor', 'h_ext')")).toBe(0);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    // The default is 10 s, and the variable is all it takes to change it.
    expect(readFileSync(env.files.get('deploy.sql')!, 'utf8')).toContain('\\set lock_timeout 10s');
    expect((await env.deploy()).code).toBe(0);
  });

  it('9. revert.sql across databases: each run cleans its database, the last one drops the role; no row is lost', async () => {
    const env = await setup(server());
    expect((await env.deploy()).code).toBe(0);
    const admin = await connect(env.server, 'postgres');
    await admin.query('CREATE DATABASE hs_other');
    await admin.end();
    const other = await connect(env.server, 'hs_other');
    try {
      await other.query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('row'); ALTER TABLE kept OWNER TO h_alice; GRANT SELECT ON kept TO h_bob");
      const first = await env.run('revert.sql');
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toContain('pgrant: role h_alice is kept, with NOLOGIN: it still owns objects or holds privileges in: hs_other');
      expect(first.stderr).toContain('pgrant: role h_bob is kept, with NOLOGIN');
      const left = async () => (await other.query<{ rolname: string; rolcanlogin: boolean }>("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN ('h_alice', 'h_bob', 'h_readers', 'h_auditor') ORDER BY 1")).rows;
      expect(await left()).toEqual([
        { rolname: 'h_alice', rolcanlogin: false },
        { rolname: 'h_bob', rolcanlogin: false },
      ]);
      const second = await env.run('revert.sql', {}, 'hs_other');
      expect(second.code, second.stderr).toBe(0);
      expect(await left()).toEqual([]);
      expect((await other.query('SELECT v, pg_get_userbyid(relowner) AS owner FROM kept, pg_class WHERE oid = \'kept\'::regclass')).rows).toEqual([{ v: 'row', owner: 'postgres' }]);
      expect(await env.scalar<number>('SELECT count(*)::int AS v FROM app.tracks')).toBe(2);
    } finally {
      await other.end();
    }
  });
});

describe.each(MAJORS.filter((m) => m >= 16))('PostgreSQL %i: squatted roles', (major) => {
  it('2. ADMIN OPTION held by a squatter is removed and reported; verify fails while it is there; a login with a password the plan did not set is reported', async () => {
    const server = servers.get(major)!;
    const env = await setup(server, {
      before: async (admin) => {
        await admin.query('CREATE ROLE squatter LOGIN CREATEROLE');
        await admin.query("SET ROLE squatter; CREATE ROLE h_bob LOGIN PASSWORD 'squatters'; CREATE ROLE h_readers; RESET ROLE");
      },
    });
    const admins = () =>
      env.db.query<{ grp: string }>(
        "SELECT g.rolname AS grp FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = 'squatter' AND m.admin_option ORDER BY 1",
      );
    expect((await admins()).rows).toEqual([{ grp: 'h_bob' }, { grp: 'h_readers' }]);
    const deploy = await env.deploy();
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain('pgrant: removing: role squatter, outside the plan, holds ADMIN OPTION on plan role h_bob');
    expect(deploy.stderr).toContain('pgrant: removing: role squatter, outside the plan, holds ADMIN OPTION on plan role h_readers');
    expect(deploy.stderr).toContain('pgrant: h_bob existed before this plan and keeps a password pgrant did not set');
    expect((await admins()).rows).toEqual([]);
    expect((await env.verify()).code).toBe(0);
    // The squatter can no longer grant itself the group (nor read what it reads).
    const self = await runPsql(server, { database: 'hs', command: 'SET ROLE squatter; GRANT h_readers TO squatter' });
    expect(self.code).not.toBe(0);
    // Given back by hand: verify fails until deploy removes it again.
    await env.db.query('GRANT h_readers TO squatter WITH ADMIN OPTION');
    const verify = await env.verify();
    expect(verify.code).not.toBe(0);
    expect(verify.stdout).toContain('FAIL: role squatter, outside the plan, holds ADMIN OPTION on plan role h_readers');
  });
});

describe.each(MAJORS.filter((m) => m < 16))('PostgreSQL %i: squatted roles before 16', (major) => {
  it('2. a role outside the plan with CREATEROLE (power over every role there) is reported; a login with a password the plan did not set too', async () => {
    const env = await setup(servers.get(major)!, {
      before: async (admin) => {
        await admin.query('CREATE ROLE squatter LOGIN CREATEROLE');
        await admin.query("SET ROLE squatter; CREATE ROLE h_bob LOGIN PASSWORD 'squatters'; RESET ROLE");
      },
    });
    const deploy = await env.deploy();
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain('pgrant: role squatter has CREATEROLE: before PostgreSQL 16 it can change every role of the plan, passwords included');
    expect(deploy.stderr).toContain('pgrant: h_bob existed before this plan and keeps a password pgrant did not set');
    // Recorded as the plan's after this deploy: not reported again.
    expect((await env.deploy()).stderr).not.toContain('existed before this plan');
  });
});

describe.each(MAJORS.filter((m) => m < 18))('PostgreSQL %i: files rendered for a newer major', (major) => {
  it('8. every file refuses before any change, naming both majors', async () => {
    const env = await setup(servers.get(major)!, { renderFor: 18 });
    const text = readFileSync(PLAN, 'utf8');
    const migrate = (await renderPlanFile(PLAN, { postgres: 18, from: { text: text.replace('h_bob', 'h_carol'), label: 'old.yaml' } })).files.get('migrate.sql')!;
    env.files.set('migrate.sql', join(tempDir(), 'migrate.sql'));
    writeFileSync(env.files.get('migrate.sql')!, migrate);
    for (const file of ['deploy.sql', 'verify.sql', 'revert.sql', 'migrate.sql']) {
      const r = await env.run(file, { alice_password: PASSWORD });
      expect(r.code, file).not.toBe(0);
      expect(r.stderr, file).toContain(`pgrant: rendered for PostgreSQL 18; this server is ${major} — render with postgres: ${major}; nothing was changed`);
    }
    expect(await env.scalar<number>("SELECT count(*)::int AS v FROM pg_roles WHERE rolname IN ('h_alice', 'h_bob', 'h_readers')")).toBe(0);
  });
});

describe.each(MAJORS)('PostgreSQL %i: as a managed service\'s admin (NOSUPERUSER CREATEROLE)', (major) => {
  // The parts issue 12 adds run as the admin: deploy.sql's preamble and role creation, and verify.sql (the
  // whole deploy as such an admin is test/pg/managed.test.ts's).
  it('runs the preamble (four at once), the role creation and verify.sql without a superuser', async () => {
    const env = await setup(servers.get(major)!, {
      before: async (admin) => {
        await admin.query("CREATE ROLE h_admin LOGIN PASSWORD 'admin-pw' CREATEROLE CREATEDB");
        await admin.query('GRANT h_owner TO h_admin');
        await admin.query("CREATE ROLE h_bob LOGIN PASSWORD 'set-by-someone'"); // reported, though the admin cannot read it
        // From 16 the admin administers only the roles it has ADMIN OPTION on: what deploy.sql asks for.
        await admin.query('GRANT h_bob TO h_admin WITH ADMIN OPTION');
      },
    });
    await env.db.query('ALTER DATABASE hs OWNER TO h_admin');
    const login = { user: 'h_admin', password: 'admin-pw' };
    const deploy = readFileSync(env.files.get('deploy.sql')!, 'utf8');
    const upToRoles = join(tempDir(), 'preamble.sql');
    writeFileSync(upToRoles, `${deploy.slice(0, deploy.indexOf('\nALTER ROLE '))}\nCOMMIT;\n`);
    const results = await Promise.all([0, 1, 2, 3].map(() => runPsql(env.server, { database: 'hs', file: upToRoles, vars: { alice_password: PASSWORD }, login })));
    expect(results.map((r) => r.code), results.map((r) => r.stderr).join('\n')).toEqual([0, 0, 0, 0]);
    expect(results.map((r) => r.stderr).join('\n')).toContain('pgrant: h_bob existed before this plan and may keep (only a superuser can tell) a password pgrant did not set');
    expect(await env.scalar<number>("SELECT count(*)::int AS v FROM pg_roles WHERE rolname IN ('h_alice', 'h_readers', 'h_auditor')")).toBe(3);
    expect((await env.deploy()).code).toBe(0);
    const verify = await runPsql(env.server, { database: 'hs', file: env.files.get('verify.sql')!, login });
    expect(verify.code, verify.stderr).toBe(0);
    await env.db.query('GRANT h_owner TO h_alice');
    const failed = await runPsql(env.server, { database: 'hs', file: env.files.get('verify.sql')!, login });
    expect(failed.stdout).toContain('FAIL: role h_alice can do everything on table app.payments via membership in h_owner, its owner');
  });
});
