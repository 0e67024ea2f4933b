// Temporary folders for tests: each is removed when the tests of the file that made it are done, so a
// run leaves nothing behind (test/support/global-setup.ts fails the run if it does).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

// Registered when a test file first imports this module (each file has its own module registry).
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new folder `pgrant-<name>-XXXXXX` under the system's temporary directory. */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pgrant-${name}-`));
  made.push(dir);
  return dir;
}
