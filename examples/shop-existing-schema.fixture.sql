-- What exists before the plan is deployed: the owner role, its schema and tables, a few rows.
-- The fixture creates shop_owner itself (as `pg_dumpall --globals-only` output would): `pgrant test`
-- then does not create it beforehand, although the plan references it.
CREATE ROLE shop_owner NOLOGIN;
-- The role loading this gives the schema to shop_owner: a managed service's admin gets no membership by
-- creating a role before PostgreSQL 16, so it takes one (as it would on the service).
GRANT shop_owner TO CURRENT_USER;
CREATE SCHEMA sales AUTHORIZATION shop_owner;
SET ROLE shop_owner;
CREATE TABLE sales.customers (id serial PRIMARY KEY, name text NOT NULL, email text);
CREATE TABLE sales.orders (id serial PRIMARY KEY, customer_id integer REFERENCES sales.customers, total numeric(10, 2));
INSERT INTO sales.customers (name) VALUES ('Ada'), ('Grace');
INSERT INTO sales.orders (customer_id, total) VALUES (1, 10), (2, 20);
RESET ROLE;
