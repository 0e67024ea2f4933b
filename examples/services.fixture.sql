-- Each service's schema and tables, owned by shop_owner (created by `pgrant test` before this file runs).
CREATE SCHEMA billing AUTHORIZATION shop_owner;
CREATE SCHEMA orders AUTHORIZATION shop_owner;
SET ROLE shop_owner;
CREATE TABLE billing.invoices (id serial PRIMARY KEY, total numeric(10, 2) NOT NULL);
CREATE TABLE orders.orders (id serial PRIMARY KEY, invoice_id integer NOT NULL, placed_at timestamptz NOT NULL DEFAULT now());
INSERT INTO billing.invoices (total) VALUES (10), (20);
INSERT INTO orders.orders (invoice_id) VALUES (1), (2);
RESET ROLE;
