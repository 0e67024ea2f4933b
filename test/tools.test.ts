// A machine with only what the README's Quick start asks for (Node and psql): the tests that need another
// tool are skipped, each tool named once with its install command; PGRANT_REQUIRE_ALL_TOOLS=1 (.ci/run)
// turns each of those skips into a failure.
import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPsql } from '../src/harness/psql.js';
import { tempDir } from './support/tmp.js';
import { missingTools, TOOLS } from './support/tools.js';

/** An environment whose PATH holds node and psql only, with no container engine and no pgTAP override. */
function quickStartOnly(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const bin = tempDir('quick-start-path');
  symlinkSync(process.execPath, join(bin, 'node'));
  const psql = spawnSync('sh', ['-c', `command -v ${findPsql()}`], { encoding: 'utf8' }).stdout.trim();
  symlinkSync(psql, join(bin, 'psql'));
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin, DOCKER_HOST: 'unix:///nonexistent/docker.sock', ...extra };
  for (const name of ['PGRANT_PGTAP_SQL', 'PGRANT_REQUIRE_ALL_TOOLS', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'NODE_OPTIONS']) if (!(name in extra)) delete env[name];
  return env;
}

const files = TOOLS.flatMap((t) => t.files);

/** The suite's tests that need the optional tools, run by vitest in a child process. */
function runSuite(env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...files], { env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, output: (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '') };
}

describe('optional tools (pgTAP with pg_prove, sqitch, a container engine)', () => {
  it('are all found missing on a PATH with node and psql only', async () => {
    expect((await missingTools(quickStartOnly())).map((t) => t.name)).toEqual(['pgtap', 'sqitch', 'container-engine']);
  });

  it('missing: their tests are skipped, one line each naming the tool and its install command, and the run passes', () => {
    const r = runSuite(quickStartOnly());
    expect(r.code, r.output).toBe(0);
    for (const [tool, install] of [
      ['pg_prove and pgTAP', 'apt-get install postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl'],
      ['sqitch', 'apt-get install sqitch'],
      ['a container engine', 'scripts/container-engine.sh up'],
    ]) {
      const lines = r.output.split('\n').filter((l) => l.includes(`needs ${tool}`));
      expect(lines, r.output).toHaveLength(1);
      expect(lines[0]).toMatch(/^skipped test\/\S+\.test\.ts: needs .*, not found here; install: /);
      expect(lines[0]).toContain(install);
    }
    expect(r.output).toMatch(/Tests\s+3 skipped \(3\)/);
  });

  it('missing, with PGRANT_REQUIRE_ALL_TOOLS=1 (.ci/run): each is a failure', () => {
    const r = runSuite(quickStartOnly({ PGRANT_REQUIRE_ALL_TOOLS: '1' }));
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/Tests\s+3 failed \(3\)/);
    for (const tool of ['pg_prove and pgTAP', 'sqitch', 'a container engine (a Docker API)']) expect(r.output).toContain(`needs ${tool} (PGRANT_REQUIRE_ALL_TOOLS=1)`);
  });
});
