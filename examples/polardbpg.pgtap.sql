-- polardbpg.yaml's roles and schemas in pgTAP, written by hand from the project pattern's doc (not from
-- pgrant's model). test/pg/pgtap.test.ts runs it with pg_prove after deploy.sql, on PostgreSQL 14–18.
SET search_path = tap, public;
BEGIN;
SELECT plan(12);
-- Each project's owner owns its schemas and may create in them; nobody else may.
SELECT schema_owner_is('polardbpg', 'polardbpg_owner');
SELECT schema_owner_is('polardbpg_1', 'polardbpg_owner');
SELECT schema_owner_is('employee', 'employee_owner');
SELECT schema_privs_are('polardbpg', 'polardbpg_role_readwrite', ARRAY['USAGE']);
SELECT schema_privs_are('polardbpg_1', 'polardbpg_role_readonly', ARRAY['USAGE']);
SELECT schema_privs_are('employee', 'polardbpg_readwrite', ARRAY[]::text[]);
-- Accounts are logins in their project's roles; employee_readwrite also reads polardbpg.
SELECT is_member_of('polardbpg_role_readwrite', ARRAY['polardbpg_readwrite']);
SELECT is_member_of('polardbpg_role_readonly', ARRAY['polardbpg_readonly', 'employee_readwrite']);
SELECT is_member_of('employee_role_readwrite', ARRAY['employee_readwrite']);
SELECT schema_privs_are('polardbpg', 'employee_readwrite', ARRAY['USAGE']);
SELECT isnt_superuser('polardbpg_owner');
SELECT isnt_member_of('polardbpg_role_readwrite', ARRAY['employee_readwrite']);
SELECT * FROM finish();
ROLLBACK;
