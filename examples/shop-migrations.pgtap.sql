-- shop-migrations.yaml's access in pgTAP, written by hand from the pattern docs (not from pgrant's model).
-- test/pg/pgtap.test.ts runs it with pg_prove after deploy.sql, on PostgreSQL 14–18.
SET search_path = tap, public;
BEGIN;
-- The first migration, as shop_migrator (deploy.sql made the schema its own): no deploy after it.
SET ROLE shop_migrator;
CREATE TABLE sales.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric(10, 2));
CREATE TABLE sales.customers (id serial PRIMARY KEY, name text NOT NULL);
RESET ROLE;
SELECT plan(24);
-- shop_migrator: a login that owns schema sales (so everything in it), and nothing more.
SELECT has_user('shop_migrator');
SELECT isnt_superuser('shop_migrator');
SELECT schema_owner_is('sales', 'shop_migrator');
SELECT schema_privs_are('sales', 'shop_migrator', ARRAY['USAGE', 'CREATE']);
SELECT table_owner_is('sales'::name, 'orders'::name, 'shop_migrator'::name);
SELECT isnt_member_of('shop_app', ARRAY['shop_migrator']);
SELECT isnt_member_of('shop_readonly', ARRAY['shop_migrator']);
-- shop_app: row DML and sequences (identity and serial) on what the migration created; no DDL.
SELECT has_user('shop_app');
SELECT isnt_superuser('shop_app');
SELECT schema_privs_are('sales', 'shop_app', ARRAY['USAGE']);
SELECT table_privs_are('sales', 'orders', 'shop_app', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('sales', 'customers', 'shop_app', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT sequence_privs_are('sales', 'orders_id_seq', 'shop_app', ARRAY['USAGE', 'SELECT']);
SELECT sequence_privs_are('sales', 'customers_id_seq', 'shop_app', ARRAY['USAGE', 'SELECT']);
SELECT isnt_member_of('shop_migrator', ARRAY['shop_app']);
-- shop_readonly: reads those tables and sequences; no writes, no nextval, no DDL.
SELECT hasnt_user('shop_readonly');
SELECT schema_privs_are('sales', 'shop_readonly', ARRAY['USAGE']);
SELECT table_privs_are('sales', 'orders', 'shop_readonly', ARRAY['SELECT']);
SELECT table_privs_are('sales', 'customers', 'shop_readonly', ARRAY['SELECT']);
SELECT sequence_privs_are('sales', 'orders_id_seq', 'shop_readonly', ARRAY['SELECT']);
SELECT sequence_privs_are('sales', 'customers_id_seq', 'shop_readonly', ARRAY['SELECT']);
-- ben, an analyst, holds the group's privileges and no more.
SELECT is_member_of('shop_readonly', ARRAY['ben']);
SELECT table_privs_are('sales', 'orders', 'ben', ARRAY['SELECT']);
SELECT database_privs_are('shop', 'ben', ARRAY['CONNECT', 'TEMPORARY']);
SELECT * FROM finish();
ROLLBACK;
