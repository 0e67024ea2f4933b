// Who runs the generated files in `pgrant test`: the server's superuser, or a simulated managed-service
// admin (as on RDS, Cloud SQL, Azure, Supabase, Neon): NOSUPERUSER LOGIN CREATEROLE CREATEDB, owner of the
// plan's database, member WITH ADMIN OPTION of the roles the plan relies on (owners, provider roles), as
// providers grant them. Every phase that runs a generated file runs it as this role.
import { randomBytes } from 'node:crypto';
import type { Model } from '../model/model.js';
import { connect, ident, literal, type Db } from './db.js';
import type { PsqlOptions } from './psql.js';
import type { ServerAddress } from './server.js';

export const DEPLOYER_KINDS = ['superuser', 'managed'] as const;
export type DeployerKind = (typeof DEPLOYER_KINDS)[number];

export interface Deployer {
  kind: DeployerKind;
  /** The role deploy.sql runs as (owner of default privileges set without `owners`). */
  name: string;
  /** How psql connects as it: none for the superuser (the harness's own connection). */
  login?: { user: string; password: string };
}

/** `--deployer superuser|managed|both` → the deployers to run, in order. */
export function parseDeployers(value: string | undefined): DeployerKind[] {
  if (value === undefined || value === 'both') return [...DEPLOYER_KINDS];
  return [value as DeployerKind];
}

export function superuserDeployer(server: ServerAddress): Deployer {
  return { kind: 'superuser', name: server.user };
}

/** Creates the admin, a member WITH ADMIN OPTION of the plan's external roles (not of superusers: no provider gives that). */
export async function createManagedAdmin(maintenance: Db, model: Model): Promise<Deployer> {
  const name = `pgrant_admin_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  await maintenance.query(`CREATE ROLE ${ident(name)} NOSUPERUSER LOGIN CREATEROLE CREATEDB PASSWORD ${literal(password)}`);
  const grantable = await maintenance.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1) AND NOT rolsuper ORDER BY 1', [model.external]);
  for (const { rolname } of grantable.rows) await maintenance.query(`GRANT ${ident(rolname)} TO ${ident(name)} WITH ADMIN OPTION`);
  return { kind: 'managed', name, login: { user: name, password } };
}

/** Drops the admin after the run (its database and the roles of the run are gone by then). */
export async function dropManagedAdmin(maintenance: Db, deployer: Deployer): Promise<void> {
  if (deployer.kind !== 'managed') return;
  const role = ident(deployer.name);
  await maintenance.query(`REASSIGN OWNED BY ${role} TO CURRENT_USER`).catch(() => {});
  await maintenance.query(`DROP OWNED BY ${role}`).catch(() => {});
  await maintenance.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
}

/** psql options that run a file as the deployer. */
export function asDeployer(deployer: Deployer, server: ServerAddress): Partial<PsqlOptions> {
  if (!deployer.login) return {};
  // From 16 a CREATEROLE role gets only ADMIN OPTION on roles it creates; a fixture that creates a role and
  // then SET ROLEs to it needs SET and INHERIT too, as a superuser has them.
  return { login: deployer.login, env: server.major >= 16 ? { PGOPTIONS: '-c createrole_self_grant=set,inherit' } : {} };
}

/** A client connection as the deployer (the auto fixture runs through it, as the admin would load a schema). */
export async function connectAsDeployer(server: ServerAddress, database: string, deployer: Deployer): Promise<Db> {
  if (!deployer.login) return connect(server, database, { pinned: true });
  return connect({ ...server, host: server.tcpHost, user: deployer.login.user, password: deployer.login.password }, database, { pinned: true });
}
