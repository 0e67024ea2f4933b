// How import writes values in a plan: role attributes, comments, table and function references.
import { ARGUMENT_TYPE } from '../catalog/expanders/common.js';
import type { ImportState } from './state.js';

type RoleState = ImportState['roles'][number];

/**
 * The attributes a role has that differ from what the plan would give it (CREATE ROLE's defaults, with
 * LOGIN already given when `base.login`), as plan keys.
 */
export function roleAttributes(a: RoleState, base: { login: boolean }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (a.login !== base.login) out.login = a.login;
  if (a.superuser) Object.assign(out, { superuser: true, allow_superuser: true });
  if (a.createdb) out.createdb = true;
  if (a.createrole) out.createrole = true;
  if (!a.inherit) out.inherit = false;
  if (a.replication) out.replication = true;
  if (a.bypassrls) out.bypassrls = true;
  if (a.connection_limit !== -1) out.connection_limit = a.connection_limit;
  // 'infinity' is what a role without an expiry gets: deploy.sql leaves it so.
  if (a.valid_until !== null && !a.valid_until.startsWith('infinity')) out.valid_until = a.valid_until;
  return out;
}

/**
 * The `comment` to write: nothing when deploy.sql's own default is already the role's comment, "" for a
 * role without one (COMMENT … IS '' removes a comment; without it deploy.sql would add its default).
 */
export function commentValue(comment: string | null, planName: string): string | undefined {
  if (comment === `Managed by pgrant (plan ${planName})`) return undefined;
  return comment ?? '';
}

/** "schema.name", or {schema, name} when a name holds a dot. */
export function tableRef(schema: string, name: string): string | { schema: string; name: string } {
  return schema.includes('.') || name.includes('.') ? { schema, name } : `${schema}.${name}`;
}

/** "schema.name(types)", or {schema, name, args} where the string form would not read back; undefined if a type cannot be written. */
export function functionRef(schema: string, name: string, types: string): string | { schema: string; name: string; args: string[] } | undefined {
  const args = types === '' ? [] : splitTypes(types);
  if (!args.every((a) => ARGUMENT_TYPE.test(a))) return undefined;
  return /[.()]/.test(schema) || /[.()]/.test(name) ? { schema, name, args } : `${schema}.${name}(${args.join(', ')})`;
}

/** oidvectortypes() output split at commas outside quotes. */
function splitTypes(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  parts.push(current.trim());
  return parts;
}
