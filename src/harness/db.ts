// Client connections for the harness: the superuser over the Unix socket, for reading the catalog and
// acting as roles with SET ROLE. Generated files always run through psql (psql.ts).
import pg from 'pg';
import type { ServerAddress } from './server.js';

export type Db = pg.Client;

/**
 * A client connection. `pinned`: names resolve in pg_catalog only (then pg_temp), like the generated
 * files': a function another role planted on the default search_path ("$user", public) never runs as
 * the superuser. The harness's own connections are pinned and name the plan's objects with their schema;
 * tests that load fixtures with unqualified names connect unpinned.
 */
export async function connect(server: ServerAddress, database: string, { pinned = false }: { pinned?: boolean } = {}): Promise<Db> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database,
    application_name: 'pgrant-harness',
    options: pinned ? '-c search_path=pg_catalog,pg_temp' : undefined,
    ssl: server.env?.PGSSLMODE === 'require' ? { rejectUnauthorized: false } : undefined,
  });
  await client.connect();
  // A probe that hits an error must not print a notice storm; errors come back as exceptions.
  client.on('notice', () => {});
  return client;
}

export async function withDb<T>(server: ServerAddress, database: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await connect(server, database);
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

/** PostgreSQL's quoting, for the few statements the harness builds itself (probes, fixtures). */
export { quoteIdent as ident, quoteLiteral as literal } from '../sql/quote.js';
