// SCRAM verifiers computed offline by pgrant let the role log in over TCP with scram-sha-256.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, ident, literal } from '../../src/harness/db.js';
import { runPsql } from '../../src/harness/psql.js';
import { SCRAM_VERIFIER } from '../../src/plan/plan-types.js';
import { newScramSalt, normalizePassword, scramVerifier } from '../../src/sql/scram.js';
import { cli } from '../support/cli.js';
import { withDeployed } from '../support/deployed.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';

const filtered = TEST_MAJORS.filter((m) => m === 14 || m === 18);
const majors = filtered.length ? filtered : TEST_MAJORS.slice(0, 1);
const servers = useServers(majors);

const PASSWORDS = [
  'secret123',
  "it's a \"quote\" \\ and $$ and :var",
  'pässwörd',
  'I\u00ADX', // SASLprep maps the soft hyphen to nothing: "IX"
  '\u2168', // SASLprep normalizes ROMAN NUMERAL NINE to "IX" (NFKC)
  'tab\there', // a prohibited control character: PostgreSQL uses the raw bytes
  '🐘 elephant',
  '🌶㊟', // an emoji unassigned in Unicode 3.2: raw bytes, so ㊟ is NOT normalized (found by fuzzing)
  '$ₚί', // ₚ is unassigned in 3.2 before NFKC (PostgreSQL checks the un-normalized text): raw (found by fuzzing)
  '\u0627\u0644\u0639', // right-to-left only: normalized
  'a\u0627', // left-to-right and right-to-left mixed: raw
];

describe('scramVerifier', () => {
  it('is deterministic for a salt, and well-formed', () => {
    const salt = newScramSalt();
    const v = scramVerifier('secret', salt);
    expect(v).toBe(scramVerifier('secret', salt));
    expect(v).not.toBe(scramVerifier('secret', newScramSalt()));
    expect(v).toMatch(SCRAM_VERIFIER);
    expect(v).not.toContain('secret');
    expect(v.split('$')[1]).toBe(`4096:${salt.toString('base64')}`);
  });

  it('normalizes like PostgreSQL (SASLprep, raw bytes when prohibited)', () => {
    expect(normalizePassword('I\u00ADX')).toBe('IX');
    expect(normalizePassword('\u2168')).toBe('IX');
    expect(normalizePassword('tab\there')).toBe('tab\there');
    expect(normalizePassword('㊟')).toBe('注');
    expect(normalizePassword('🌶㊟')).toBe('🌶㊟');
    expect(normalizePassword('$ₚί')).toBe('$ₚί');
    expect(normalizePassword('ί')).toBe('\u03af');
  });

  it.each(majors)('lets the role log in on PostgreSQL %i, and refuses a wrong password', async (major) => {
    const server = servers.get(major)!;
    const db = await connect(server, 'postgres');
    try {
      for (const [i, password] of PASSWORDS.entries()) {
        const role = `scram_user_${i}`;
        const verifier = scramVerifier(password, newScramSalt());
        await db.query(`CREATE ROLE ${ident(role)} LOGIN PASSWORD ${literal(verifier)}`);
        const stored = (await db.query<{ p: string }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [role])).rows[0]!.p;
        expect(stored).toBe(verifier);
        const ok = await runPsql(server, { database: 'postgres', command: 'SELECT current_user', tuplesOnly: true, login: { user: role, password } });
        expect(ok.stderr).toBe('');
        expect(ok.stdout.trim()).toBe(role);
        const wrong = await runPsql(server, { database: 'postgres', command: 'SELECT 1', login: { user: role, password: `${password}x` } });
        expect(wrong.code).not.toBe(0);
        expect(wrong.stderr).toMatch(/password authentication failed/);
      }
    } finally {
      for (const i of PASSWORDS.keys()) await db.query(`DROP ROLE IF EXISTS scram_user_${i}`);
      await db.end();
    }
  });
});

