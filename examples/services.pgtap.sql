-- services.yaml's access in pgTAP, written by hand from the team patterns and the pattern docs (not from
-- pgrant's model). test/pg/pgtap.test.ts runs it with pg_prove after deploy.sql, on PostgreSQL 14–18.
SET search_path = tap, public;
BEGIN;
-- shop_owner adds a table to each schema after the deploy: default privileges must cover them.
SET ROLE shop_owner;
CREATE TABLE billing.refunds (id serial PRIMARY KEY, invoice_id integer NOT NULL);
CREATE TABLE orders.shipments (id serial PRIMARY KEY, order_id integer NOT NULL);
RESET ROLE;
SELECT plan(36);
-- Each service's application login: row DML and sequences in its own schema, nothing in the other.
SELECT has_user('billing_app');
SELECT isnt_superuser('billing_app');
SELECT schema_privs_are('billing', 'billing_app', ARRAY['USAGE']);
SELECT schema_privs_are('orders', 'billing_app', ARRAY[]::text[]);
SELECT table_privs_are('billing', 'invoices', 'billing_app', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('billing', 'refunds', 'billing_app', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT sequence_privs_are('billing', 'invoices_id_seq', 'billing_app', ARRAY['USAGE', 'SELECT']);
SELECT sequence_privs_are('billing', 'refunds_id_seq', 'billing_app', ARRAY['USAGE', 'SELECT']);
SELECT table_privs_are('orders', 'orders', 'billing_app', ARRAY[]::text[]);
SELECT sequence_privs_are('orders', 'orders_id_seq', 'billing_app', ARRAY[]::text[]);
SELECT has_user('orders_app');
SELECT schema_privs_are('orders', 'orders_app', ARRAY['USAGE']);
SELECT schema_privs_are('billing', 'orders_app', ARRAY[]::text[]);
SELECT table_privs_are('orders', 'orders', 'orders_app', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('orders', 'shipments', 'orders_app', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT sequence_privs_are('orders', 'shipments_id_seq', 'orders_app', ARRAY['USAGE', 'SELECT']);
SELECT table_privs_are('billing', 'invoices', 'orders_app', ARRAY[]::text[]);
-- Each service's analysts: a group that reads its schema (tables and sequences) and nothing else.
SELECT hasnt_user('billing_analysts');
SELECT schema_privs_are('billing', 'billing_analysts', ARRAY['USAGE']);
SELECT table_privs_are('billing', 'invoices', 'billing_analysts', ARRAY['SELECT']);
SELECT table_privs_are('billing', 'refunds', 'billing_analysts', ARRAY['SELECT']);
SELECT sequence_privs_are('billing', 'invoices_id_seq', 'billing_analysts', ARRAY['SELECT']);
SELECT table_privs_are('orders', 'orders', 'billing_analysts', ARRAY[]::text[]);
SELECT is_member_of('billing_analysts', ARRAY['dana']);
SELECT isnt_member_of('billing_app', ARRAY['dana']);
SELECT table_privs_are('billing', 'invoices', 'dana', ARRAY['SELECT']);
SELECT table_privs_are('orders', 'shipments', 'orders_analysts', ARRAY['SELECT']);
SELECT sequence_privs_are('orders', 'orders_id_seq', 'orders_analysts', ARRAY['SELECT']);
SELECT table_privs_are('billing', 'invoices', 'orders_analysts', ARRAY[]::text[]);
-- The reporting team reads both schemas, existing and future tables; rita is in it.
SELECT schema_privs_are('billing', 'shop_reporting', ARRAY['USAGE']);
SELECT schema_privs_are('orders', 'shop_reporting', ARRAY['USAGE']);
SELECT table_privs_are('billing', 'refunds', 'shop_reporting', ARRAY['SELECT']);
SELECT table_privs_are('orders', 'shipments', 'shop_reporting', ARRAY['SELECT']);
SELECT is_member_of('shop_reporting', ARRAY['rita']);
SELECT table_privs_are('orders', 'orders', 'rita', ARRAY['SELECT']);
-- No database pattern: the logins connect through PUBLIC's default CONNECT and TEMPORARY.
SELECT database_privs_are('shop', 'rita', ARRAY['CONNECT', 'TEMPORARY']);
SELECT * FROM finish();
ROLLBACK;
