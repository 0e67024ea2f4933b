// The access state pgrant import reads: audit.sql's JSON, from a file (air-gapped) or from a live server.
// Both paths run the same query (audit.sql), so they give the same plan.
import { readFile } from 'node:fs/promises';
import { UserError } from '../diagnostics.js';
import { auditServer } from '../audit/audit.js';
import { checkAuditState, type AuditState } from '../audit/drift.js';

/** audit.sql's JSON with the facts import needs beyond what `pgrant diff` reads. */
export interface ImportState extends AuditState {
  server_version: string;
  bootstrap_superuser?: string;
  /** `settings`: ALTER ROLE … IN DATABASE (this one) SET; `settings_all_databases`: ALTER ROLE … SET. */
  roles: (AuditState['roles'][number] & { comment: string | null; settings: string[] | null; settings_all_databases: string[] | null })[];
  memberships: (AuditState['memberships'][number] & { grantor: string | null })[];
  privileges: (AuditState['privileges'][number] & { grantor: string })[];
  row_security: {
    schema: string;
    table: string;
    enabled: boolean;
    forced: boolean;
    policies: { name: string; permissive: boolean; command: string; roles: string[]; using: string | null; with_check: string | null }[];
  }[];
  /** What global default privileges take away from PostgreSQL's defaults. */
  default_privileges_revoked: { owner: string; objects: string; grantee: string; privilege: string }[];
  large_objects?: { oid: number; owner: string; acl: string[] }[];
  type_acls?: { schema: string; name: string; owner: string; acl: string[] }[];
  /** The rows of pgrant's bookkeeping table pgrant.managed_role, when the auditing role may read it (absent from older audits). */
  managed_roles?: { plan: string; role: string; scope: unknown }[] | null;
}

/** Reads the state audit.sql printed into `file`. */
export async function readStateFile(file: string): Promise<ImportState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserError({ level: 'error', path: '', message: `${file} is not JSON`, hint: 'run audit.sql with psql -X -q (quiet, so only the JSON is printed)' });
  }
  return checkImportState(checkAuditState(parsed, file), file);
}

/** Runs audit.sql on the server at `url` (in `database`, when given) and returns its state. */
export async function readLiveState(url: string, database?: string): Promise<ImportState> {
  return checkImportState(await auditServer(database ? withDatabase(url, database) : url), 'the audit');
}

/** The URL with its database replaced (--database, for a URL that names none or another). */
export function withDatabase(url: string, database: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError({ level: 'error', path: '', message: `--database-url is not a URL: ${url}`, hint: 'postgresql://user@host:5432/database' });
  }
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** An older audit.sql lacks what import needs (grantors, comments, the tables owning sequences, settings in every database, global default revokes): say to use the current one. */
function checkImportState(state: AuditState, source: string): ImportState {
  const s = state as ImportState;
  const current = typeof s.server_version === 'string' && s.privileges.every((p) => 'grantor' in p) && s.roles.every((r) => 'comment' in r) && Array.isArray(s.large_objects) && s.objects.every((o) => o.kind !== 'sequence' || 'owned_by_table' in o || 'owned_by' in o)
    && Array.isArray(s.default_privileges_revoked) && s.roles.every((r) => 'settings_all_databases' in r);
  if (!current) {
    throw new UserError({ level: 'error', path: '', message: `${source} was printed by an older audit.sql, which lacks facts import needs`, hint: 'write audit.sql again with this pgrant (pgrant audit) and run it again' });
  }
  return s;
}
