// The access-matrix oracle: what a person wrote down, from the pattern docs, that each role may and may
// not do — checked by acting as the role on a real server. Nothing here reads the plan's model, its
// intent or the harness's probes: a wrong pattern intent cannot make this agree with itself.
//
// A matrix (YAML):
//   after_deploy: SQL run by the superuser after deploy.sql (e.g. an owner creating a table later)
//   roles:
//     <role>:
//       settings: {app.current_user_id: "1"}   # set_config() before acting (e.g. for policies)
//       allowed: [ACTION, …]
//       denied: [ACTION, …]
//       rows: {schema.table: 2}                # rows the role sees (row-level security)
//       exists: false                          # the role is gone (drop-role)
// ACTION is one of (names as schema.name; "@15+" at the end = only checked on PostgreSQL 15 and later):
//   SELECT|INSERT|UPDATE|DELETE|TRUNCATE schema.table   SELECT|UPDATE schema.table(column)
//   USAGE|CREATE schema   NEXTVAL schema.sequence   EXECUTE schema.function(type, …)
//   CONNECT database (a login over TCP)   SET ROLE role   ADMIN role (may grant it)   MAINTAIN schema.table (17+)
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { connect, type Db } from '../../src/harness/db.js';
import { runPsql } from '../../src/harness/psql.js';
import type { ServerAddress } from '../../src/harness/server.js';
import { quoteIdent, quoteLiteral } from '../../src/sql/quote.js';

export interface RoleMatrix {
  /** false: the plan removes the role (drop-role); nothing else is checked for it. */
  exists?: boolean;
  settings?: Record<string, string>;
  allowed?: string[];
  denied?: string[];
  rows?: Record<string, number>;
}

export interface AccessMatrix {
  /** SQL run as the superuser after deploy.sql, before the checks: objects created later (default privileges). */
  after_deploy?: string;
  roles: Record<string, RoleMatrix>;
}

export interface AccessCheck {
  role: string;
  action: string;
  expected: 'allowed' | 'denied' | string;
  actual: 'allowed' | 'denied' | string;
  /** PostgreSQL's message, when there was one. */
  message?: string;
}

/** A database the checks run in, and how to log in as the plan's login roles (for CONNECT). */
export interface AccessTarget {
  server: ServerAddress;
  major: number;
  database: string;
  passwords: Map<string, string>;
}

export function readMatrix(file: string): AccessMatrix {
  const m = parse(readFileSync(file, 'utf8')) as AccessMatrix;
  if (!m?.roles || typeof m.roles !== 'object') throw new Error(`${file}: no "roles:" mapping`);
  return m;
}

/** `schema.name` or `schema.name(column)` → quoted SQL and the column. */
function relation(text: string): { sql: string; column?: string } {
  const m = /^([^.()]+)\.([^.()]+)(?:\(([^()]+)\))?$/.exec(text.trim());
  if (!m) throw new Error(`not schema.name or schema.name(column): ${text}`);
  return { sql: `${quoteIdent(m[1]!)}.${quoteIdent(m[2]!)}`, column: m[3] };
}

/** `schema.function(type, …)` → a call with a typed NULL per argument. */
function routineCall(text: string): string {
  const m = /^([^.()]+)\.([^.()]+)\(([^()]*)\)$/.exec(text.trim());
  if (!m) throw new Error(`not schema.function(type, …): ${text}`);
  const args = m[3]!.split(',').map((t) => t.trim()).filter(Boolean);
  return `${quoteIdent(m[1]!)}.${quoteIdent(m[2]!)}(${args.map((t) => `NULL::${t}`).join(', ')})`;
}

/** The `@15+` suffix: the first major an action is checked on. */
function since(action: string): { action: string; from: number } {
  const m = /^(.*?)\s*@(\d+)\+$/.exec(action);
  return m ? { action: m[1]!, from: Number(m[2]) } : { action, from: 0 };
}

interface Statement {
  sql: string;
  /** SQLSTATEs that only come after the privilege checks passed. */
  after?: string[];
  /** A routine call: an error from inside its body (it has a context) means EXECUTE passed. */
  routine?: boolean;
  /** A WARNING that means "skipped for lack of privilege" (ANALYZE). */
  deniedByWarning?: RegExp;
}

async function firstColumn(db: Db, rel: string): Promise<string> {
  const r = await db.query<{ attname: string }>(
    'SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum LIMIT 1',
    [rel],
  );
  if (!r.rows[0]) throw new Error(`${rel} has no column`);
  return r.rows[0].attname;
}

