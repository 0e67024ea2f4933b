// Runs the real psql client: generated files are proven with the tool DBAs will use.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { UserError } from '../diagnostics.js';
import type { ServerAddress } from './server.js';

export interface PsqlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PsqlOptions {
  database: string;
  /** A file to run (-f) … */
  file?: string;
  /** … or a command string (-c). */
  command?: string;
  /** psql variables (-v NAME=value). */
  vars?: Record<string, string>;
  /** Connect as this role over TCP with a password (scram-sha-256), instead of the superuser socket. */
  login?: { user: string; password: string };
  /** Extra environment, e.g. for \getenv. */
  env?: Record<string, string>;
  /** Pass -v ON_ERROR_STOP=1 (default true). */
  onErrorStop?: boolean;
  /** Unaligned, tuples-only output (-A -t), for reading results. */
  tuplesOnly?: boolean;
}

const found = new Map<string, string>();

/** Where a command without a slash is found on PATH, following links; undefined when it is not there. */
function onPath(command: string): string | undefined {
  if (command.includes('/')) return undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      return realpathSync(join(dir, command));
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/**
 * Debian's and Ubuntu's `psql` is pg_wrapper, a Perl script that picks a client version on every call
 * (about 60 ms of CPU each, and a test run calls psql hundreds of times). With one client installed
 * there is nothing to pick: run it directly.
 */
function unwrapped(candidate: string): string {
  if (basename(onPath(candidate) ?? '') !== 'pg_wrapper' || process.env.PGCLUSTER !== undefined) return candidate;
  const clients = existsSync(DEBIAN_CLIENTS) ? readdirSync(DEBIAN_CLIENTS).map((v) => join(DEBIAN_CLIENTS, v, 'bin', 'psql')).filter((p) => existsSync(p)) : [];
  return clients.length === 1 ? clients[0]! : candidate;
}

const DEBIAN_CLIENTS = '/usr/lib/postgresql';

/** The psql binary: $PGRANT_PSQL, else `psql` on PATH. Fails with a clear message when missing. */
export function findPsql(): string {
  const candidate = process.env.PGRANT_PSQL ?? 'psql';
  const known = found.get(candidate);
  if (known) return known;
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new UserError({
      level: 'error',
      path: '',
      message: `the psql client was not found (tried "${candidate}")`,
      hint: 'install it (Debian/Ubuntu: apt-get install postgresql-client) or set PGRANT_PSQL to its path',
    });
  }
  found.set(candidate, unwrapped(candidate));
  return found.get(candidate)!;
}

export function runPsql(server: ServerAddress, options: PsqlOptions): Promise<PsqlResult> {
  const args = ['-X', '-q'];
  if (options.onErrorStop !== false) args.push('-v', 'ON_ERROR_STOP=1');
  if (options.tuplesOnly) args.push('-A', '-t');
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push('-v', `${name}=${value}`);
  const env: NodeJS.ProcessEnv = { ...process.env, ...server.env, ...options.env, PGDATABASE: options.database, PGCONNECT_TIMEOUT: '10' };
  delete env.PGSERVICE;
  delete env.PGPASSFILE;
  if (options.login) {
    env.PGHOST = server.tcpHost;
    env.PGUSER = options.login.user;
    env.PGPASSWORD = options.login.password;
  } else {
    env.PGHOST = server.host;
    env.PGUSER = server.user;
    if (server.password !== undefined) env.PGPASSWORD = server.password;
    else delete env.PGPASSWORD;
  }
  env.PGPORT = String(server.port);
  if (options.file) args.push('-f', options.file);
  if (options.command) args.push('-c', options.command);
  return spawnPsql(args, env);
}

function spawnPsql(args: string[], env: NodeJS.ProcessEnv): Promise<PsqlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(findPsql(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Runs a file with psql against a connection URL (postgresql://…), for commands that use an existing server. */
export function runPsqlUrl(url: string, file: string): Promise<PsqlResult> {
  return spawnPsql(['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', file], { ...process.env, PGCONNECT_TIMEOUT: '10' });
}
