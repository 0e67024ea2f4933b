// Objects the harness adds to the test database before deploy, so that probes have something to deny:
// PUBLIC may execute every new function, so a function the plan does not grant on would otherwise be
// allowed to everyone and the EXECUTE probes could never catch a grant too many.
import { ident, type Db } from './db.js';

/** The name of the function the harness creates in each schema in scope. */
export const PROBE_FUNCTION = 'pgrant_probe_function';

/** In each existing schema: a function only its owner (and whoever the plan grants) may execute. */
export async function createProbeFunctions(db: Db, schemas: string[]): Promise<string[]> {
  const existing = await db.query<{ nspname: string; owner: string }>(
    'SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = ANY($1) ORDER BY 1',
    [schemas],
  );
  const made: string[] = [];
  for (const { nspname, owner } of existing.rows) {
    const fn = `${ident(nspname)}.${ident(PROBE_FUNCTION)}()`;
    // Owned by the schema's owner, like the schema's other objects: a managed admin (a member of the
    // owners, not a superuser) can then grant on it when the plan covers every function in the schema.
    await db.query(`CREATE FUNCTION ${fn} RETURNS integer LANGUAGE sql AS 'SELECT 1'; REVOKE EXECUTE ON FUNCTION ${fn} FROM PUBLIC; ALTER FUNCTION ${fn} OWNER TO ${ident(owner)}`);
    made.push(`${nspname}.${PROBE_FUNCTION}()`);
  }
  return made;
}
