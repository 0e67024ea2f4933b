// What `pgrant test` says when something unexpected happens in a phase: a report line with the cause and
// a hint, never a stack trace (the stack is kept for --verbose).

/** The fields of an error from the PostgreSQL client (node-postgres) that help a user. */
interface ServerError {
  message: string;
  code?: string;
  detail?: string;
  hint?: string;
  severity?: string;
}

/** Hints by SQLSTATE (or Node error code) for what usually causes them in a test run. */
const HINTS: Record<string, string> = {
  '42704':
    'an object the fixture or the plan names does not exist yet (e.g. a role the plan itself creates): create it in the fixture, or list it where the plan references it',
  '42P01': 'a table the plan or the fixture names does not exist: load a fixture that creates it (--fixture schema.sql)',
  '3F000': 'a schema the plan or the fixture names does not exist: load a fixture that creates it (--fixture schema.sql)',
  '42710': 'the fixture creates an object that already exists (roles the plan references are created before the fixture runs)',
  '42501': 'a permission the harness needs is missing: with --database-url, connect as a superuser',
  '57P01': 'the server shut down during the run',
  ECONNREFUSED: 'the server is not reachable: check the --database-url host and port, or that it is running',
  ECONNRESET: 'the connection to the server was lost',
};

const GENERIC_HINT = 'run with --verbose for the details; if your plan and fixture are fine, this is a bug in pgrant: please report it';

/** One report entry for an unexpected error: cause (PostgreSQL's message with its code) and hint. */
export function describeFailure(error: unknown): { detail: string; stack?: string } {
  if (!(error instanceof Error)) return { detail: `${String(error)}\nhint: ${GENERIC_HINT}` };
  const e = error as Error & ServerError;
  const lines = [e.code && /^[0-9A-Z]{5}$/.test(e.code) ? `${e.severity ?? 'ERROR'}: ${e.message} (SQLSTATE ${e.code})` : e.message];
  if (e.detail) lines.push(`DETAIL: ${e.detail}`);
  if (e.hint) lines.push(`HINT: ${e.hint}`);
  lines.push(`hint: ${(e.code && HINTS[e.code]) ?? GENERIC_HINT}`);
  return { detail: lines.join('\n'), stack: e.stack };
}
