// Which roles must exist before a fixture runs, and which ones the fixture creates itself.
//
// A fixture stands for what exists before deploy.sql runs: often a schema owned by the migration role.
// When the plan itself creates that role (`owners: [shop_migrator]` and shop_migrator in the plan), the
// fixture cannot create its schema `AUTHORIZATION shop_migrator` unless the role exists first; when the
// plan only references a role and the fixture creates it, the harness must not create it beforehand.
import type { Model } from '../model/model.js';

const IDENTIFIER = String.raw`"(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*`;

/** An identifier as PostgreSQL reads it: quoted ones as written, bare ones folded to lower case. */
function identifierValue(token: string): string {
  return token.startsWith('"') ? token.slice(1, -1).replace(/""/g, '"') : token.toLowerCase();
}

/** The identifiers a SQL text mentions (a superset is fine: it only decides which roles to create early). */
function identifiersIn(sql: string): Set<string> {
  const withoutComments = sql.replace(/--[^\n]*/g, ' ');
  return new Set([...withoutComments.matchAll(new RegExp(IDENTIFIER, 'g'))].map((m) => identifierValue(m[0])));
}

/** Roles a fixture creates itself: CREATE ROLE / USER / GROUP name. */
export function rolesCreatedIn(sql: string): Set<string> {
  const statement = new RegExp(String.raw`\bCREATE\s+(?:ROLE|USER|GROUP)\s+(${IDENTIFIER})`, 'gi');
  return new Set([...sql.replace(/--[^\n]*/g, ' ').matchAll(statement)].map((m) => identifierValue(m[1]!)));
}

/**
 * Roles the plan creates that must exist before the fixture (the user's, or the one the harness writes
 * when there is none): those it names but does not create.
 */
export function planRolesNeededByFixture(model: Model, fixtureSql: string): string[] {
  const planRoles = model.roles.map((r) => r.name);
  const named = identifiersIn(fixtureSql);
  const created = rolesCreatedIn(fixtureSql);
  return planRoles.filter((r) => named.has(r) && !created.has(r));
}
