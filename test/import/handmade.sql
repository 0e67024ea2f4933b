-- A database set up by hand in plain SQL, the way access grows without pgrant: two owners, column and
-- function grants, default privileges for both owners, a NOINHERIT member, ADMIN OPTION, CONNECTION LIMIT,
-- VALID UNTIL, a comment; and, for recognition, a read-only group and a project laid out by hand.
CREATE ROLE hm_owner1 LOGIN;
CREATE ROLE hm_owner2 LOGIN;
CREATE ROLE hm_clerk LOGIN NOINHERIT CONNECTION LIMIT 3 VALID UNTIL '2031-06-30 12:00:00+00';
CREATE ROLE hm_lead LOGIN;
COMMENT ON ROLE hm_lead IS 'Team lead, may add analysts';
CREATE SCHEMA sales AUTHORIZATION hm_owner1;
CREATE SCHEMA hr AUTHORIZATION hm_owner2;
SET ROLE hm_owner1;
CREATE TABLE sales.orders (id serial PRIMARY KEY, amount numeric NOT NULL, note text);
CREATE TABLE sales.customers (id serial PRIMARY KEY, name text, email text);
CREATE FUNCTION sales.total(integer, text) RETURNS numeric LANGUAGE sql AS 'SELECT 1::numeric';
RESET ROLE;
SET ROLE hm_owner2;
CREATE TABLE hr.people (id integer PRIMARY KEY, name text, salary numeric);
RESET ROLE;

-- The read-only group: USAGE, SELECT on every table and sequence of sales, now and later (hm_owner1's).
CREATE ROLE hm_analysts NOLOGIN;
GRANT USAGE ON SCHEMA sales TO hm_analysts;
GRANT SELECT ON ALL TABLES IN SCHEMA sales TO hm_analysts;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA sales TO hm_analysts;
ALTER DEFAULT PRIVILEGES FOR ROLE hm_owner1 IN SCHEMA sales GRANT SELECT ON TABLES TO hm_analysts;
ALTER DEFAULT PRIVILEGES FOR ROLE hm_owner1 IN SCHEMA sales GRANT SELECT ON SEQUENCES TO hm_analysts;
GRANT hm_analysts TO hm_clerk;                       -- NOINHERIT: must SET ROLE hm_analysts
GRANT hm_analysts TO hm_lead WITH ADMIN OPTION;

-- The clerk: columns only, and CONNECT.
GRANT USAGE ON SCHEMA sales, hr TO hm_clerk;
GRANT SELECT (id, name), UPDATE (email) ON sales.customers TO hm_clerk;
GRANT SELECT (id, name) ON hr.people TO hm_clerk;
GRANT CONNECT ON DATABASE handmade TO hm_clerk;

-- The lead: one function, and default privileges for two owners (one in a schema, one everywhere).
REVOKE EXECUTE ON FUNCTION sales.total(integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sales.total(integer, text) TO hm_lead;
ALTER DEFAULT PRIVILEGES FOR ROLE hm_owner1 IN SCHEMA sales GRANT SELECT ON TABLES TO hm_lead;
ALTER DEFAULT PRIVILEGES FOR ROLE hm_owner2 GRANT SELECT, INSERT ON TABLES TO hm_lead;

-- A project as the PolarDB document lays it out, by hand.
CREATE ROLE acme_owner LOGIN;
CREATE SCHEMA acme AUTHORIZATION acme_owner;
SET ROLE acme_owner;
CREATE TABLE acme.items (id bigserial PRIMARY KEY, name text);
RESET ROLE;
CREATE ROLE acme_role_readwrite NOLOGIN;
CREATE ROLE acme_role_readonly NOLOGIN;
GRANT USAGE ON SCHEMA acme TO acme_role_readwrite, acme_role_readonly;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA acme TO acme_role_readwrite;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA acme TO acme_role_readwrite;
GRANT SELECT ON ALL TABLES IN SCHEMA acme TO acme_role_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE acme_owner IN SCHEMA acme GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO acme_role_readwrite;
ALTER DEFAULT PRIVILEGES FOR ROLE acme_owner IN SCHEMA acme GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO acme_role_readwrite;
ALTER DEFAULT PRIVILEGES FOR ROLE acme_owner IN SCHEMA acme GRANT SELECT ON TABLES TO acme_role_readonly;
CREATE ROLE acme_app LOGIN IN ROLE acme_role_readwrite;

-- PostgreSQL 16+: a membership with its own options (INHERIT FALSE, SET FALSE); before 16, a plain one.
DO $$
BEGIN
  IF current_setting('server_version_num')::integer >= 160000 THEN
    EXECUTE 'GRANT hm_analysts TO hm_owner2 WITH INHERIT FALSE, SET FALSE';
  ELSE
    EXECUTE 'GRANT hm_analysts TO hm_owner2';
  END IF;
END
$$;
