// The deployers the layout tests run as: the superuser, and a managed service's admin (NOSUPERUSER
// CREATEROLE CREATEDB, owner of the database, member WITH ADMIN OPTION of the owner roles).
import { ident, type Db } from '../../src/harness/db.js';

export const DEPLOYERS = ['superuser', 'managed'] as const;
export const DBA = { user: 'layout_dba', password: 'layout-dba-secret' };

export async function createAdmin(admin: Db, owners: string[]): Promise<void> {
  await admin.query(`CREATE ROLE ${ident(DBA.user)} NOSUPERUSER LOGIN CREATEROLE CREATEDB PASSWORD '${DBA.password}'`);
  for (const o of owners) await admin.query(`GRANT ${ident(o)} TO ${ident(DBA.user)} WITH ADMIN OPTION`);
}

export async function dropAdmin(admin: Db): Promise<void> {
  await admin.query(`DROP OWNED BY ${ident(DBA.user)}; DROP ROLE ${ident(DBA.user)}`);
}
