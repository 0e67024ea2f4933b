// The resolved access model: what the plan means, independent of how it is rendered.
import type { PathSegment, SourceFile } from '../plan/source.js';
import type { RoleFlag } from '../sql/privileges.js';
import type { TeamUse } from '../catalog/team-expand.js';

/** Where a model element came from in the plan, for messages. */
export interface Origin {
  source: SourceFile;
  path: PathSegment[];
  /** e.g. `readonly patterns[0]` */
  label: string;
  /** The catalog pattern that produced the element (absent for plan-level keys). */
  pattern?: string;
  /** The team patterns the element came through, outermost first (absent or empty: the plan states it). */
  via?: readonly TeamUse[];
}

export type RoleAttributes = Record<RoleFlag, boolean> & {
  connectionLimit: number;
  validUntil: string | null;
};

export type AttributeName = keyof RoleAttributes;

export type Password =
  | { kind: 'psql'; variable: string }
  /**
   * A SCRAM-SHA-256 verifier; `from` records how the plan gave it (for lint and ACCESS.md). `plaintext`
   * is kept in memory only, for `pgrant test` to log in with; no template can reach it.
   */
  | { kind: 'verifier'; verifier: string; from: 'env' | 'plain' | 'scram'; plaintext?: string };

export interface Role {
  name: string;
  attrs: RoleAttributes;
  password: Password | null;
  comment: string | null;
  /** The plan acknowledges a superuser on purpose (lint). */
  allowSuperuser: boolean;
  /** The role's previous name: renamed (ALTER ROLE … RENAME TO) rather than created. */
  renamedFrom: string | null;
  origins: Origin[];
}

export interface Membership {
  group: string;
  member: string;
  admin: boolean;
  /** PostgreSQL 16+: per-membership INHERIT / SET; null means PostgreSQL's default. */
  inherit: boolean | null;
  set: boolean | null;
  origin: Origin;
}

export type Target =
  | { kind: 'table'; schema: string; name: string }
  | { kind: 'all-tables'; schema: string }
  | { kind: 'columns'; schema: string; table: string; columns: string[] }
  | { kind: 'sequence'; schema: string; name: string }
  | { kind: 'all-sequences'; schema: string }
  /** The sequences owned by the table's columns (serial and identity) when deploy.sql runs, found through pg_depend. */
  | { kind: 'owned-sequences'; schema: string; table: string }
  | { kind: 'function'; schema: string; name: string; args: string[]; routine: 'FUNCTION' | 'PROCEDURE' | 'ROUTINE' }
  | { kind: 'all-functions'; schema: string; routine: 'FUNCTION' | 'PROCEDURE' }
  | { kind: 'schema'; name: string }
  | { kind: 'database'; name: string };

/** The pseudo-role every role belongs to. No role can be created with this name. */
export const PUBLIC = 'public';

export interface Grant {
  /** A role name, or PUBLIC. */
  grantee: string;
  target: Target;
  privileges: string[];
  grantOption: boolean;
  origin: Origin;
}

export type DefaultObjects = 'tables' | 'sequences' | 'functions' | 'large objects';

export interface DefaultPrivilege {
  /** The role whose future objects get the privileges; null = the role that runs deploy.sql. */
  owner: string | null;
  /** null for LARGE OBJECTS, which have no schema. */
  schema: string | null;
  objects: DefaultObjects;
  grantee: string;
  privileges: string[];
  grantOption: boolean;
  origin: Origin;
}

export interface Schema {
  name: string;
  /** When the plan creates the schema: its owner (null = the role that runs deploy.sql). */
  create: { owner: string | null } | null;
  origin: Origin;
}

export interface Database {
  name: string;
  owner: string | null;
  create: boolean;
  revokePublic: boolean;
  hardenPublicSchema: boolean;
  connect: string[];
  origin: Origin;
}

export interface Policy {
  schema: string;
  table: string;
  name: string;
  command: 'ALL' | 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
  roles: string[];
  using: string | null;
  withCheck: string | null;
  permissive: boolean;
  origin: Origin;
}

export interface RowSecurity {
  schema: string;
  table: string;
  force: boolean;
  policies: Policy[];
  /** With `mode: additive`, policies on the table that the plan does not name are left alone. */
  additive: boolean;
  origin: Origin;
}

export interface DropRole {
  name: string;
  reassignTo: string;
  origin: Origin;
}

export interface Revoke {
  /** A role name, or PUBLIC. */
  grantee: string;
  target: Target;
  privileges: string[];
  grantOptionOnly: boolean;
  cascade: boolean;
  origin: Origin;
}

/** An acceptance case from the plan's `test.cases`: run by `pgrant test`, never rendered. */
export interface TestCase {
  as: string;
  sql: string;
  expect: { ok: boolean } | { error: string } | { returns: string };
  origin: Origin;
}

/** Objects whose privileges the plan manages: managed roles' privileges here are authoritative. */
export interface Scope {
  schemas: string[];
  databases: string[];
}

export interface Model {
  plan: { name: string; file: string; postgres: number; database: string; reassignTo: string | null };
  roles: Role[];
  /** Roles the plan references but does not create (owners, readers, predefined roles …). */
  external: string[];
  schemas: Schema[];
  databases: Database[];
  memberships: Membership[];
  grants: Grant[];
  defaults: DefaultPrivilege[];
  rowSecurity: RowSecurity[];
  drops: DropRole[];
  revokes: Revoke[];
  /** Privileges PUBLIC must not hold (database `revoke_public`, `harden_public_schema`). */
  publicRevokes: { target: Target; privileges: string[]; origin: Origin }[];
  /** Tables and functions the plan names: deploy.sql checks they exist before changing anything. */
  requiredTables: { schema: string; name: string }[];
  scope: Scope;
  /** Roles that own the objects default privileges are set for (null = the deploying role). */
  owners: (string | null)[];
  tests: TestCase[];
  /** Patterns that opted out of authoritative revokes (`mode: additive`). */
  additiveRoles: string[];
}
