// Tools some tests need beyond what the README's Quick start asks for (Node and psql). Without one, its
// tests are skipped and the run says so in one line naming the install command; under
// PGRANT_REQUIRE_ALL_TOOLS=1 (set by .ci/run) a missing tool fails the run instead, so CI proves everything.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { it } from 'vitest';

export type ToolName = 'sqitch' | 'pgtap' | 'container-engine';

export interface Tool {
  name: ToolName;
  /** What it is, for the skip line. */
  what: string;
  /** The test files that need it. */
  files: string[];
  install: string;
  present(env: NodeJS.ProcessEnv): Promise<boolean>;
}

/** Whether `command --version` runs, looked up on the PATH of `env`. */
function runs(command: string, env: NodeJS.ProcessEnv): boolean {
  return spawnSync(command, ['--version'], { env, stdio: 'ignore' }).status === 0;
}

/** pgtap.sql (the non-extension script): $PGRANT_PGTAP_SQL, else where Debian's packages put it. */
export function pgtapScript(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env.PGRANT_PGTAP_SQL
    ? [env.PGRANT_PGTAP_SQL]
    : existsSync('/usr/share/postgresql')
      ? readdirSync('/usr/share/postgresql').map((v) => `/usr/share/postgresql/${v}/extension/pgtap.sql`)
      : [];
  return candidates.find((c) => existsSync(c));
}

/** The Docker API socket testcontainers would use: DOCKER_HOST (unix://…) or the usual path. */
function dockerSocket(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  if (!host && existsSync('/var/run/docker.sock')) return '/var/run/docker.sock';
  return undefined;
}

/** Whether a container engine answers on that socket (GET /_ping), within two seconds. */
function engineAnswers(socketPath: string | undefined): Promise<boolean> {
  if (!socketPath) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export const TOOLS: Tool[] = [
  {
    name: 'pgtap',
    what: 'pg_prove and pgTAP',
    files: ['test/pg/pgtap.test.ts'],
    install: 'apt-get install postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl (or set PGRANT_PGTAP_SQL to pgtap.sql)',
    present: async (env) => pgtapScript(env) !== undefined && runs('pg_prove', env),
  },
  {
    name: 'sqitch',
    what: 'sqitch',
    files: ['test/pg/sqitch.test.ts'],
    install: 'apt-get install sqitch',
    present: async (env) => runs('sqitch', env),
  },
  {
    name: 'container-engine',
    what: 'a container engine (a Docker API)',
    files: ['test/container.test.ts'],
    install: 'start Docker, or as root on Debian/Ubuntu: scripts/container-engine.sh up, then eval "$(scripts/container-engine.sh env)"',
    present: async (env) => engineAnswers(dockerSocket(env)),
  },
];

/** The tools missing from this machine (looked up on the PATH and environment of `env`). */
export async function missingTools(env: NodeJS.ProcessEnv = process.env): Promise<Tool[]> {
  const present = await Promise.all(TOOLS.map((t) => t.present(env)));
  return TOOLS.filter((_, i) => !present[i]);
}

/** Whether missing tools fail the run (.ci/run) instead of skipping their tests. */
export function allToolsRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PGRANT_REQUIRE_ALL_TOOLS === '1';
}

/** The one line a run prints for a missing tool. */
export function skipLine(tool: Tool): string {
  return `skipped ${tool.files.join(', ')}: needs ${tool.what}, not found here; install: ${tool.install}`;
}

/**
 * Whether this file's tests that need `name` can run. When not, a skipped test names the tool and its
 * install command (a skip, never a pass), or, when all tools are required, a failing test does.
 */
export async function hasTool(name: ToolName): Promise<boolean> {
  const tool = TOOLS.find((t) => t.name === name)!;
  if (await tool.present(process.env)) return true;
  if (allToolsRequired()) {
    it(`needs ${tool.what} (PGRANT_REQUIRE_ALL_TOOLS=1)`, () => {
      throw new Error(`${tool.what} not found here, and PGRANT_REQUIRE_ALL_TOOLS=1 makes that a failure; install: ${tool.install}`);
    });
  } else {
    it.skip(skipLine(tool), () => {});
  }
  return false;
}
