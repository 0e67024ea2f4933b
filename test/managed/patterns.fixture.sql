-- The application's schema, owned by m_owner (created by `pgrant test`), and m_leaver, who leaves and owns a table.
CREATE SCHEMA app AUTHORIZATION m_owner;
CREATE SCHEMA eng AUTHORIZATION m_owner;
SET ROLE m_owner;
CREATE TABLE eng.reviews (id serial PRIMARY KEY, title text NOT NULL);
CREATE TABLE app.orders (id serial PRIMARY KEY, total integer);
INSERT INTO eng.reviews (title) VALUES ('first'), ('second');
RESET ROLE;
CREATE ROLE m_leaver LOGIN;
-- The role loading this may act as m_leaver (a managed service's admin gets no membership by creating it).
GRANT m_leaver TO CURRENT_USER;
GRANT USAGE, CREATE ON SCHEMA app TO m_leaver;
SET ROLE m_leaver;
CREATE TABLE app.leaver_notes (id integer PRIMARY KEY);
INSERT INTO app.leaver_notes VALUES (1), (2);
RESET ROLE;
