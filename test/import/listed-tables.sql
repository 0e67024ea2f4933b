-- Roles on listed tables, set up by hand with least privilege on sequences: only those the tables'
-- serial and identity columns own. That is what readonly and app-user give with `tables:`; a sequence
-- no listed table owns, held as well, is not.
CREATE ROLE lt_owner NOLOGIN;
CREATE SCHEMA shop AUTHORIZATION lt_owner;
SET ROLE lt_owner;
CREATE TABLE shop.orders (id serial PRIMARY KEY, note text);
CREATE TABLE shop.items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id integer);
CREATE TABLE shop.payments (id serial PRIMARY KEY, amount numeric);
CREATE SEQUENCE shop.invoice_numbers;
RESET ROLE;

-- The application: DML on orders and items, and USAGE, SELECT on their two sequences only.
CREATE ROLE lt_app LOGIN;
GRANT USAGE ON SCHEMA shop TO lt_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON shop.orders, shop.items TO lt_app;
GRANT USAGE, SELECT ON SEQUENCE shop.orders_id_seq, shop.items_id_seq TO lt_app;

-- A reader of orders, without its sequence.
CREATE ROLE lt_reader NOLOGIN;
GRANT USAGE ON SCHEMA shop TO lt_reader;
GRANT SELECT ON shop.orders TO lt_reader;

-- A reader of orders with its sequence and a free-standing one: no pattern gives exactly that.
CREATE ROLE lt_clerk NOLOGIN;
GRANT USAGE ON SCHEMA shop TO lt_clerk;
GRANT SELECT ON shop.orders TO lt_clerk;
GRANT SELECT ON SEQUENCE shop.orders_id_seq, shop.invoice_numbers TO lt_clerk;
