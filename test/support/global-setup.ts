// The whole run gets a temporary directory of its own (TMPDIR, which every test file and server
// inherits); at the end, anything left in it other than the server template cache fails the run. A
// shared /tmp cannot be checked this way: other runs on the machine write there at the same time.
// It also runs the suite's server pool (test/support/server-pool.ts) and names missing optional tools.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startServerPool, type ServerPool } from './server-pool.js';
import { allToolsRequired, missingTools, skipLine } from './tools.js';

/** Made once per run and reused on purpose (PostgreSQL's initdb output, copied for every server). */
const CACHE = `pgrant-cache-${userInfo().uid}`;

let runDir: string | undefined;
let previous: string | undefined;
let pool: ServerPool | undefined;

/**
 * One line per optional tool that is missing and whose tests are part of this run (the file filters on
 * the command line, if any): their tests are skipped, or fail when PGRANT_REQUIRE_ALL_TOOLS=1.
 */
async function reportMissingTools(project: TestProject): Promise<void> {
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  for (const tool of await missingTools()) {
    if (filters && !tool.files.some((f) => filters.some((pattern) => f.includes(pattern)))) continue;
    console.log(allToolsRequired() ? `fails ${tool.files.join(', ')} (PGRANT_REQUIRE_ALL_TOOLS=1): needs ${tool.what}, not found here; install: ${tool.install}` : skipLine(tool));
  }
}

export async function setup(project: TestProject): Promise<void> {
  await reportMissingTools(project);
  runDir = mkdtempSync(join(tmpdir(), 'pgrant-testrun-'));
  // As root the servers run as the postgres OS user, which must reach its data directories in here.
  chmodSync(runDir, 0o755);
  previous = process.env.TMPDIR;
  process.env.TMPDIR = runDir;
  pool = await startServerPool();
  project.provide('pgServerPool', pool.url);
}

/** Stops a server still running from `dir` (a test that never stopped it), saying whether there was one. */
function stopLeftServer(dir: string): boolean {
  const pidFile = join(dir, 'data', 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 'SIGQUIT'); // PostgreSQL's immediate shutdown
    return true;
  } catch {
    return false;
  }
}

export async function teardown(): Promise<void> {
  await pool?.close();
  if (!runDir) return;
  if (previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previous;
  const left = readdirSync(runDir).filter((name) => name !== CACHE);
  const running = left.filter((name) => stopLeftServer(join(runDir!, name)));
  rmSync(runDir, { recursive: true, force: true });
  if (running.length) {
    process.exitCode = 1;
    throw new Error(`the test run left ${running.length} PostgreSQL server(s) running (now stopped): ${running.join(', ')}; every server a test starts must be stopped`);
  }
  if (left.length) {
    // Vitest reports an error thrown here but keeps the exit code of the tests: set it too.
    process.exitCode = 1;
    throw new Error(`the test run left ${left.length} temporary folder(s) behind: ${left.slice(0, 10).join(', ')}${left.length > 10 ? ', …' : ''}; every test must remove what it creates (test/support/tmp.ts)`);
  }
}
