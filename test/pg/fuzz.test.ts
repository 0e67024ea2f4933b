// Proof by fuzzing: hostile names, literals and passwords go through every pattern's templates and are
// executed on real PostgreSQL. The catalog must hold exactly the intended names, privileges must land on
// exactly the intended grantees, a canary table stays untouched, no extra role appears, and every login
// gets in with exactly its password.
import fc from 'fast-check';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import keywordData from '../../src/sql/keywords.json' with { type: 'json' };
import { connect } from '../../src/harness/db.js';
import { provePlan } from '../../src/harness/prove.js';
import { runPsql } from '../../src/harness/psql.js';
import { SUPPORTED_MAJORS, addressOf, type Major } from '../../src/harness/server.js';
import { checkName } from '../../src/sql/names.js';
import { quoteIdent, quoteLiteral } from '../../src/sql/quote.js';
import { cli } from '../support/cli.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';

// PGRANT_FUZZ_RUNS plans per major (default 4), on every major of PGRANT_TEST_MAJORS; each plan targets
// the server's own major. A failure is shrunk to a smallest plan; the seed is printed, and
// PGRANT_FUZZ_SEED=<seed> replays the same plans.
const RUNS = Number(process.env.PGRANT_FUZZ_RUNS ?? 4);
const SEED = process.env.PGRANT_FUZZ_SEED !== undefined ? Number(process.env.PGRANT_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(SEED)) throw new Error(`PGRANT_FUZZ_SEED=${JSON.stringify(process.env.PGRANT_FUZZ_SEED)} is not an integer`);
const wanted = process.env.PGRANT_FUZZ_MAJORS === undefined || process.env.PGRANT_FUZZ_MAJORS === 'all' ? [...SUPPORTED_MAJORS] : process.env.PGRANT_FUZZ_MAJORS.split(',').map(Number);
const fuzzMajors: Major[] = TEST_MAJORS.filter((m) => wanted.includes(m));
if (!fuzzMajors.length) throw new Error(`PGRANT_FUZZ_MAJORS=${process.env.PGRANT_FUZZ_MAJORS} names no major of PGRANT_TEST_MAJORS (${TEST_MAJORS.join(', ')})`);
const servers = useServers(fuzzMajors);

const KEYWORDS = Object.keys(keywordData.keywords);
const PIECES = ["'", '"', '\\', '$', '$$', '$tag$', '$pgrant$', ';', '--', '/*', '*/', '\n', '\t', '\r', ' ', 'é', 'e\u0301', '\u202E', '\u200F', '🐘', ':', ':x', ":'x'", '{', '}', '%', '%I', 'DROP TABLE pgrant_canary;', '\\q', '\\!', 'ß', 'İ', '`', '`id`', '$(id)'];

/** A name that PostgreSQL accepts for a new role: non-empty, ≤ 63 bytes, no NUL, not reserved. */
const hostileName = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.constantFrom(...KEYWORDS), fc.string({ unit: 'grapheme', maxLength: 3 })), { minLength: 1, maxLength: 5 })
  .map((parts) => parts.join(''))
  // Dots are for "schema.table" strings; names containing one use the {schema, name} form, tested elsewhere.
  .filter((n) => !n.includes('\0') && !n.includes('.') && checkName(n, 'create-role') === undefined && n.toLowerCase() !== 'public');

const hostileText = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: 'grapheme', maxLength: 4 })), { minLength: 1, maxLength: 6 }).map((p) => p.join('')).filter((t) => t !== '' && !t.includes('\0'));

const NAMES = ['ro', 'rw', 'app', 'member', 'owner', 'schema', 'table', 'policy', 'team', 'db', 'lead', 'admin', 'adminGroup', 'project', 'child', 'leaver'] as const;
type Names = Record<(typeof NAMES)[number], string>;

/** The roles the project pattern derives from its name (without business accounts). */
const projectRoles = (p: string) => [`${p}_owner`, `${p}_role_readwrite`, `${p}_role_readonly`];

/** Distinct hostile names for every object of one plan, the project's derived role names included. */
const names = fc
  .uniqueArray(hostileName, { minLength: NAMES.length, maxLength: NAMES.length, selector: (n) => n.toLowerCase() })
  .map((list) => Object.fromEntries(NAMES.map((k, i) => [k, list[i]!])) as Names)
  .filter((n) => {
    const derived = projectRoles(n.project);
    const all = [...Object.values(n), ...derived].map((x) => x.toLowerCase());
    return derived.every((d) => checkName(d, 'create-role') === undefined) && new Set(all).size === all.length;
  });

/** The roles the plan creates (not the schema, table, policy, database, project name or the role it drops). */
const createdRoles = (n: Names) => [n.ro, n.rw, n.app, n.member, n.team, n.lead, n.admin, n.adminGroup, n.child, ...projectRoles(n.project)];

