// Where servers come from: embedded binaries from npm (default), testcontainers, or an existing server.
import { randomBytes } from 'node:crypto';
import { UserError } from '../diagnostics.js';
import { npmInstall } from '../install-hint.js';
import { packagePath } from '../paths.js';
import { connect } from './db.js';
import { startServer, SUPPORTED_MAJORS, type Major, type Server } from './server.js';

export type EngineName = 'embedded' | 'testcontainers';

export interface Engine {
  name: string;
  /** `hostile`: a server for `pgrant test --hostile` (pg_stat_statements loaded where the engine can). */
  start(major: number, options?: { hostile?: boolean }): Promise<Server>;
}

export const embeddedEngine: Engine = {
  name: 'embedded',
  start: (major, options) => {
    if (!(SUPPORTED_MAJORS as readonly number[]).includes(major)) throw new UserError(`PostgreSQL ${major} is not supported (supported: ${SUPPORTED_MAJORS.join(', ')})`);
    return startServer(major as Major, { statements: options?.hostile ?? false });
  },
};

function isModuleNotFound(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * testcontainers is an optional peer dependency (it brings most of a Docker client): loaded here only,
 * so the embedded engine and --database-url never load it, and named with its install command when absent.
 */
async function loadTestcontainers(): Promise<{ module: typeof import('@testcontainers/postgresql'); core: typeof import('testcontainers') }> {
  try {
    return { module: await import('@testcontainers/postgresql'), core: await import('testcontainers') };
  } catch (e) {
    if (!isModuleNotFound(e)) throw e;
    throw new UserError({
      level: 'error',
      path: '',
      message: '--engine testcontainers needs the packages testcontainers and @testcontainers/postgresql (11.x), which pgrant does not install by default',
      hint: `add them with: ${npmInstall(['testcontainers@11', '@testcontainers/postgresql@11'])} (or use --engine embedded: no Docker needed)`,
    });
  }
}

/** `postgres:<major>` containers through @testcontainers/postgresql (needs a Docker-compatible engine). */
export async function testcontainersEngine(): Promise<Engine> {
  const { module: mod, core } = await loadTestcontainers();
  const { getContainerRuntimeClient } = core;
  try {
    await getContainerRuntimeClient();
  } catch (e) {
    throw new UserError({
      level: 'error',
      path: '',
      message: `no Docker-compatible container engine is reachable (${String((e as Error).message).split('\n')[0]})`,
      hint: `start Docker, or podman serving the Docker API (on Debian/Ubuntu without Docker: ${packagePath('scripts', 'container-engine.sh')} up, then set DOCKER_HOST as it says), or use --engine embedded (no Docker)`,
    });
  }
  return {
    name: 'testcontainers',
    async start(major) {
      const container = await new mod.PostgreSqlContainer(`postgres:${major}`).withPassword(randomBytes(12).toString('hex')).start();
      const host = container.getHost();
      return {
        major,
        host,
        port: container.getPort(),
        user: container.getUsername(),
        password: container.getPassword(),
        tcpHost: host,
        async stop() {
          await container.stop();
        },
      };
    },
  };
}

/** An existing server from a URL; the harness uses a scratch database there and never stops it. */
export async function urlServer(url: string): Promise<Server> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError({ level: 'error', path: '', message: `--database-url is not a URL: ${url}`, hint: 'postgresql://user:password@host:5432/postgres' });
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new UserError(`--database-url must start with postgresql://, got ${parsed.protocol}`);
  const sslmode = parsed.searchParams.get('sslmode') ?? undefined;
  const host = decodeURIComponent(parsed.hostname) || parsed.searchParams.get('host') || 'localhost';
  const address = {
    major: 0,
    host,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username) || process.env.USER || 'postgres',
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tcpHost: host,
    env: sslmode ? { PGSSLMODE: sslmode } : undefined,
  };
  let db;
  try {
    db = await connect(address, decodeURIComponent(parsed.pathname.slice(1)) || 'postgres', { pinned: true });
  } catch (e) {
    throw new UserError(`cannot connect to ${parsed.host}: ${(e as Error).message}`);
  }
  try {
    const row = (await db.query<{ v: string; su: boolean }>("SELECT current_setting('server_version_num') AS v, rolsuper AS su FROM pg_roles WHERE rolname = current_user")).rows[0]!;
    if (!row.su) throw new UserError('the --database-url role must be a superuser: the harness creates and drops roles and runs deploy.sql as the plan says (as a superuser)');
    address.major = Math.floor(Number(row.v) / 10000);
  } finally {
    await db.end();
  }
  return { ...address, stop: async () => {} };
}
