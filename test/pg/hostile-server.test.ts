// A hostile server (issue "the generated files stay safe when every other role is an attacker"): a plan
// login plants functions on the superuser's search_path, the database turns standard_conforming_strings
// off, logging is as verbose as it gets, and deploys of plans that share roles run at once in two
// databases. Each expectation is written by hand from PostgreSQL's documentation: a planted overload that
// matches better than pg_catalog's is chosen whenever its schema is on the path (docs: "Function Type
// Resolution"), so the generated files must never resolve a name there.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditSql } from '../../src/audit/audit.js';
import { connect, type Db } from '../../src/harness/db.js';
import { runPsql } from '../../src/harness/psql.js';
import { startServer, type Server } from '../../src/harness/server.js';
import { renderPlanFile } from '../../src/pipeline.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';

const wanted = TEST_MAJORS.filter((m) => m === 14 || m === 18);
const MAJORS = wanted.length ? wanted : TEST_MAJORS;
const servers = useServers(MAJORS);
const PLAN = 'test/hostile/plan.yaml';
const FIXTURE = 'test/hostile/fixture.sql';
const PASSWORD = 'Pl4nted-Tr4p-pw-h_alice';

const temps: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'pgrant-hostile-server-'));
  temps.push(dir);
  return dir;
};

/** The plan's files for `major`, from the plan file or from `text`, as paths. */
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

/** Databases with the hostile fixture (schema app owned by h_owner), roles outside the plan first. */
async function setup(server: Server, databases = ['hs']): Promise<Db> {
  const admin = await connect(server, 'postgres');
  for (const r of ['h_owner', 'h_grantor', 'h_ext']) await admin.query(`CREATE ROLE ${r} NOLOGIN`);
  for (const d of databases) {
    await admin.query(`CREATE DATABASE ${d}`);
    const fixture = await runPsql(server, { database: d, file: FIXTURE });
    expect(fixture.code, fixture.stderr).toBe(0);
  }
  await admin.end();
  const db = await connect(server, databases[0]!);
  db.on('error', () => {}); // a failed test leaves it open: the cleanup's DROP DATABASE … FORCE ends it
  return db;
}

