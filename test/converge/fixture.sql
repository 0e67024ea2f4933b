-- Schemas and tables of the convergence tests, owned by c_owner; `other` is outside every plan's scope.
CREATE SCHEMA app AUTHORIZATION c_owner;
CREATE SCHEMA extra AUTHORIZATION c_owner;
CREATE SCHEMA other AUTHORIZATION c_owner;
GRANT USAGE, CREATE ON SCHEMA app, extra TO c_owner2;
SET ROLE c_owner;
CREATE TABLE app.orders (id serial PRIMARY KEY, total integer);
CREATE TABLE app.items (id serial PRIMARY KEY, order_id integer);
CREATE TABLE app.customers (id serial PRIMARY KEY, name text, email text);
CREATE TABLE extra.stats (day date PRIMARY KEY, n integer);
CREATE TABLE other.notes (id integer);
INSERT INTO app.orders (total) VALUES (10), (20);
RESET ROLE;
