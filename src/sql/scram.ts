// SCRAM-SHA-256 verifiers computed offline, as PostgreSQL stores them (RFC 5802 / RFC 7677).
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import saslprep from '@mongodb-js/saslprep';

export const SCRAM_ITERATIONS = 4096;

/**
 * PostgreSQL (and libpq) normalize the password with SASLprep when it is valid UTF-8 and contains no
 * prohibited character; otherwise they use the raw bytes. Unassigned code points are allowed.
 */
export function normalizePassword(password: string): string {
  try {
    return saslprep(password, { allowUnassigned: true });
  } catch {
    return password;
  }
}

/**
 * A verifier whose salt is derived from the role name and password, so the same plan renders the same
 * bytes. The salt still differs between roles; it is not secret in SCRAM either way.
 */
export function scramVerifier(role: string, password: string, iterations = SCRAM_ITERATIONS): string {
  const salt = createHash('sha256').update(`pgrant scram salt\0${role}\0${password}`, 'utf8').digest().subarray(0, 16);
  const salted = pbkdf2Sync(Buffer.from(normalizePassword(password), 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
