// A catalog snapshot of everything access control touches, normalized so two snapshots of the same
// state are equal: ACL entries sorted, a NULL ACL read as the default it stands for, passwords left out
// (PostgreSQL salts each new verifier).
import type { Db } from './db.js';

const QUERIES: Record<string, string> = {
  roles: `SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin, r.rolreplication,
                 r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil::text, shobj_description(r.oid, 'pg_authid') AS comment
          FROM pg_roles r WHERE r.rolname !~ '^pg_' ORDER BY 1`,
  memberships: `SELECT g.rolname AS grp, u.rolname AS member, m.admin_option, to_jsonb(m) - 'oid' - 'roleid' - 'member' - 'grantor' - 'admin_option' AS options,
                       pg_get_userbyid(m.grantor) AS grantor
                FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member ORDER BY 1, 2, 5`,
  relations: `SELECT n.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner) AS owner, c.relrowsecurity, c.relforcerowsecurity,
                     ARRAY(SELECT format('%s=%s%s/%s', a.grantee::regrole, a.privilege_type, CASE WHEN a.is_grantable THEN '*' ELSE '' END, a.grantor::regrole)
                           FROM aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a ORDER BY 1) AS acl,
                     ARRAY(SELECT format('%s:%s=%s%s', att.attname, a.grantee::regrole, a.privilege_type, CASE WHEN a.is_grantable THEN '*' ELSE '' END)
                           FROM pg_attribute att CROSS JOIN LATERAL aclexplode(att.attacl) a
                           WHERE att.attrelid = c.oid AND att.attnum > 0 ORDER BY 1) AS column_acl
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
              ORDER BY 1, 2`,
  routines: `SELECT p.oid::regprocedure::text AS routine, pg_get_userbyid(p.proowner) AS owner,
                    ARRAY(SELECT format('%s=%s%s', a.grantee::regrole, a.privilege_type, CASE WHEN a.is_grantable THEN '*' ELSE '' END) FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a ORDER BY 1) AS acl
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1`,
  schemas: `SELECT n.nspname, pg_get_userbyid(n.nspowner) AS owner,
                   ARRAY(SELECT format('%s=%s%s', a.grantee::regrole, a.privilege_type, CASE WHEN a.is_grantable THEN '*' ELSE '' END) FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a ORDER BY 1) AS acl
            FROM pg_namespace n WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1`,
  databases: `SELECT d.datname, pg_get_userbyid(d.datdba) AS owner,
                     ARRAY(SELECT format('%s=%s%s', a.grantee::regrole, a.privilege_type, CASE WHEN a.is_grantable THEN '*' ELSE '' END) FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a ORDER BY 1) AS acl
              FROM pg_database d ORDER BY 1`,
  default_acls: `SELECT pg_get_userbyid(d.defaclrole) AS owner, n.nspname, d.defaclobjtype,
                        ARRAY(SELECT format('%s=%s%s', a.grantee::regrole, a.privilege_type, CASE WHEN a.is_grantable THEN '*' ELSE '' END) FROM aclexplode(d.defaclacl) a ORDER BY 1) AS acl
                 FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace ORDER BY 1, 2, 3`,
  role_settings: `SELECT pg_get_userbyid(s.setrole) AS role, d.datname, s.setconfig FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase ORDER BY 1, 2`,
  policies: `SELECT schemaname, tablename, policyname, permissive, roles::text[], cmd, qual, with_check FROM pg_policies ORDER BY 1, 2, 3`,
};

export type Snapshot = Record<string, unknown[]>;

export async function snapshot(db: Db): Promise<Snapshot> {
  const result: Snapshot = {};
  for (const [name, sql] of Object.entries(QUERIES)) result[name] = (await db.query(sql)).rows;
  return result;
}

/** Human-readable differences between two snapshots (empty when equal). */
export function diffSnapshots(before: Snapshot, after: Snapshot): string[] {
  const diffs: string[] = [];
  for (const key of Object.keys(QUERIES)) {
    const a = new Set((before[key] ?? []).map((r) => JSON.stringify(r)));
    const b = new Set((after[key] ?? []).map((r) => JSON.stringify(r)));
    for (const row of a) if (!b.has(row)) diffs.push(`${key}: - ${row}`);
    for (const row of b) if (!a.has(row)) diffs.push(`${key}: + ${row}`);
  }
  return diffs;
}
