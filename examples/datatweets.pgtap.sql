-- datatweets.yaml's access in pgTAP, written by hand from the pattern docs (not from pgrant's model).
-- test/pg/pgtap.test.ts runs it with pg_prove after deploy.sql, on PostgreSQL 14–18.
SET search_path = tap, public;
BEGIN;
SELECT plan(18);
SELECT table_privs_are('public', 'users', 'readonly', ARRAY['SELECT']);
SELECT table_privs_are('public', 'users', 'data_viewer', ARRAY['SELECT']);
SELECT table_privs_are('public', 'users', 'readwrite', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('public', 'sales', 'data_scientist', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('public', 'sales', 'report_bot', ARRAY['SELECT']);
SELECT table_privs_are('public', 'users', 'report_bot', ARRAY[]::text[]);
SELECT sequence_privs_are('public', 'users_id_seq', 'readonly', ARRAY['SELECT']);
SELECT sequence_privs_are('public', 'users_id_seq', 'readwrite', ARRAY['USAGE', 'SELECT']);
SELECT sequence_privs_are('public', 'sales_id_seq', 'report_bot', ARRAY[]::text[]);
-- Schema public hardened: USAGE only, even on PostgreSQL 14.
SELECT schema_privs_are('public', 'readonly', ARRAY['USAGE']);
SELECT schema_privs_are('public', 'report_bot', ARRAY['USAGE']);
-- The database is closed to PUBLIC (no TEMPORARY either) and open to the three groups.
SELECT database_privs_are('datatweets', 'readonly', ARRAY['CONNECT']);
SELECT database_privs_are('datatweets', 'data_viewer', ARRAY['CONNECT']);
SELECT database_privs_are('datatweets', 'report_bot', ARRAY['CONNECT']);
SELECT is_member_of('readonly', ARRAY['data_viewer']);
SELECT is_member_of('readwrite', ARRAY['data_scientist']);
SELECT isnt_superuser('data_viewer');
SELECT db_owner_is('datatweets', 'datatweets');
SELECT * FROM finish();
ROLLBACK;