let counter = 0;

/** A plan using all ten patterns, every name hostile, targeting the server's own major. */
function planFor(n: Names, major: number, comment: string, password: string, literal: string): string {
  const tableRef = { schema: n.schema, name: n.table };
  return stringify({
    pgrant: 1,
    name: `fuzz_${++counter}`,
    postgres: major,
    database: n.db,
    patterns: [
      // The admin's CONNECT from `databases` goes to its NOINHERIT group: the login itself is let in here.
      { pattern: 'database', name: n.db, create: true, connect: [n.ro, n.rw, n.app, n.team, n.admin] },
      { pattern: 'readonly', role: n.ro, schemas: [n.schema], owners: [n.owner], members: [{ name: n.member, password: { psql: 'member_password' }, comment }] },
      { pattern: 'readwrite', role: n.rw, schemas: [n.schema], tables: [tableRef], owners: [n.owner] },
      { pattern: 'app-user', role: n.app, password, schemas: [n.schema], tables: [tableRef], sequences: false, owners: [n.owner], comment },
      { pattern: 'admin', role: n.admin, password: { psql: 'admin_password' }, noinherit_group: n.adminGroup, schemas: [n.schema], databases: [n.db], owners: [n.owner] },
      { pattern: 'project', project: n.project, owner: { name: projectRoles(n.project)[0] }, accounts: { readwrite: false, readonly: false } },
      { pattern: 'team-hierarchy', teams: [{ role: n.child, grants: [{ privileges: ['USAGE'], schemas: [n.schema] }, { privileges: ['SELECT'], tables: [tableRef] }] }], owners: [n.owner] },
      { pattern: 'drop-role', roles: [n.leaver], reassign_to: n.owner },
      {
        pattern: 'roles',
        owners: [n.owner],
        roles: [
          { name: n.team, grants: [{ privileges: ['USAGE'], schemas: [n.schema] }, { privileges: ['SELECT', 'UPDATE'], columns: { [`${n.schema}.${n.table}`]: ['name'] } }] },
          { name: n.lead, login: true, member_of: [{ role: n.team, admin: true }] },
        ],
      },
      { pattern: 'row-level-security', table: tableRef, policies: [{ name: n.policy, roles: [n.app], using: `name IS DISTINCT FROM ${quoteLiteral(literal)}` }] },
    ],
  });
}

/** md5 of every row of every table outside the catalogs: what revert.sql must leave exactly as it was. */
async function rowDigest(db: Awaited<ReturnType<typeof connect>>): Promise<Record<string, string>> {
  const tables = await db.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND c.relname !~ '^pgrant_(after|probe)' ORDER BY 1`,
  );
  const out: Record<string, string> = {};
  for (const { name } of tables.rows) out[name] = (await db.query<{ d: string }>(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS d FROM ${name} t`)).rows[0]!.d;
  return out;
}

/** Exact names in the catalog: every role, the schema, the table, the policy, the database, the project's schema, the comment. */
async function catalogNames(db: Awaited<ReturnType<typeof connect>>, n: Names, comment: string): Promise<string[]> {
  const problems: string[] = [];
  const has = async (what: string, sql: string, params: unknown[]) => {
    if (!(await db.query(sql, params)).rowCount) problems.push(`missing ${what}`);
  };
  for (const r of createdRoles(n)) await has(`role ${JSON.stringify(r)}`, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [r]);
  await has(`schema ${JSON.stringify(n.schema)}`, 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [n.schema]);
  await has(`project schema ${JSON.stringify(n.project)}`, 'SELECT 1 FROM pg_namespace WHERE nspname = $1 AND pg_get_userbyid(nspowner) = $2', [n.project, projectRoles(n.project)[0]]);
  await has(`table ${JSON.stringify(n.table)}`, 'SELECT 1 FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relname = $2', [n.schema, n.table]);
  await has(`policy ${JSON.stringify(n.policy)}`, 'SELECT 1 FROM pg_policies WHERE schemaname = $1 AND tablename = $2 AND policyname = $3', [n.schema, n.table, n.policy]);
  await has(`database ${JSON.stringify(n.db)}`, 'SELECT 1 FROM pg_database WHERE datname = $1 AND datname = current_database()', [n.db]);
  await has(`the comment on ${JSON.stringify(n.member)}`, "SELECT 1 FROM pg_roles WHERE rolname = $1 AND shobj_description(oid, 'pg_authid') = $2", [n.member, comment]);
  await has(`role ${JSON.stringify(n.leaver)} dropped`, 'SELECT 1 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)', [n.leaver]);
  await has(`the leaver's table, rows kept, owned by ${JSON.stringify(n.owner)}`, "SELECT 1 FROM pg_tables WHERE schemaname = 'pgrant_canary_schema' AND tablename = 'left_behind' AND tableowner = $1 AND (SELECT count(*) FROM pgrant_canary_schema.left_behind) = 2", [n.owner]);
  return problems;
}

