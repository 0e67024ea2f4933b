// The suite's PostgreSQL servers: started once per run by the global setup (test/support/global-setup.ts)
// when a file first asks, one per major for each of vitest's workers, so that files running side by side
// never share a server (roles are cluster-wide). Files that run one after another in the same worker share
// its servers: each file must leave a server as it found it, which useServers() checks after the file.
import { afterAll, beforeAll, inject } from 'vitest';
import { connect } from '../../src/harness/db.js';
import { embeddedEngine, type Engine } from '../../src/harness/engines.js';
import { SUPPORTED_MAJORS, startServer, type Major, type Server, type ServerAddress, type StartOptions } from '../../src/harness/server.js';
import { quoteIdent } from '../../src/sql/quote.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the global setup hands out servers: GET <url>?worker=N&major=M answers a ServerAddress. */
    pgServerPool: string;
  }
}

/**
 * Majors the suite runs on: all supported ones unless PGRANT_TEST_MAJORS narrows them (e.g. "17" or
 * "14,18"). Anything else is an error, never a silently empty list: a typo must not skip every server test.
 */
export function parseTestMajors(value: string | undefined): Major[] {
  if (value === undefined || value.trim() === 'all') return [...SUPPORTED_MAJORS];
  const parts = value.split(',').map((p) => p.trim());
  const bad = parts.filter((p) => !(SUPPORTED_MAJORS as readonly number[]).includes(Number(p)) || !/^\d+$/.test(p));
  if (bad.length || parts.length === 0) {
    throw new Error(`PGRANT_TEST_MAJORS=${JSON.stringify(value)}: ${bad.map((b) => JSON.stringify(b)).join(', ')} is not a supported major (${SUPPORTED_MAJORS.join(', ')}, comma-separated, or "all")`);
  }
  return [...new Set(parts.map(Number))].sort() as Major[];
}

export const TEST_MAJORS: Major[] = parseTestMajors(process.env.PGRANT_TEST_MAJORS);

/** What a file could leave behind on a shared server: cluster-wide objects and settings, and objects in `postgres`. */
const STATE_QUERY = `
  SELECT 'role ' || rolname AS item FROM pg_roles
  UNION ALL SELECT 'database ' || datname FROM pg_database
  UNION ALL SELECT 'setting ' || coalesce(d.datname, '*') || ' ' || coalesce(r.rolname, '*') || ' ' || array_to_string(s.setconfig, ',')
    FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_roles r ON r.oid = s.setrole
  UNION ALL SELECT 'server setting ' || name || '=' || setting FROM pg_settings WHERE source NOT IN ('default', 'override', 'client', 'session')
  UNION ALL SELECT 'schema ' || nspname || ' in postgres' FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
  UNION ALL SELECT 'relation ' || c.oid::regclass::text || ' in postgres' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  ORDER BY 1`;

async function serverState(server: ServerAddress): Promise<string[]> {
  const db = await connect(server, 'postgres');
  try {
    return (await db.query<{ item: string }>(STATE_QUERY)).rows.map((r) => r.item);
  } finally {
    await db.end();
  }
}

/** Drops the databases and roles a file left behind, so the next file in this worker starts clean. */
async function dropLeftovers(server: ServerAddress, left: string[]): Promise<void> {
  const db = await connect(server, 'postgres');
  try {
    for (const item of left) if (item.startsWith('database ')) await db.query(`DROP DATABASE IF EXISTS ${quoteIdent(item.slice(9))} WITH (FORCE)`).catch(() => {});
    const roles = left.filter((i) => i.startsWith('role ')).map((i) => i.slice(5));
    for (const role of roles) await db.query(`DROP OWNED BY ${quoteIdent(role)}`).catch(() => {});
    for (const role of roles) await db.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`).catch(() => {});
  } finally {
    await db.end();
  }
}

/**
 * This worker's servers for `majors`. After the file, anything it left on them (a role, a database, a
 * setting, an object in `postgres`) fails the file, and what can be dropped is dropped. With start
 * `options`, servers of the file's own instead.
 */
export function useServers(majors: readonly Major[] = TEST_MAJORS, options: StartOptions = {}): Map<Major, Server> {
  if (Object.keys(options).length) return ownServers(majors, options);
  const servers = new Map<Major, Server>();
  const before = new Map<Major, string[]>();
  beforeAll(async () => {
    for (const major of majors) {
      const server = await poolServer(major);
      servers.set(major, server);
      before.set(major, await serverState(server));
    }
  });
  afterAll(async () => {
    const problems: string[] = [];
    for (const [major, server] of servers) {
      const was = new Set(before.get(major) ?? []);
      const now = await serverState(server);
      const left = now.filter((i) => !was.has(i));
      const gone = [...was].filter((i) => !now.includes(i));
      if (!left.length && !gone.length) continue;
      await dropLeftovers(server, left);
      problems.push(`PostgreSQL ${major}: ${[...left.map((i) => `left ${i}`), ...gone.map((i) => `removed ${i}`)].join('; ')}`);
    }
    if (problems.length) throw new Error(`this file changed the shared servers (each file must leave them as it found them):\n${problems.join('\n')}`);
  });
  return servers;
}

/**
 * Servers of the file's own, started with `options` (e.g. pg_stat_statements loaded) and stopped after
 * it: a file that reads a server's log or statistics must not see another file's.
 */
function ownServers(majors: readonly Major[], options: StartOptions): Map<Major, Server> {
  const servers = new Map<Major, Server>();
  beforeAll(async () => {
    for (const m of majors) servers.set(m, await startServer(m, options));
  });
  afterAll(async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  });
  return servers;
}

/** This worker's server for a major, from the global setup's pool (started on the first request). */
async function poolServer(major: Major): Promise<Server> {
  const url = new URL(inject('pgServerPool'));
  url.searchParams.set('worker', process.env.VITEST_POOL_ID ?? '1');
  url.searchParams.set('major', String(major));
  const res = await fetch(url);
  if (!res.ok) throw new Error(`the suite's server pool could not start PostgreSQL ${major}:\n${await res.text()}`);
  const address = (await res.json()) as ServerAddress;
  // Shared by the files of this worker: the global teardown stops it.
  return { ...address, stop: async () => {} };
}

/**
 * An engine for runTests() that proves plans on this file's servers instead of starting new ones (a major
 * the file has none for, e.g. outside PGRANT_TEST_MAJORS, gets a server of its own, as pgrant test would).
 */
export function sharedEngine(servers: Map<Major, Server>): Engine {
  return { name: 'embedded', start: async (major) => servers.get(major as Major) ?? embeddedEngine.start(major) };
}
