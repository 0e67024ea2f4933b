-- streamflow.yaml's access in pgTAP, written by hand from the pattern docs (not from pgrant's model).
-- test/pg/pgtap.test.ts runs it with pg_prove after deploy.sql, on PostgreSQL 14–18.
SET search_path = tap, public;
BEGIN;
SELECT plan(17);
-- Analysts: three tables and three columns of users; never payments.
SELECT table_privs_are('public', 'artists', 'streamflow_readonly', ARRAY['SELECT']);
SELECT table_privs_are('public', 'payments', 'streamflow_readonly', ARRAY[]::text[]);
SELECT table_privs_are('public', 'users', 'streamflow_readonly', ARRAY[]::text[]);
SELECT column_privs_are('public', 'users', 'username', 'streamflow_readonly', ARRAY['SELECT']);
SELECT column_privs_are('public', 'users', 'email', 'streamflow_readonly', ARRAY[]::text[]);
SELECT table_privs_are('public', 'payments', 'alice', ARRAY[]::text[]);
SELECT column_privs_are('public', 'users', 'country', 'alice', ARRAY['SELECT']);
SELECT is_member_of('streamflow_readonly', ARRAY['alice']);
-- The service: row DML on its three tables and their sequences; nothing on payments or artists.
SELECT table_privs_are('public', 'users', 'streamflow_app', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('public', 'payments', 'streamflow_app', ARRAY[]::text[]);
SELECT table_privs_are('public', 'artists', 'streamflow_app', ARRAY[]::text[]);
SELECT sequence_privs_are('public', 'users_user_id_seq', 'streamflow_app', ARRAY['USAGE', 'SELECT']);
-- The DBA holds nothing itself (NOINHERIT); its group holds everything.
SELECT table_privs_are('public', 'payments', 'streamflow_dba', ARRAY[]::text[]);
SELECT table_privs_are('public', 'payments', 'streamflow_admin', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']);
SELECT schema_privs_are('public', 'streamflow_admin', ARRAY['USAGE', 'CREATE']);
SELECT is_member_of('streamflow_admin', ARRAY['streamflow_dba']);
SELECT isnt_superuser('streamflow_dba');
SELECT * FROM finish();
ROLLBACK;
