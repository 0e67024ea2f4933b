// What the live database holds in the plan's scope: the objects probes act on, with their owners and
// the privileges PUBLIC has on them.
import { ident, type Db } from './db.js';

export interface ColumnFact {
  name: string;
  attnum: number;
  /** pg_attribute.attidentity: 'a' GENERATED ALWAYS AS IDENTITY, 'd' BY DEFAULT, '' none. */
  identity: string;
  /** A generated column (GENERATED ALWAYS AS (…) STORED): only DEFAULT may be written to it. */
  generated: boolean;
}

export interface TableFact {
  schema: string;
  name: string;
  /** pg_class.relkind */
  relkind: string;
  owner: string;
  columns: ColumnFact[];
  /** Sequences that INSERT … DEFAULT VALUES calls nextval() on (serial columns), quoted as pgrant quotes: "schema"."name". */
  serialSequences: string[];
  /** Privileges PUBLIC holds on the table (from its ACL). */
  publicPrivileges: string[];
  /** Null for tables that existed when deploy.sql ran; else the role that created it afterwards. */
  createdAfterDeployBy: string | null;
  /** Row-level security is enabled: its policies' expressions run after the privilege checks. */
  rowSecurity: boolean;
}

export interface SequenceFact {
  schema: string;
  name: string;
  owner: string;
  /** The table ("schema.table") whose serial or identity column owns the sequence, if any. */
  ownedBy: string | null;
  publicPrivileges: string[];
  createdAfterDeployBy: string | null;
}

export interface SchemaFact {
  name: string;
  owner: string;
  publicPrivileges: string[];
}

export interface FunctionFact {
  schema: string;
  name: string;
  /** 'f' function, 'p' procedure (pg_proc.prokind). */
  kind: string;
  /** The argument types as format_type() spells them, e.g. ['integer', 'text']. */
  argTypes: string[];
  owner: string;
  publicPrivileges: string[];
}

export interface Facts {
  schemas: SchemaFact[];
  tables: TableFact[];
  sequences: SequenceFact[];
  functions: FunctionFact[];
  /** The owner of the database the probes run in (VACUUM and ANALYZE are allowed to it). */
  databaseOwner: string;
}

/** Reads the objects in `schemas`; tables named in `after` were created after deploy by the given role. */
export async function readFacts(db: Db, schemas: string[], after: Map<string, string>): Promise<Facts> {
  const schemaRows = await db.query<{ name: string; owner: string; public: string[] }>(
    `SELECT n.nspname AS name, pg_get_userbyid(n.nspowner) AS owner,
            ARRAY(SELECT a.privilege_type FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a WHERE a.grantee = 0) AS public
     FROM pg_namespace n WHERE n.nspname = ANY($1) ORDER BY 1`,
    [schemas],
  );
  const relRows = await db.query<{ schema: string; name: string; relkind: string; owner: string; public: string[]; columns: ColumnFact[]; serials: { schema: string; name: string }[]; owned_by: string | null; rls: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind, pg_get_userbyid(c.relowner) AS owner, c.relrowsecurity AS rls,
            ARRAY(SELECT a.privilege_type FROM aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a WHERE a.grantee = 0) AS public,
            coalesce((SELECT json_agg(json_build_object('name', a.attname, 'attnum', a.attnum, 'identity', a.attidentity, 'generated', a.attgenerated <> '') ORDER BY a.attnum)
                      FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns,
            coalesce((SELECT json_agg(json_build_object('schema', sn.nspname, 'name', s.relname)) FROM pg_depend d
                  JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
                  JOIN pg_namespace sn ON sn.oid = s.relnamespace
                  WHERE d.refobjid = c.oid AND d.classid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype = 'a'), '[]') AS serials,
            (SELECT tn.nspname || '.' || t.relname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
             JOIN pg_namespace tn ON tn.oid = t.relnamespace
             WHERE c.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
               AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i') LIMIT 1) AS owned_by
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
     ORDER BY 1, 2`,
    [schemas],
  );
  const functionRows = await db.query<{ schema: string; name: string; kind: string; args: string[]; owner: string; public: string[] }>(
    `SELECT n.nspname AS schema, p.proname AS name, p.prokind::text AS kind, pg_get_userbyid(p.proowner) AS owner,
            ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) AS t) AS args,
            ARRAY(SELECT a.privilege_type FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a WHERE a.grantee = 0) AS public
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p') AND NOT p.proretset AND p.prorettype <> 'trigger'::regtype
     ORDER BY 1, 2, 5`,
    [schemas],
  );
  const owner = await db.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()');
  const key = (schema: string, name: string) => `${schema}.${name}`;
  return {
    functions: functionRows.rows.map((r) => ({ schema: r.schema, name: r.name, kind: r.kind, argTypes: r.args, owner: r.owner, publicPrivileges: r.public })),
    databaseOwner: owner.rows[0]!.owner,
    schemas: schemaRows.rows.map((r) => ({ name: r.name, owner: r.owner, publicPrivileges: r.public })),
    tables: relRows.rows
      .filter((r) => r.relkind !== 'S')
      .map((r) => ({
        schema: r.schema,
        name: r.name,
        relkind: r.relkind,
        owner: r.owner,
        columns: r.columns,
        // Quoted here, not by the server: its format('%I') knows only its own major's keywords (json_query
        // is one from 17), and the probes look sequences up by pgrant's quoting.
        serialSequences: r.serials.map((s) => `${ident(s.schema)}.${ident(s.name)}`),
        publicPrivileges: r.public,
        createdAfterDeployBy: after.get(key(r.schema, r.name)) ?? null,
        rowSecurity: r.rls,
      })),
    sequences: relRows.rows
      .filter((r) => r.relkind === 'S')
      .map((r) => ({ schema: r.schema, name: r.name, owner: r.owner, ownedBy: r.owned_by, publicPrivileges: r.public, createdAfterDeployBy: after.get(key(r.schema, r.name)) ?? null })),
  };
}
