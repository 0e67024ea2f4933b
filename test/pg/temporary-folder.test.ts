// Where servers live: the temporary folder (TMPDIR) holds each server's data directory while it runs and
// the cache of initdb'd data directories (pgrant-cache-<uid>), kept to the current binaries.
import { chmodSync, existsSync, mkdirSync, readdirSync, utimesSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EMBEDDED_VERSIONS } from '../../src/harness/server.js';
import { cli } from '../support/cli.js';
import { TEST_MAJORS } from '../support/servers.js';
import { tempDir } from '../support/tmp.js';

const major = TEST_MAJORS.includes(17) ? 17 : TEST_MAJORS[0]!;
const previous = process.env.TMPDIR;
const root = process.getuid?.() === 0;

/** Runs `pgrant test` with TMPDIR set to `dir`. */
async function testIn(dir: string) {
  process.env.TMPDIR = dir;
  try {
    return await cli('test', 'examples/offboarding.yaml', '--pg', String(major), '--deployer', 'superuser');
  } finally {
    process.env.TMPDIR = previous;
  }
}

afterEach(() => {
  process.env.TMPDIR = previous;
});

describe('the temporary folder', () => {
  it(`a private one (mode 700, what mktemp -d makes): ${root ? 'refused as root with what to do, nothing left in it' : 'works (the server runs as this user)'}`, async () => {
    const dir = tempDir('private');
    chmodSync(dir, 0o700);
    const r = await testIn(dir);
    if (root) {
      expect(r.code).toBe(1);
      const said = r.stdout + r.stderr;
      expect(said).toContain(`the "postgres" OS user, which cannot enter the temporary folder ${dir} (TMPDIR): ${dir} is closed to it (mode 700)`);
      expect(said).toContain(`hint: point TMPDIR at a folder it can enter (e.g. TMPDIR=/tmp), or open this one: chmod o+x ${dir}`);
      expect(said).not.toMatch(/bug in pgrant|initdb/);
    } else {
      expect(r.code, r.stdout).toBe(0);
    }
    expect(readdirSync(dir).filter((f) => f !== `pgrant-cache-${userInfo().uid}`)).toEqual([]);
  });

  it('keeps one cached data directory per major: older binaries\' and dead initdb runs\' folders are removed', async () => {
    const dir = tempDir('cache');
    chmodSync(dir, 0o755);
    const cache = join(dir, `pgrant-cache-${userInfo().uid}`);
    const stale = join(cache, `template-${major}-${major}.0.0-beta.1`);
    const deadInitdb = join(cache, `initdb-${major}-dead`);
    const runningInitdb = join(cache, `initdb-${major}-running`);
    for (const d of [stale, deadInitdb, runningInitdb]) mkdirSync(d, { recursive: true });
    const anHourAgo = new Date(Date.now() - 3600_000);
    utimesSync(deadInitdb, anHourAgo, anHourAgo);
    const r = await testIn(dir);
    expect(r.code, r.stdout).toBe(0);
    // The current binaries' data directory stays for the next run; another process's initdb is left alone.
    expect(readdirSync(cache).sort()).toEqual([`initdb-${major}-running`, `template-${major}-${EMBEDDED_VERSIONS[major]}`]);
    expect(existsSync(join(cache, `template-${major}-${EMBEDDED_VERSIONS[major]}`, 'PG_VERSION'))).toBe(true);
    expect(readdirSync(dir)).toEqual([`pgrant-cache-${userInfo().uid}`]);
  });
});
