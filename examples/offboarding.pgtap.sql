-- offboarding.yaml's outcome in pgTAP, written by hand from the pattern docs (not from pgrant's model).
-- test/pg/pgtap.test.ts runs it with pg_prove after deploy.sql, on PostgreSQL 14–18.
SET search_path = tap, public;
BEGIN;
SELECT plan(8);
-- alice is gone; what she owned now belongs to reassign_to, rows and all.
SELECT hasnt_role('alice');
SELECT table_owner_is('public'::name, 'weekly_reports'::name, 'reports_owner'::name);
SELECT results_eq('SELECT count(*)::int FROM public.weekly_reports', ARRAY[3]);
-- The reports group reads every table in public, nothing more; carol is in it.
SELECT table_privs_are('public', 'weekly_reports', 'reports_readonly', ARRAY['SELECT']);
SELECT table_privs_are('public', 'tracks', 'reports_readonly', ARRAY['SELECT']);
SELECT table_privs_are('public', 'tracks', 'carol', ARRAY['SELECT']);
SELECT is_member_of('reports_readonly', ARRAY['carol']);
SELECT isnt_superuser('carol');
SELECT * FROM finish();
ROLLBACK;
