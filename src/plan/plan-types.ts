// The named types plans are written in (docs/plan-format.md, "Types").
import { defineType, resolveType, type Field, type TypeDesc } from './types.js';
import { ALL_PRIVILEGE_WORDS } from '../sql/privileges.js';

const name = (purpose: Extract<TypeDesc, { kind: 'name' }>['purpose']): TypeDesc => ({ kind: 'name', purpose });
const ref = (n: string): TypeDesc => ({ kind: 'ref', name: n });
const list = (of: TypeDesc): TypeDesc => ({ kind: 'list', of });
const bool = (doc: string, def?: boolean): Field => ({ type: { kind: 'boolean' }, doc, default: def });

/** A psql variable name: what `psql -v NAME=value` accepts and `:'NAME'` interpolates. */
export const PSQL_VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An environment variable name. */
export const ENV_VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A SCRAM-SHA-256 verifier as stored in pg_authid.rolpassword. */
export const SCRAM_VERIFIER = /^SCRAM-SHA-256\$[1-9][0-9]*:[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/;

/** `valid_until`: `infinity` or an ISO-like date/time, optionally with a zone. */
export const TIMESTAMP = /^(infinity|\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?( ?(Z|UTC|[+-]\d{2}(:?\d{2})?))?)$/;

/** The folder name of a plan's output. */
export const PLAN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export const ROLE_ATTRIBUTE_FIELDS: Record<string, Field> = {
  login: bool('may log in (LOGIN)'),
  superuser: bool('SUPERUSER: bypasses every privilege check; lint refuses it unless allow_superuser is true'),
  allow_superuser: bool('acknowledge a superuser on purpose (silences the superuser lint error)'),
  createdb: bool('may create databases (CREATEDB)'),
  createrole: bool('may create, alter and drop roles (CREATEROLE)'),
  inherit: bool('uses the privileges of the roles it is a member of without SET ROLE (INHERIT)'),
  replication: bool('may start streaming replication (REPLICATION)'),
  bypassrls: bool('bypasses row-level security (BYPASSRLS)'),
  connection_limit: { type: { kind: 'integer', min: -1 }, doc: 'maximum concurrent connections; -1 = unlimited' },
  valid_until: { type: ref('timestamp'), doc: "the password's expiry, written as given (server time zone unless it carries one)" },
  password: { type: ref('password'), doc: 'the password (see "password")' },
  comment: { type: { kind: 'string' }, doc: 'COMMENT ON ROLE' },
  renamed_from: { type: { kind: 'ref', name: 'role' }, doc: 'the name this role had before: deploy.sql and migrate.sql rename it (ALTER ROLE … RENAME TO) instead of creating a new one' },
};

export function defineCommonTypes(): void {
  defineType('name', name('object'));
  defineType('role', name('role'));
  defineType('role-name', name('create-role'));
  defineType('schema', name('schema'));
  defineType('column', name('column'));
  defineType('database-name', name('database'));
  defineType('timestamp', {
    kind: 'string',
    pattern: TIMESTAMP,
    patternDoc: 'a timestamp such as 2026-12-31, "2026-12-31 23:59:59+00" or infinity',
  });
  defineType('expression', { kind: 'string', doc: 'an SQL expression' });
  defineType('psql-variable', { kind: 'string', pattern: PSQL_VARIABLE, patternDoc: 'a psql variable name (letters, digits, underscore)' });
  defineType('env-variable', { kind: 'string', pattern: ENV_VARIABLE, patternDoc: 'an environment variable name' });

  defineType('password', {
    kind: 'union',
    doc: 'a password: {psql: VAR}, {env: VAR}, {scram: "SCRAM-SHA-256$…"} or a string',
    options: [
      {
        kind: 'object',
        title: 'a password source',
        oneOf: ['psql', 'env', 'scram'],
        fields: {
          psql: { type: ref('psql-variable'), doc: 'read at run time from the psql variable (psql -v VAR=…)' },
          env: { type: ref('env-variable'), doc: 'read at render time from the environment and written as a SCRAM verifier' },
          scram: {
            type: { kind: 'string', pattern: SCRAM_VERIFIER, patternDoc: 'a SCRAM-SHA-256 verifier (SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>)' },
            doc: 'a SCRAM-SHA-256 verifier, written as given',
          },
        },
      },
      { kind: 'string', pattern: /^[\s\S]+$/, patternDoc: 'a non-empty password (PostgreSQL takes an empty one as none)', doc: 'a plain password (written only as a SCRAM verifier; lint warns)' },
    ],
  });

  defineType('login', {
    kind: 'object',
    title: 'a login (a name, or a mapping with name and role attributes)',
    shorthand: { into: 'name' },
    fields: {
      name: { type: ref('role-name'), required: true, doc: 'the login role to create' },
      ...Object.fromEntries(Object.entries(ROLE_ATTRIBUTE_FIELDS).filter(([k]) => k !== 'login')),
    },
  });

  defineType('membership', {
    kind: 'object',
    title: 'a membership (a role name, or {role, admin, inherit, set})',
    shorthand: { into: 'role' },
    fields: {
      role: { type: ref('role'), required: true, doc: 'the role to be a member of' },
      admin: bool('WITH ADMIN OPTION: may grant this role to others', false),
      inherit: { type: { kind: 'boolean' }, doc: 'uses the role’s privileges without SET ROLE (PostgreSQL 16+)', since: 16 },
      set: { type: { kind: 'boolean' }, doc: 'may SET ROLE to it (PostgreSQL 16+)', since: 16 },
    },
  });

  defineType('table', {
    kind: 'union',
    doc: 'a table: "schema.table", "table", or {schema, name}',
    options: [
      {
        kind: 'string',
        pattern: /^[^.]+(\.[^.]+)?$/,
        patternDoc: 'a table name, "schema.table" or "table" (for a name containing a dot, write {schema: s, name: t})',
      },
      {
        kind: 'object',
        title: 'a table {schema, name}',
        fields: {
          schema: { type: ref('schema'), doc: "the table's schema" },
          name: { type: name('table'), required: true, doc: 'the table name' },
        },
      },
    ],
  });

  defineType('function', {
    kind: 'union',
    doc: 'a function: "schema.name(argtype, …)" or {schema, name, args}',
    options: [
      {
        kind: 'string',
        pattern: /^([^.()]+\.)?[^.()]+\(.*\)$/,
        patternDoc: 'a function signature such as "public.refresh(integer)" (with its argument types in parentheses)',
      },
      {
        kind: 'object',
        title: 'a function {schema, name, args}',
        fields: {
          schema: { type: ref('schema'), doc: "the function's schema" },
          name: { type: name('function'), required: true, doc: 'the function name' },
          args: { type: list({ kind: 'string' }), default: [], doc: 'argument types, e.g. [integer, text]' },
        },
      },
    ],
  });

  defineType('columns', {
    kind: 'map',
    key: { kind: 'string' },
    value: { kind: 'list', of: ref('column'), minItems: 1 },
  });

  defineType('privilege', {
    kind: 'string',
    caseless: true,
    enum: [...ALL_PRIVILEGE_WORDS, 'TEMP', 'ALL', 'ALL PRIVILEGES'],
  });

  defineType('future', {
    kind: 'object',
    title: 'a default privilege {on, privileges, schemas, owner}',
    fields: {
      on: { type: { kind: 'string', enum: ['tables', 'sequences', 'functions', 'large_objects'] }, required: true, doc: 'kind of objects created later (large_objects: PostgreSQL 18+)' },
      privileges: { type: { kind: 'list', of: ref('privilege'), minItems: 1 }, required: true, doc: 'privileges they get' },
      schemas: { type: list(ref('schema')), doc: 'in these schemas (default: the pattern\'s owners\' objects in any schema); not for large_objects' },
      owners: { type: list(ref('role')), doc: 'created by these roles (default: the pattern\'s owners, else the role that runs deploy.sql)' },
      with_grant_option: bool('WITH GRANT OPTION', false),
    },
  });

  defineType('grant', {
    kind: 'object',
    title: 'a grant {privileges, <one object kind>, with_grant_option}',
    oneOf: [
      'tables',
      'all_tables_in',
      'columns',
      'sequences',
      'all_sequences_in',
      'functions',
      'procedures',
      'all_functions_in',
      'all_procedures_in',
      'schemas',
      'databases',
    ],
    fields: {
      privileges: { type: { kind: 'list', of: ref('privilege'), minItems: 1 }, required: true, doc: 'privileges, or [ALL]; validated against the object kind' },
      tables: { type: list(ref('table')), doc: 'tables (and views)' },
      all_tables_in: { type: list(ref('schema')), doc: 'every table in these schemas (existing ones; see default privileges for future ones)' },
      columns: { type: ref('columns'), doc: 'columns per table: {table: [column, …]}' },
      sequences: { type: list(ref('table')), doc: 'sequences' },
      all_sequences_in: { type: list(ref('schema')), doc: 'every sequence in these schemas' },
      functions: { type: list(ref('function')), doc: 'functions, with argument types' },
      procedures: { type: list(ref('function')), doc: 'procedures, with argument types' },
      all_functions_in: { type: list(ref('schema')), doc: 'every function in these schemas' },
      all_procedures_in: { type: list(ref('schema')), doc: 'every procedure in these schemas' },
      schemas: { type: list(ref('schema')), doc: 'schemas (USAGE, CREATE)' },
      databases: { type: list(ref('database-name')), doc: 'databases (CONNECT, CREATE, TEMPORARY)' },
      with_grant_option: bool('WITH GRANT OPTION: the grantee may grant these privileges to others (lint warns)', false),
      future: bool('for all_*_in grants: also ALTER DEFAULT PRIVILEGES FOR ROLE the owners, so objects created later get them', true),
    },
  });

  defineType('revoke', {
    kind: 'object',
    title: 'a revoke {privileges, <one object kind>, from, cascade}',
    oneOf: resolveGrantKinds(),
    fields: {
      ...grantObjectFields(),
      from: { type: { kind: 'list', of: ref('role'), minItems: 1 }, required: true, doc: 'roles (or PUBLIC) to revoke from' },
      grant_option_only: bool('REVOKE GRANT OPTION FOR: keep the privileges, remove only the right to grant them', false),
      cascade: bool('CASCADE: also revoke what the roles granted onward (else RESTRICT: fail if they did)', false),
    },
  });

  defineType('team', {
    kind: 'object',
    title: 'a team {role, inherits, grants}',
    shorthand: { into: 'role' },
    fields: {
      role: { type: ref('role-name'), required: true, doc: 'the team: a NOLOGIN group role' },
      renamed_from: { type: ref('role'), doc: 'the name this team had before (renamed, not recreated)' },
      inherits: { type: list(ref('role')), default: [], doc: 'teams (or other roles) this team is a member of: it can do what they can' },
      grants: { type: list(ref('grant')), default: [], doc: "the team's own privileges" },
      comment: { type: { kind: 'string' }, doc: 'COMMENT ON ROLE' },
    },
  });

  defineType('team-member', {
    kind: 'object',
    title: 'a team member (a login with `teams`)',
    fields: {
      ...(resolveObject('login').fields),
      teams: { type: { kind: 'list', of: ref('role'), minItems: 1 }, required: true, doc: 'the teams this login joins' },
    },
  });

  defineType('policy', {
    kind: 'object',
    title: 'a policy {name, command, roles, using, with_check, permissive}',
    fields: {
      name: { type: name('policy'), required: true, doc: 'the policy name (unique per table)' },
      command: { type: { kind: 'string', enum: ['ALL', 'SELECT', 'INSERT', 'UPDATE', 'DELETE'], caseless: true }, default: 'ALL', doc: 'the command it applies to' },
      roles: { type: list(ref('role')), default: ['public'], doc: 'roles it applies to (default PUBLIC: every role)' },
      using: { type: ref('expression'), doc: 'which existing rows are visible / affected: one SQL boolean expression' },
      with_check: { type: ref('expression'), doc: 'which new rows may be written: one SQL boolean expression' },
      permissive: bool('true: PERMISSIVE (policies are OR-ed); false: RESTRICTIVE (AND-ed with the permissive ones)', true),
    },
  });

  defineType('project-accounts', {
    kind: 'object',
    title: 'business accounts {readwrite, readonly}',
    fields: {
      readwrite: {
        type: { kind: 'union', doc: 'a login, or false for none', options: [{ kind: 'boolean' }, ref('login')] },
        doc: 'the login in the read-write role (default <project>_readwrite; false: none)',
      },
      readonly: {
        type: { kind: 'union', doc: 'a login, or false for none', options: [{ kind: 'boolean' }, ref('login')] },
        doc: 'the login in the read-only role (default <project>_readonly; false: none)',
      },
    },
  });

  defineType('role-definition', {
    kind: 'object',
    title: 'a role definition {name, attributes, member_of, grants}',
    shorthand: { into: 'name' },
    fields: {
      name: { type: ref('role-name'), required: true, doc: 'the role to create or converge' },
      ...ROLE_ATTRIBUTE_FIELDS,
      member_of: { type: list(ref('membership')), default: [], doc: 'roles it is a member of, with ADMIN / INHERIT / SET options' },
      grants: { type: list(ref('grant')), default: [], doc: 'privileges granted to it' },
      default_privileges: { type: list(ref('future')), default: [], doc: 'default privileges for objects created later' },
    },
  });
}

/** The object keys of a grant, shared by revokes. */
function grantObjectFields(): Record<string, Field> {
  const grant = resolveObject('grant');
  const { with_grant_option: _g, future: _f, ...rest } = grant.fields;
  return rest;
}

function resolveGrantKinds(): readonly string[] {
  return resolveObject('grant').oneOf ?? [];
}

function resolveObject(typeName: string): Extract<TypeDesc, { kind: 'object' }> {
  const t = resolveType({ kind: 'ref', name: typeName });
  if (t.kind !== 'object') throw new Error(`${typeName} is not an object type`);
  return t;
}

// Registered when this module is first imported, before any plan or pattern file is validated.
defineCommonTypes();