async function cleanup(server: Server): Promise<void> {
  const admin = await connect(server, 'postgres');
  for (const d of ['hs', 'hs2']) await admin.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
  for (const setting of ['log_statement', 'log_min_error_statement', 'log_error_verbosity']) await admin.query(`ALTER SYSTEM RESET ${setting}`);
  await admin.query('SELECT pg_reload_conf()');
  const roles = (await admin.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname LIKE 'h\\_%'")).rows;
  for (const { rolname } of roles) await admin.query(`DROP OWNED BY "${rolname}"`);
  for (const { rolname } of roles) await admin.query(`DROP ROLE "${rolname}"`);
  await admin.end();
}

const used: Server[] = [];
afterEach(async () => {
  for (const server of used.splice(0)) await cleanup(server);
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * As plan login h_alice: overloads that match the calls generated files make better than pg_catalog's
 * (text arguments where pg_catalog takes VARIADIC "any" or anyarray), in `schema`. Each one, when it runs,
 * advances sequence public.h_mark (sequences are not rolled back with a failed transaction) and, run by a
 * superuser, makes h_alice a superuser.
 */
function plantSql(schema: string): string {
  const s = `"${schema}"`;
  const evil = `${s}.h_evil`;
  const wrap = (name: string, args: string[], returns: string, body: string) =>
    `CREATE FUNCTION ${s}.${name}(${args.map((a, i) => `a${i} ${a}`).join(', ')}) RETURNS ${returns} LANGUAGE plpgsql AS $f$ BEGIN PERFORM ${evil}(); ${body} END $f$;`;
  const texts = (n: number) => Array.from({ length: n }, () => 'text');
  const pass = (n: number) => Array.from({ length: n }, (_, i) => `a${i}`).join(', ');
  return [
    `CREATE FUNCTION ${evil}() RETURNS void LANGUAGE plpgsql AS $f$ BEGIN
       PERFORM pg_catalog.nextval('public.h_mark');
       IF pg_catalog.current_setting('is_superuser') = 'on' THEN EXECUTE 'ALTER ROLE h_alice SUPERUSER'; END IF;
     END $f$;`,
    wrap('unnest', ['text[]'], 'SETOF text', 'RETURN QUERY SELECT pg_catalog.unnest(a0);'),
    ...[2, 3, 4, 5].map((n) => wrap('format', texts(n), 'text', `RETURN pg_catalog.format(${pass(n)});`)),
    ...[3, 4, 5, 6, 7, 8, 9, 10].map((n) => wrap('concat_ws', texts(n), 'text', `RETURN pg_catalog.concat_ws(${pass(n)});`)),
    wrap('current_setting', ['text'], 'text', 'RETURN pg_catalog.current_setting(a0);'),
    wrap('lower', ['text'], 'text', 'RETURN pg_catalog.lower(a0);'),
  ].join('\n');
}

/** The attack: PUBLIC may create in public (as on databases upgraded from 14), h_alice makes schema "postgres". */
async function plant(db: Db): Promise<void> {
  await db.query('GRANT CREATE ON SCHEMA public TO PUBLIC');
  await db.query('GRANT CREATE ON DATABASE hs TO h_alice');
  await db.query('SET ROLE h_alice');
  await db.query('CREATE SEQUENCE public.h_mark');
  await db.query('GRANT USAGE, SELECT ON SEQUENCE public.h_mark TO PUBLIC');
  await db.query('CREATE SCHEMA postgres');
  await db.query(plantSql('public'));
  await db.query(plantSql('postgres'));
  await db.query('RESET ROLE');
}

/** What the attack achieved so far: did a planted function run, did h_alice become a superuser. */
async function marks(db: Db): Promise<{ ran: boolean; superuser: boolean }> {
  const ran = (await db.query<{ is_called: boolean }>('SELECT is_called FROM public.h_mark')).rows[0]!.is_called;
  const superuser = (await db.query<{ rolsuper: boolean }>("SELECT rolsuper FROM pg_roles WHERE rolname = 'h_alice'")).rows[0]?.rolsuper ?? false;
  return { ran, superuser };
}

describe.each(MAJORS)('PostgreSQL %i: a hostile server', (major) => {
  const server = () => {
    used.push(servers.get(major)!);
    return servers.get(major)!;
  };

  it('1. overloads a plan login planted in public and in a schema named like the deployer never run: deploy, verify, audit, revert', async () => {
    const s = server();
    const db = await setup(s);
    const files = await render(major);
    const run = (file: string) => runPsql(s, { database: 'hs', file: files.get(file)!, vars: { alice_password: PASSWORD } });
    const first = await run('deploy.sql');
    expect(first.code, first.stderr).toBe(0);
    await plant(db);
    // The superuser's default search_path now finds h_alice's functions first: the attack is live.
    const probe = await runPsql(s, { database: 'hs', command: "SELECT format('%s', 'x'::text)", tuplesOnly: true });
    expect(probe.code, probe.stderr).toBe(0);
    expect((await marks(db)).ran).toBe(true);
    await db.query("SELECT setval('public.h_mark', 1, false)");
    await db.query('ALTER ROLE h_alice NOSUPERUSER');
    expect(await marks(db)).toEqual({ ran: false, superuser: false });

    for (const file of ['deploy.sql', 'deploy.sql', 'verify.sql']) {
      const result = await run(file);
      expect(result.code, `${file}: ${result.stderr}`).toBe(0);
      expect(await marks(db), file).toEqual({ ran: false, superuser: false });
    }
    const auditFile = join(tempDir(), 'audit.sql');
    writeFileSync(auditFile, auditSql());
    const audit = await runPsql(s, { database: 'hs', file: auditFile, tuplesOnly: true });
    expect(audit.code, audit.stderr).toBe(0);
    expect(() => JSON.parse(audit.stdout) as unknown).not.toThrow();
    expect(await marks(db), 'audit.sql').toEqual({ ran: false, superuser: false });
    const revert = await run('revert.sql');
    expect(revert.code, revert.stderr).toBe(0);
    expect(await marks(db), 'revert.sql').toEqual({ ran: false, superuser: false });
    await db.end();
  });

  it('2. with standard_conforming_strings off on the database, psql reads the files as written; a policy that depends on it is refused', async () => {
    const s = server();
    const db = await setup(s);
    await db.query('ALTER DATABASE hs SET standard_conforming_strings = off');
    const marker = join(tempDir(), 'ran');
    const policy = (using: string) =>
      `pgrant: 1\nname: scs\ndatabase: hs\npostgres: ${major}\npatterns:\n  - pattern: row-level-security\n    table: app.tracks\n    policies:\n      - name: h_titles\n        roles: [PUBLIC]\n        using: ${JSON.stringify(using)}\n  - pattern: readonly\n    role: h_readers\n    schemas: [app]\n    owners: [h_owner]\n`;
    // The reported attack: with the setting off, psql takes 'a\' as unfinished and runs \! as a shell command.
    const attack = `title = 'a\\' OR title = ' \\! touch ${marker} #'`;
    await expect(render(major, policy(attack))).rejects.toThrow(/backslash in a string .*standard_conforming_strings/);
    // The same intent written with E'' strings deploys, and the policy holds exactly that text.
    const files = await render(major, policy("title <> E'a\\\\' AND title <> 'it''s'"));
    for (const file of ['deploy.sql', 'verify.sql']) {
      const result = await runPsql(s, { database: 'hs', file: files.get(file)! });
      expect(result.code, `${file}: ${result.stderr}`).toBe(0);
    }
    const qual = (await db.query<{ qual: string }>("SELECT qual FROM pg_policies WHERE policyname = 'h_titles'")).rows[0]!.qual;
    expect(qual).toContain("'a\\'::text");
    expect(qual).toContain("'it''s'::text");
    expect(() => readFileSync(marker)).toThrow();
    await db.end();
  });

  it('3. a superuser deploy that fails after its password step leaves the password in no log line, error, or pg_stat_activity', async () => {
    const s = server();
    const db = await setup(s);
    const files = await render(major);
    const deploy = (vars: Record<string, string>) => runPsql(s, { database: 'hs', file: files.get('deploy.sql')!, vars });
    expect((await deploy({ alice_password: PASSWORD })).code).toBe(0);
    await db.query("ALTER SYSTEM SET log_statement = 'all'");
    await db.query("ALTER SYSTEM SET log_min_error_statement = 'info'");
    await db.query("ALTER SYSTEM SET log_error_verbosity = 'verbose'");
    await db.query('SELECT pg_reload_conf()');
    await new Promise((r) => setTimeout(r, 300));
    const log = join(s.host, 'server.log');
    const before = readFileSync(log, 'utf8').length;

    // Another session holds h_alice's catalog row: the password step waits, then stops on lock_timeout.
    const holder = await connect(s, 'hs');
    await holder.query('BEGIN');
    await holder.query('ALTER ROLE h_alice CONNECTION LIMIT 7');
    const watcher = await connect(s, 'hs');
    const seen: string[] = [];
    const failing = deploy({ alice_password: PASSWORD, lock_timeout: '3s' });
    let done = false;
    void failing.then(() => (done = true));
    while (!done) {
      const rows = (await watcher.query<{ query: string }>("SELECT query FROM pg_stat_activity WHERE application_name <> 'pgrant-harness'")).rows;
      seen.push(...rows.map((r) => r.query));
      await new Promise((r) => setTimeout(r, 100));
    }
    const result = await failing;
    await holder.query('ROLLBACK');
    await holder.end();
    await watcher.end();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('pgrant: setting the password of role h_alice failed');
    expect(result.stderr).not.toContain(PASSWORD);
    expect(seen.join('\n')).not.toContain(PASSWORD);
    const logged = readFileSync(log, 'utf8').slice(before);
    expect(logged).toContain('lock timeout'); // the failure was logged, just not the password
    expect(logged).not.toContain(PASSWORD);
    await db.end();
  });

  it('8. four deploys at once, two in each of two databases, of plans that share roles, all succeed', async () => {
    const s = server();
    const db = await setup(s, ['hs', 'hs2']);
    const plan = readFileSync(PLAN, 'utf8').replace(/^postgres: .*$/m, `postgres: ${major}`);
    const inHs = await render(major, plan);
    const inHs2 = await render(major, plan.replace(/^name: .*$/m, 'name: hostile2').replace(/^database: .*$/m, 'database: hs2'));
    const deploy = (files: Map<string, string>, database: string) =>
      runPsql(s, { database, file: files.get('deploy.sql')!, vars: { alice_password: PASSWORD } });
    const db2 = await connect(s, 'hs2');
    db2.on('error', () => {});
    for (let round = 0; round < 4; round++) {
      const results = await Promise.all([deploy(inHs, 'hs'), deploy(inHs2, 'hs2'), deploy(inHs, 'hs'), deploy(inHs2, 'hs2')]);
      expect(results.map((r) => r.code), results.map((r) => r.stderr).join('\n')).toEqual([0, 0, 0, 0]);
      if (round % 2 === 1) continue;
      // The roles go again (as a DBA removing them by hand would), so that the next round creates them at once.
      for (const d of [db, db2]) await d.query('DROP OWNED BY h_readers, h_alice, h_bob, h_auditor');
      await db.query('DROP ROLE h_readers, h_alice, h_bob, h_auditor');
    }
    await db2.end();
    expect((await runPsql(s, { database: 'hs', file: inHs.get('verify.sql')! })).code).toBe(0);
    expect((await runPsql(s, { database: 'hs2', file: inHs2.get('verify.sql')! })).code).toBe(0);
    await db.end();
  });
});

// pg_stat_statements keeps statements' text for every pg_read_all_stats member; on 14 a CALL's constants
// are kept as written. It needs shared_preload_libraries, so this server is started for it.
describe.each(MAJORS)('PostgreSQL %i: pg_stat_statements', (major) => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer(major, { statements: true });
    const admin = await connect(server, 'postgres');
    await admin.query("ALTER SYSTEM SET pg_stat_statements.track = 'all'");
    await admin.query('ALTER SYSTEM SET pg_stat_statements.track_utility = on');
    await admin.query('SELECT pg_reload_conf()');
    await admin.end();
  });
  afterAll(async () => {
    await cleanup(server);
    await server.stop();
  });

  it('3. a superuser deploy leaves no password in pg_stat_statements', async () => {
    const db = await setup(server);
    await db.query('CREATE EXTENSION pg_stat_statements SCHEMA public');
    const files = await render(major);
    for (let i = 0; i < 2; i++) {
      const result = await runPsql(server, { database: 'hs', file: files.get('deploy.sql')!, vars: { alice_password: PASSWORD } });
      expect(result.code, result.stderr).toBe(0);
    }
    const tracked = (await db.query<{ n: number; total: number }>(
      `SELECT count(*) FILTER (WHERE query LIKE '%' || $1 || '%')::int AS n, count(*)::int AS total FROM pg_stat_statements`,
      [PASSWORD],
    )).rows[0]!;
    expect(tracked.total).toBeGreaterThan(0); // it tracks statements: the test would notice a leak
    expect(tracked.n).toBe(0);
    await db.end();
  });
});
