// Proof by fuzzing: hostile names, literals and passwords go through every pattern's templates and are
// executed on real PostgreSQL. The catalog must hold exactly the intended names, privileges must land on
// exactly the intended grantees, a canary table stays untouched, no extra role appears, and every login
// gets in with exactly its password. PGRANT_FUZZ_RUNS and PGRANT_FUZZ_MAJORS (e.g. "all") widen the run.
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
import { quoteLiteral } from '../../src/sql/quote.js';
import { cli } from '../support/cli.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';

const RUNS = Number(process.env.PGRANT_FUZZ_RUNS ?? 12);
const wanted = process.env.PGRANT_FUZZ_MAJORS === 'all' ? [...SUPPORTED_MAJORS] : [16, 18];
const majors = TEST_MAJORS.filter((m) => wanted.includes(m));
const fuzzMajors: Major[] = majors.length ? majors : [TEST_MAJORS[0]!];
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

/** Distinct hostile names for the roles, schema, table and database of one plan. */
const names = fc.uniqueArray(hostileName, { minLength: 11, maxLength: 11, selector: (n) => n.toLowerCase() });

let counter = 0;

function planFor(n: string[], comment: string, password: string, literal: string): string {
  const [ro, rw, app, member, owner, schema, table, policy, team, db, lead] = n as [string, string, string, string, string, string, string, string, string, string, string];
  const tableRef = { schema, name: table };
  return stringify({
    pgrant: 1,
    name: `fuzz_${++counter}`,
    postgres: 16,
    database: db,
    patterns: [
      { pattern: 'database', name: db, create: true, connect: [ro, rw, app, team] },
      { pattern: 'readonly', role: ro, schemas: [schema], owners: [owner], members: [{ name: member, password: { psql: 'member_password' }, comment }] },
      { pattern: 'readwrite', role: rw, schemas: [schema], tables: [tableRef], owners: [owner] },
      { pattern: 'app-user', role: app, password, schemas: [schema], tables: [tableRef], sequences: false, owners: [owner], comment },
      {
        pattern: 'roles',
        owners: [owner],
        roles: [
          { name: team, grants: [{ privileges: ['USAGE'], schemas: [schema] }, { privileges: ['SELECT', 'UPDATE'], columns: { [`${schema}.${table}`]: ['name'] } }] },
          { name: lead, login: true, member_of: [{ role: team, admin: true }] },
        ],
      },
      { pattern: 'row-level-security', table: tableRef, policies: [{ name: policy, roles: [app], using: `name IS DISTINCT FROM ${quoteLiteral(literal)}` }] },
    ],
  });
}

describe.each(fuzzMajors)('fuzz on PostgreSQL %i', (major) => {
  it(`${RUNS} hostile plans: exact names, exact grantees, canary untouched, no extra role, passwords round-trip`, async () => {
    const server = servers.get(major)!;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(names, hostileText, hostileText, hostileText, hostileText, async (n, comment, password, literal, psqlPassword) => {
        runs++;
        const dir = tempDir('fuzz');
        const file = join(dir, 'plan.yaml');
        writeFileSync(file, planFor(n, comment, password, literal));
        const maintenance = await connect(server, 'postgres');
        const rolesBefore = new Set((await maintenance.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname));
        let extraRoles: string[] = [];
        let canary = '';
        try {
          const report = await provePlan({
            planFile: file,
            server: addressOf(server),
            passwordFor: () => psqlPassword,
            beforeDeploy: async (db) => {
              await db.query('CREATE SCHEMA pgrant_canary_schema; CREATE TABLE pgrant_canary_schema.pgrant_canary (v text); INSERT INTO pgrant_canary_schema.pgrant_canary VALUES (\'untouched\')');
            },
            afterDeploy: async (db) => {
              const now = (await db.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname);
              const expected = new Set([...n.filter((_, i) => i !== 5 && i !== 6 && i !== 7 && i !== 9)]);
              extraRoles = now.filter((r) => !rolesBefore.has(r) && !expected.has(r));
              const missing = [...expected].filter((r) => !now.includes(r));
              if (missing.length) extraRoles.push(...missing.map((m) => `missing:${m}`));
              const c = await db.query<{ v: string; acl: string | null }>(
                "SELECT v, (SELECT relacl::text FROM pg_class WHERE oid = 'pgrant_canary_schema.pgrant_canary'::regclass) AS acl FROM pgrant_canary_schema.pgrant_canary",
              );
              canary = JSON.stringify(c.rows);
            },
          });
          const failed = report.phases.filter((p) => p.status === 'fail');
          expect(failed, JSON.stringify({ names: n, comment, password, literal, failed }, null, 1)).toEqual([]);
          expect(report.ok).toBe(true);
          expect(extraRoles, 'roles created = exactly the plan\'s').toEqual([]);
          expect(canary).toBe('[{"v":"untouched","acl":null}]');
          // Every login with a password was tried and got in with exactly it (psql variable, and plain → SCRAM).
          const logins = report.phases.find((p) => p.name.startsWith('logins'))!.detail!;
          expect(logins).toContain(`${n[3]}: logged in`);
          expect(logins).toContain(`${n[2]}: logged in`);
        } finally {
          await maintenance.end();
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    console.log(`fuzz: PostgreSQL ${major}: ${runs} hostile plans proven (deploy ×2, verify, probes, logins, revert)`);
    expect(runs).toBe(RUNS);
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
