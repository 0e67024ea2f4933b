-- shop-existing-schema.yaml's access in pgTAP, written by hand from the pattern docs (not from pgrant's
-- model). test/pg/pgtap.test.ts runs it with pg_prove after deploy.sql, on PostgreSQL 14–18.
SET search_path = tap, public;
BEGIN;
-- shop_owner creates a table after the deploy: the application gets it, the analysts (explicit tables) do not.
SET ROLE shop_owner;
CREATE TABLE sales.returns (id serial PRIMARY KEY, order_id integer NOT NULL);
RESET ROLE;
SELECT plan(22);
-- The schema stays shop_owner's: the plan only references it.
SELECT schema_owner_is('sales', 'shop_owner');
SELECT hasnt_user('shop_owner');
-- shop_app: row DML on every table of sales, existing and future, and their sequences; no DDL.
SELECT has_user('shop_app');
SELECT isnt_superuser('shop_app');
SELECT schema_privs_are('sales', 'shop_app', ARRAY['USAGE']);
SELECT table_privs_are('sales', 'customers', 'shop_app', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('sales', 'orders', 'shop_app', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('sales', 'returns', 'shop_app', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT sequence_privs_are('sales', 'customers_id_seq', 'shop_app', ARRAY['USAGE', 'SELECT']);
SELECT sequence_privs_are('sales', 'orders_id_seq', 'shop_app', ARRAY['USAGE', 'SELECT']);
SELECT sequence_privs_are('sales', 'returns_id_seq', 'shop_app', ARRAY['USAGE', 'SELECT']);
-- shop_readonly: exactly sales.orders and its serial sequence; never customers, nothing created later.
SELECT hasnt_user('shop_readonly');
SELECT schema_privs_are('sales', 'shop_readonly', ARRAY['USAGE']);
SELECT table_privs_are('sales', 'orders', 'shop_readonly', ARRAY['SELECT']);
SELECT sequence_privs_are('sales', 'orders_id_seq', 'shop_readonly', ARRAY['SELECT']);
SELECT table_privs_are('sales', 'customers', 'shop_readonly', ARRAY[]::text[]);
SELECT column_privs_are('sales', 'customers', 'email', 'shop_readonly', ARRAY[]::text[]);
SELECT sequence_privs_are('sales', 'customers_id_seq', 'shop_readonly', ARRAY[]::text[]);
SELECT table_privs_are('sales', 'returns', 'shop_readonly', ARRAY[]::text[]);
SELECT sequence_privs_are('sales', 'returns_id_seq', 'shop_readonly', ARRAY[]::text[]);
-- ana, an analyst, holds the group's privileges and no more.
SELECT is_member_of('shop_readonly', ARRAY['ana']);
SELECT table_privs_are('sales', 'customers', 'ana', ARRAY[]::text[]);
SELECT * FROM finish();
ROLLBACK;