// The salt of a verifier pgrant computes comes from the plan's salt file (random, drawn once per role),
// never from the password: a committed verifier costs an attacker PBKDF2-4096 per guess.
describe('the salt file', () => {
  const PLAN = ['pgrant: 1', 'name: plan', 'database: scram_salt_db', 'patterns:', '  - pattern: app-user', '    role: svc_login', '    password: {env: PGRANT_SALT_TEST_PASSWORD}', ''].join('\n');

  /** A plan folder as a fresh clone has it: the plan, no salt file, no output. */
  function planFolder(): { dir: string; plan: string; salts: string; out: string } {
    const dir = tempDir('salts');
    writeFileSync(join(dir, 'plan.yaml'), PLAN);
    return { dir, plan: join(dir, 'plan.yaml'), salts: join(dir, 'plan.salts.json'), out: join(dir, 'out') };
  }

  async function render(plan: string, out: string, password: string, ...flags: string[]) {
    process.env.PGRANT_SALT_TEST_PASSWORD = password;
    try {
      return await cli('render', plan, '--out', out, '--quiet', ...flags);
    } finally {
      delete process.env.PGRANT_SALT_TEST_PASSWORD;
    }
  }

  function verifierIn(out: string): { verifier: string; salt: string } {
    const found = readFileSync(join(out, 'plan', 'deploy.sql'), 'utf8').match(/SCRAM-SHA-256\$4096:([A-Za-z0-9+/=]+)\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+/g) ?? [];
    expect(found).toHaveLength(1);
    return { verifier: found[0]!, salt: found[0]!.split(/[:$]/)[2]! };
  }

  /** The salt the earlier scheme derived from the role and a password guess. */
  const oldSalt = (role: string, guess: string) => createHash('sha256').update(`pgrant scram salt\0${role}\0${guess}`, 'utf8').digest().subarray(0, 16).toString('base64');

  it('is not a function of the password: the old derivation, tried with every guess, matches no salt', async () => {
    const f = planFolder();
    const password = 'Winter2024!';
    expect((await render(f.plan, f.out, password)).code).toBe(0);
    const { salt } = verifierIn(f.out);
    const guesses = ['password', 'Summer2024!', 'Winter2023!', password, 'Winter2025!'];
    expect(guesses.filter((g) => oldSalt('svc_login', g) === salt)).toEqual([]);
    // The salt is the one recorded in the salt file, created next to the plan.
    expect(JSON.parse(readFileSync(f.salts, 'utf8')).salts).toEqual({ svc_login: salt });
  });

  it('gives the same role a different salt for two passwords, and for the same password in two fresh clones', async () => {
    const [a, b, c] = [planFolder(), planFolder(), planFolder()];
    await render(a.plan, a.out, 'first password');
    await render(b.plan, b.out, 'second password');
    await render(c.plan, c.out, 'first password');
    const salts = [verifierIn(a.out).salt, verifierIn(b.out).salt, verifierIn(c.out).salt];
    expect(new Set(salts).size).toBe(3);
  });

  it('renders the same bytes again from the salt file, and draws a new salt when the password changes', async () => {
    const f = planFolder();
    await render(f.plan, f.out, 'first password');
    const first = readFileSync(join(f.out, 'plan', 'deploy.sql'));
    const saltFile = readFileSync(f.salts);
    expect((await render(f.plan, f.out, 'first password', '--check')).code).toBe(0);
    expect((await render(f.plan, f.out, 'first password')).code).toBe(0);
    expect(readFileSync(join(f.out, 'plan', 'deploy.sql')).equals(first)).toBe(true);
    expect(readFileSync(f.salts).equals(saltFile)).toBe(true);
    const before = verifierIn(f.out).salt;
    // A changed password: --check says so (and writes nothing); render gives it a new salt.
    const check = await render(f.plan, f.out, 'second password', '--check');
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`${f.salts}: stale`);
    expect(readFileSync(f.salts).equals(saltFile)).toBe(true);
    await render(f.plan, f.out, 'second password');
    const after = verifierIn(f.out);
    expect(after.salt).not.toBe(before);
    expect(after.verifier).toBe(scramVerifier('second password', Buffer.from(after.salt, 'base64')));
    expect(JSON.parse(readFileSync(f.salts, 'utf8')).salts).toEqual({ svc_login: after.salt });
  });

  it('lets migrate.sql see an unchanged password as unchanged, whatever salt each plan file has', async () => {
    const f = planFolder();
    const old = join(f.dir, 'old.yaml');
    writeFileSync(old, PLAN);
    const r = await render(f.plan, f.out, 'same password', '--from', old);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('no changes from the old plan');
  });

  it('is reported by render --check in a fresh clone, which writes nothing', async () => {
    const f = planFolder();
    const check = await render(f.plan, f.out, 'a password', '--check');
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`${f.salts}: stale: a password is new or changed`);
    expect(existsSync(f.salts)).toBe(false);
    expect(existsSync(f.out)).toBe(false);
  });

  it('refuses a damaged salt file, naming it', async () => {
    const f = planFolder();
    writeFileSync(f.salts, '{"salts": {"svc_login": "not base64!"}}');
    const r = await render(f.plan, f.out, 'a password');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f.salts}:1:1: error: salts."svc_login": salt file: expected a base64 salt`);
    expect(existsSync(f.out)).toBe(false);
  });

  it.each(majors)('gives a verifier the role logs in with on PostgreSQL %i, the bytes render wrote', async (major) => {
    const f = planFolder();
    const password = "corr'ect horse $$ battery";
    await render(f.plan, f.out, password);
    const { verifier } = verifierIn(f.out);
    process.env.PGRANT_SALT_TEST_PASSWORD = password;
    try {
      await withDeployed(servers.get(major)!, major, { file: f.plan }, async () => {
        const db = await connect(servers.get(major)!, 'postgres');
        try {
          const stored = (await db.query<{ p: string }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', ['svc_login'])).rows[0]!.p;
          expect(stored).toBe(verifier);
        } finally {
          await db.end();
        }
        const ok = await runPsql(servers.get(major)!, { database: 'postgres', command: 'SELECT current_user', tuplesOnly: true, login: { user: 'svc_login', password } });
        expect(ok.stderr).toBe('');
        expect(ok.stdout.trim()).toBe('svc_login');
      });
    } finally {
      delete process.env.PGRANT_SALT_TEST_PASSWORD;
    }
  });
});