const CANARY = `CREATE SCHEMA pgrant_canary_schema; CREATE TABLE pgrant_canary_schema.pgrant_canary (v text); INSERT INTO pgrant_canary_schema.pgrant_canary VALUES ('untouched')`;
const CANARY_STATE = `SELECT v, (SELECT relacl::text FROM pg_class WHERE oid = 'pgrant_canary_schema.pgrant_canary'::regclass) AS acl FROM pgrant_canary_schema.pgrant_canary`;

describe.each(fuzzMajors)('fuzz on PostgreSQL %i', (major) => {
  it(`${RUNS} hostile plans of all ten patterns: exact names, exact grantees, canary and rows untouched after revert, passwords round-trip`, async () => {
    const server = servers.get(major)!;
    console.log(`fuzz: PostgreSQL ${major}: seed ${SEED} (replay with PGRANT_FUZZ_SEED=${SEED} PGRANT_TEST_MAJORS=${major})`);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(names, hostileText, hostileText, hostileText, hostileText, async (n, comment, password, literal, psqlPassword) => {
        runs++;
        const dir = tempDir('fuzz');
        const file = join(dir, 'plan.yaml');
        writeFileSync(file, planFor(n, major, comment, password, literal));
        // The schema and table the plan names, owned by the owner, with rows (the project's schema comes from deploy.sql).
        const [schema, table, owner] = [quoteIdent(n.schema), `${quoteIdent(n.schema)}.${quoteIdent(n.table)}`, quoteIdent(n.owner)];
        writeFileSync(
          join(dir, 'fixture.sql'),
          `CREATE SCHEMA ${schema} AUTHORIZATION ${owner};\nSET ROLE ${owner};\nCREATE TABLE ${table} (id bigserial PRIMARY KEY, name text);\nINSERT INTO ${table} (name) VALUES ('one'), (NULL);\nRESET ROLE;\n`,
        );
        const maintenance = await connect(server, 'postgres');
        const rolesBefore = new Set((await maintenance.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname));
        let extraRoles: string[] = [];
        let nameProblems: string[] = [];
        let canary = '';
        let rowsBefore: Record<string, string> = {};
        let afterRevert: { canary: string; rows: Record<string, string> } | undefined;
        try {
          const report = await provePlan({
            planFile: file,
            server: addressOf(server),
            fixture: join(dir, 'fixture.sql'),
            passwordFor: () => psqlPassword,
            beforeDeploy: async (db) => {
              await db.query(CANARY);
              // The role drop-role removes: it owns a table with rows, which must stay (owned by reassign_to).
              // (pgrant test creates it with the roles the plan references; deploy.sql, run once to create the database, dropped it.)
              if (!(await db.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [n.leaver])).rowCount) await db.query(`CREATE ROLE ${quoteIdent(n.leaver)}`);
              await db.query(`GRANT USAGE, CREATE ON SCHEMA pgrant_canary_schema TO ${quoteIdent(n.leaver)}`);
              await db.query(`SET ROLE ${quoteIdent(n.leaver)}; CREATE TABLE pgrant_canary_schema.left_behind (v int); INSERT INTO pgrant_canary_schema.left_behind VALUES (1), (2); RESET ROLE`);
              rowsBefore = await rowDigest(db);
            },
            afterDeploy: async (db) => {
              const now = (await db.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname);
              const expected = new Set(createdRoles(n));
              // Besides the plan's roles: the owner and the leaver, which pgrant test creates because the plan names them.
              extraRoles = now.filter((r) => !rolesBefore.has(r) && !expected.has(r) && r !== n.owner && r !== n.leaver);
              nameProblems = await catalogNames(db, n, comment);
              canary = JSON.stringify((await db.query(CANARY_STATE)).rows);
            },
            afterRevert: async (db) => {
              afterRevert = { canary: JSON.stringify((await db.query(CANARY_STATE)).rows), rows: await rowDigest(db) };
            },
          });
          const failed = report.phases.filter((p) => p.status === 'fail');
          expect(failed, JSON.stringify({ names: n, comment, password, literal, failed }, null, 1)).toEqual([]);
          expect(report.ok).toBe(true);
          expect(extraRoles, "roles created = exactly the plan's").toEqual([]);
          expect(nameProblems, "exact names in the catalog").toEqual([]);
          expect(canary).toBe('[{"v":"untouched","acl":null}]');
          expect(afterRevert, 'revert ran').toBeDefined();
          expect(afterRevert!.canary, 'canary after revert').toBe('[{"v":"untouched","acl":null}]');
          expect(afterRevert!.rows, 'every row after revert').toEqual(rowsBefore);
          // Every login with a password was tried and got in with exactly it (psql variable, and plain → SCRAM).
          const logins = report.phases.find((p) => p.name.startsWith('logins'))!.detail!;
          for (const login of [n.member, n.app, n.admin]) expect(logins).toContain(`${login}: logged in`);
        } finally {
          await maintenance.end();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      // Shrinking stays on: a failure is reported as the smallest plan that still fails, with its seed.
      { numRuns: RUNS, seed: SEED },
    );
    console.log(`fuzz: PostgreSQL ${major}: ${runs} hostile plans proven (deploy ×2, verify, probes, logins, revert)`);
    expect(runs).toBeGreaterThanOrEqual(RUNS);
  });
});

describe('names PostgreSQL cannot keep are refused before rendering', () => {
  it.each([
    ['a NUL byte', 'a\u0000b', /NUL byte/],
    ['64 bytes', 'x'.repeat(64), /64 bytes long; PostgreSQL keeps 63 bytes/],
    ['63 bytes of 2-byte characters + 1', 'é'.repeat(32), /64 bytes long/],
    ['an empty name', '', /name is empty/],
  ])('%s', async (_label, name, pattern) => {
    const dir = tempDir('fuzz');
    writeFileSync(join(dir, 'p.yaml'), stringify({ pgrant: 1, database: 'app', patterns: [{ pattern: 'readonly', role: name }] }));
    const r = await cli('render', join(dir, 'p.yaml'), '--out', join(dir, 'out'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(pattern);
  });
});

describe('fuzz: hostile plan file names and plan names', () => {
  // A file name cannot hold "/": the marker's path is spelled with printf's octal escapes, as in a real attack.
  const FILE_PIECES = [...PIECES.filter((p) => !p.includes('/')), '`', '$(', ')', '`touch MARKER`', '$(touch MARKER)', '|', '&', '>', '<', '*', '?', '.', '..'];
  const fileBase = fc
    .array(fc.oneof(fc.constantFrom(...FILE_PIECES), fc.string({ unit: 'grapheme', maxLength: 3 })), { minLength: 1, maxLength: 5 })
    .map((p) => p.join(''))
    .filter((n) => !n.includes('/') && !n.includes('\0') && n !== '.' && n !== '..' && Buffer.byteLength(n) < 150);
  const planName = fc.option(fc.oneof(fileBase, fc.constantFrom('fz_plan', 'fz.plan-1')), { nil: undefined });
  const PLAN_NAME_RULE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

  it(`${RUNS} hostile file names and plan names: refused, or carried only into comments; no shell runs`, async () => {
    const server = servers.get(fuzzMajors[0]!)!;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fileBase, planName, async (base, name) => {
        runs++;
        const dir = tempDir('fuzz');
        const marker = join(dir, 'ran');
        const octal = marker.replace(/\//g, '\\057');
        const file = join(dir, `${base.replaceAll('MARKER', `"$(printf '${octal}')"`).replaceAll('/', '_')}.yaml`);
        const effective = name ?? basename(file, extname(file));
        try {
          writeFileSync(file, stringify({ pgrant: 1, ...(name === undefined ? {} : { name }), postgres: fuzzMajors[0], database: 'fz', patterns: [{ pattern: 'readonly', role: 'fz_readers', schemas: ['public'], members: [{ name: 'fz_alice' }] }] }));
          const out = join(dir, 'out');
          const r = await cli('render', file, '--out', out);
          if (!PLAN_NAME_RULE.test(effective)) {
            expect(r.code, r.stderr).toBe(1);
            expect(r.stderr).toContain(name === undefined ? 'name: the plan name comes from the file name' : 'is not a folder name');
            return;
          }
          expect(r.code, r.stderr).toBe(0);
          const maintenance = await connect(server, 'postgres');
          await maintenance.query('CREATE DATABASE fz');
          try {
            for (const f of ['deploy.sql', 'verify.sql', 'revert.sql']) {
              const run = await runPsql(server, { database: 'fz', file: join(out, effective, f) });
              expect(run.code, `${f}: ${run.stderr}`).toBe(0);
            }
          } finally {
            await maintenance.query('DROP DATABASE fz WITH (FORCE)');
            await maintenance.query('DROP ROLE IF EXISTS fz_alice');
            await maintenance.query('DROP ROLE IF EXISTS fz_readers');
            await maintenance.end();
          }
          expect(existsSync(marker), 'a shell command in the file name ran').toBe(false);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(runs).toBe(RUNS);
  });
});
