-- The engineering organisation's tables, owned by app_owner (created by `pgrant test` before this file runs).
GRANT CREATE ON SCHEMA public TO app_owner;
SET ROLE app_owner;
CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE code_reviews (id serial PRIMARY KEY, title text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orders (id serial PRIMARY KEY, user_id integer NOT NULL REFERENCES users, total numeric(10, 2) NOT NULL);
INSERT INTO users (name) VALUES ('one'), ('two'), ('three');
INSERT INTO code_reviews (title) VALUES ('first review'), ('second review');
INSERT INTO orders (user_id, total) VALUES (1, 10), (1, 20), (2, 30), (3, 40);
RESET ROLE;