/** The statement that exercises one action (written here, independently of the harness's probes). */
async function statementFor(db: Db, action: string): Promise<Statement> {
  const m = /^(SELECT|INSERT|UPDATE|DELETE|TRUNCATE|USAGE|CREATE|NEXTVAL|EXECUTE|SET ROLE|ADMIN|MAINTAIN)\s+(.+)$/.exec(action);
  if (!m) throw new Error(`unknown action: ${action}`);
  const [, verb, object] = m as unknown as [string, string, string];
  switch (verb) {
    case 'SELECT': {
      const r = relation(object);
      return { sql: `SELECT ${r.column ? quoteIdent(r.column) : '*'} FROM ${r.sql} LIMIT 0` };
    }
    case 'INSERT': {
      const r = relation(object);
      const column = r.column ?? (await firstColumn(db, r.sql));
      return { sql: `INSERT INTO ${r.sql} (${quoteIdent(column)}) SELECT NULL WHERE false` };
    }
    case 'UPDATE': {
      const r = relation(object);
      const column = r.column ?? (await firstColumn(db, r.sql));
      return { sql: `UPDATE ${r.sql} SET ${quoteIdent(column)} = DEFAULT WHERE false` };
    }
    case 'DELETE':
      return { sql: `DELETE FROM ${relation(object).sql} WHERE false` };
    case 'TRUNCATE':
      return { sql: `TRUNCATE ${relation(object).sql}`, after: ['0A000'] };
    case 'USAGE':
      // Looking a name up in a schema needs USAGE; the name does not exist, so "allowed" is exactly 42P01.
      return { sql: `SELECT ${quoteLiteral(`${quoteIdent(object)}.pgrant_no_such_relation`)}::regclass`, after: ['42P01'] };
    case 'CREATE':
      return { sql: `CREATE TABLE ${quoteIdent(object)}.pgrant_access_created (id integer)` };
    case 'NEXTVAL':
      return { sql: `SELECT nextval(${quoteLiteral(relation(object).sql)}::regclass)` };
    case 'EXECUTE':
      return { sql: `SELECT ${routineCall(object)}`, routine: true };
    case 'SET ROLE':
      return { sql: `SET ROLE ${quoteIdent(object)}` };
    case 'ADMIN':
      return { sql: `GRANT ${quoteIdent(object)} TO pgrant_access_member` };
    case 'MAINTAIN':
      return { sql: `ANALYZE ${relation(object).sql}`, deniedByWarning: /permission denied to analyze/ };
  }
  throw new Error(`unknown action: ${action}`);
}

type PgError = { code?: string; message: string; where?: string };

/** Strictly: denied = insufficient_privilege (or the skip warning); allowed = success or a listed error; else the error. */
function outcome(stmt: Statement, error: PgError | undefined, warnings: string[]): string {
  if (!error) return stmt.deniedByWarning && warnings.some((w) => stmt.deniedByWarning!.test(w)) ? 'denied' : 'allowed';
  if (stmt.routine && error.where) return 'allowed';
  if (error.code === '42501') return 'denied';
  if (error.code && stmt.after?.includes(error.code)) return 'allowed';
  return `error ${error.code ?? '?'}`;
}

/** Acts as `role` (SET SESSION AUTHORIZATION: SET ROLE is then checked against the role, not the superuser). */
async function actAs(db: Db, role: string, settings: Record<string, string> | undefined, sql: string): Promise<{ error?: PgError; rows?: unknown[] }> {
  await db.query('SAVEPOINT pgrant_access');
  try {
    await db.query(`SET SESSION AUTHORIZATION ${quoteIdent(role)}`);
    for (const [name, value] of Object.entries(settings ?? {})) await db.query('SELECT set_config($1, $2, true)', [name, value]);
    const r = await db.query(sql);
    return { rows: r.rows };
  } catch (e) {
    return { error: e as PgError };
  } finally {
    await db.query('ROLLBACK TO SAVEPOINT pgrant_access');
    await db.query('RESET SESSION AUTHORIZATION');
  }
}

/** A login over TCP with the role's password: CONNECT is what lets it in (or refuses it). */
async function tryConnect(target: AccessTarget, role: string, database: string): Promise<{ actual: string; message?: string }> {
  const password = target.passwords.get(role);
  if (password === undefined) throw new Error(`CONNECT ${database} as ${role}: the role has no {psql: …} password in the plan, so the check cannot log in`);
  const r = await runPsql(target.server, { database, command: 'SELECT 1', login: { user: role, password } });
  if (r.code === 0) return { actual: 'allowed' };
  if (/permission denied for database/.test(r.stderr)) return { actual: 'denied', message: r.stderr.trim() };
  return { actual: 'error', message: r.stderr.trim() };
}

/** Runs every row of the matrix that applies to this major; returns each check with its outcome. */
export async function checkMatrix(target: AccessTarget, matrix: AccessMatrix): Promise<AccessCheck[]> {
  const db = await connect(target.server, target.database);
  const warnings: string[] = [];
  db.on('notice', (n: { message?: string }) => warnings.push(n.message ?? ''));
  const checks: AccessCheck[] = [];
  try {
    await db.query('BEGIN');
    await db.query("SET LOCAL statement_timeout = '10s'");
    // ADMIN checks grant the role to this throwaway role; the transaction is rolled back.
    await db.query('CREATE ROLE pgrant_access_member NOLOGIN');
    for (const [role, m] of Object.entries(matrix.roles)) {
      const exists = (await db.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount === 1;
      if (m.exists === false || !exists) {
        checks.push({ role, action: 'the role exists', expected: String(m.exists !== false), actual: String(exists) });
        continue;
      }
      const wanted = [...(m.allowed ?? []).map((a) => [a, 'allowed'] as const), ...(m.denied ?? []).map((a) => [a, 'denied'] as const)];
      for (const [raw, expected] of wanted) {
        const { action, from } = since(raw);
        if (target.major < from || (action.startsWith('MAINTAIN ') && target.major < 17)) continue;
        if (action.startsWith('CONNECT ')) {
          const r = await tryConnect(target, role, action.slice('CONNECT '.length));
          checks.push({ role, action: raw, expected, actual: r.actual, message: r.message });
          continue;
        }
        const stmt = await statementFor(db, action);
        warnings.length = 0;
        const r = await actAs(db, role, m.settings, stmt.sql);
        checks.push({ role, action: raw, expected, actual: outcome(stmt, r.error, warnings), message: r.error?.message });
      }
      for (const [table, count] of Object.entries(m.rows ?? {})) {
        const r = await actAs(db, role, m.settings, `SELECT count(*)::int AS n FROM ${relation(table).sql}`);
        const seen = r.error ? `error: ${r.error.message}` : String((r.rows![0] as { n: number }).n);
        checks.push({ role, action: `rows visible in ${table}`, expected: String(count), actual: seen });
      }
    }
  } finally {
    await db.query('ROLLBACK').catch(() => {});
    await db.end();
  }
  return checks;
}
