// SCRAM verifiers computed offline by pgrant let the role log in over TCP with scram-sha-256.
import { describe, expect, it } from 'vitest';
import { connect, ident, literal } from '../../src/harness/db.js';
import { runPsql } from '../../src/harness/psql.js';
import { SCRAM_VERIFIER } from '../../src/plan/plan-types.js';
import { normalizePassword, scramVerifier } from '../../src/sql/scram.js';
import { TEST_MAJORS, useServers } from '../support/servers.js';

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
  it('is deterministic and well-formed', () => {
    const v = scramVerifier('alice', 'secret');
    expect(v).toBe(scramVerifier('alice', 'secret'));
    expect(v).not.toBe(scramVerifier('bob', 'secret'));
    expect(v).toMatch(SCRAM_VERIFIER);
    expect(v).not.toContain('secret');
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
        await db.query(`CREATE ROLE ${ident(role)} LOGIN PASSWORD ${literal(scramVerifier(role, password))}`);
        const stored = (await db.query<{ p: string }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [role])).rows[0]!.p;
        expect(stored).toBe(scramVerifier(role, password));
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
