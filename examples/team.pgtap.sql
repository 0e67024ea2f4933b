-- team.yaml's access in pgTAP, written by hand from the pattern docs (not from pgrant's model).
-- test/pg/pgtap.test.ts runs it with pg_prove after deploy.sql, on PostgreSQL 14–18.
SET search_path = tap, public;
BEGIN;
SELECT plan(18);
-- engineering reads every table and writes code reviews; senior_engineers inherits it and deletes them.
SELECT table_privs_are('public', 'users', 'engineering', ARRAY['SELECT']);
SELECT table_privs_are('public', 'code_reviews', 'engineering', ARRAY['SELECT', 'INSERT', 'UPDATE']);
SELECT table_privs_are('public', 'orders', 'engineering', ARRAY['SELECT']);
SELECT table_privs_are('public', 'code_reviews', 'senior_engineers', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('public', 'code_reviews', 'bob', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('public', 'code_reviews', 'alice', ARRAY['SELECT', 'INSERT', 'UPDATE']);
SELECT sequence_privs_are('public', 'code_reviews_id_seq', 'engineering', ARRAY['USAGE']);
SELECT sequence_privs_are('public', 'users_id_seq', 'engineering', ARRAY[]::text[]);
SELECT is_member_of('engineering', ARRAY['alice', 'senior_engineers', 'lead_dev']);
SELECT is_member_of('senior_engineers', ARRAY['bob']);
-- lead_dev inherits engineering's privileges.
SELECT table_privs_are('public', 'code_reviews', 'lead_dev', ARRAY['SELECT', 'INSERT', 'UPDATE']);
-- admin: ALL on the tables and the schema, and not a superuser.
SELECT table_privs_are('public', 'users', 'admin', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']);
SELECT schema_privs_are('public', 'admin', ARRAY['USAGE', 'CREATE']);
SELECT isnt_superuser('admin');
-- appuser: row DML on orders, nothing on users (revoked from PUBLIC too); the policy is its own.
SELECT table_privs_are('public', 'orders', 'appuser', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('public', 'users', 'appuser', ARRAY[]::text[]);
SELECT policy_roles_are('public', 'orders', 'orders_user_policy', ARRAY['appuser']);
SELECT policy_cmd_is('public', 'orders', 'orders_user_policy'::name, 'ALL');
SELECT * FROM finish();
ROLLBACK;
