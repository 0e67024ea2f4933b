// SCRAM-SHA-256 verifiers computed offline, as PostgreSQL stores them (RFC 5802 / RFC 7677).
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const SCRAM_ITERATIONS = 4096;

interface CodePointTable {
  get(codePoint: number): boolean;
}

interface Rfc3454Tables {
  unassigned_code_points: CodePointTable;
  commonly_mapped_to_nothing: CodePointTable;
  non_ASCII_space_characters: CodePointTable;
  prohibited_characters: CodePointTable;
  bidirectional_r_al: CodePointTable;
  bidirectional_l: CodePointTable;
}

let tables: Rfc3454Tables | undefined;

/**
 * The stringprep tables of RFC 3454 (A.1 unassigned, B.1, C.1.2, C.2–C.9, D.1, D.2), as packaged by
 * @mongodb-js/saslprep. Its algorithm is not PostgreSQL's (below), so only its data is used.
 */
function rfc3454(): Rfc3454Tables {
  if (!tables) {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('@mongodb-js/saslprep'));
    const { createMemoryCodePoints } = require(join(dist, 'memory-code-points.js')) as { createMemoryCodePoints(data: unknown): Rfc3454Tables };
    const data = (require(join(dist, 'code-points-data.js')) as { default: unknown }).default;
    tables = createMemoryCodePoints(data);
  }
  return tables;
}

/**
 * SASLprep exactly as PostgreSQL and libpq apply it (src/common/saslprep.c), so that a verifier computed
 * here matches the password typed at login. PostgreSQL's order matters: ASCII passes untouched; spaces are
 * mapped and "mapped to nothing" characters dropped; the result is NFKC-normalized; but the prohibited,
 * unassigned (Unicode 3.2) and bidi checks look at the mapped, *un-normalized* characters; if any check
 * fails, the raw password is used. Found by the fuzz tests: "$ₚί" (ₚ unassigned in 3.2) stays raw.
 */
export function normalizePassword(password: string): string {
  if (/^[\x00-\x7f]*$/.test(password)) return password;
  const t = rfc3454();
  const mapped: number[] = [];
  for (const ch of password) {
    const cp = ch.codePointAt(0)!;
    if (t.non_ASCII_space_characters.get(cp)) mapped.push(0x20);
    else if (!t.commonly_mapped_to_nothing.get(cp)) mapped.push(cp);
  }
  if (mapped.length === 0) return password;
  if (mapped.some((cp) => t.prohibited_characters.get(cp) || t.unassigned_code_points.get(cp) || (cp >= 0xd800 && cp <= 0xdfff))) return password;
  if (mapped.some((cp) => t.bidirectional_r_al.get(cp))) {
    if (mapped.some((cp) => t.bidirectional_l.get(cp))) return password;
    if (!t.bidirectional_r_al.get(mapped[0]!) || !t.bidirectional_r_al.get(mapped[mapped.length - 1]!)) return password;
  }
  return String.fromCodePoint(...mapped).normalize('NFKC');
}

/** Bytes of salt in a new verifier (PostgreSQL's own SCRAM_DEFAULT_SALT_LEN). */
export const SCRAM_SALT_BYTES = 16;

/** A new random salt: never derived from the password, so a guess costs the full PBKDF2 run. */
export function newScramSalt(): Buffer {
  return randomBytes(SCRAM_SALT_BYTES);
}

/**
 * The verifier PostgreSQL would store for this password and salt. The salt comes from the plan's salt
 * file (src/plan/salts.ts), so the same plan renders the same bytes without the salt depending on the password.
 */
export function scramVerifier(password: string, salt: Buffer, iterations = SCRAM_ITERATIONS): string {
  const salted = pbkdf2Sync(Buffer.from(normalizePassword(password), 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
