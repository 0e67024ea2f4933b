-- Names that need quoting everywhere: dots, quotes, spaces, capitals, a keyword, non-ASCII; a quoted
-- argument type; row-level security with a restrictive policy; a role without INHERIT on 16+ options.
CREATE ROLE "Sales Team" NOLOGIN;
CREATE ROLE "o'brien" LOGIN;
CREATE ROLE "user" LOGIN;
CREATE ROLE données NOLOGIN;
COMMENT ON ROLE données IS 'with a ''quote'' and a
line break';
CREATE SCHEMA "Odd.Schema";
CREATE TYPE "Odd.Schema"."My Type" AS (a integer);
CREATE TABLE "Odd.Schema"."we""ird.t" (id integer, "Col Name" text, owner_name text);
CREATE SCHEMA "Mixed Case";
CREATE TABLE "Mixed Case".plain (id integer, "Col Name" text);
CREATE SEQUENCE "Mixed Case"."Seq";
CREATE FUNCTION "Odd.Schema"."f(x)"(t "Odd.Schema"."My Type", n numeric) RETURNS integer LANGUAGE sql AS 'SELECT 1';
GRANT USAGE ON SCHEMA "Odd.Schema" TO "Sales Team", "o'brien", données;
GRANT SELECT ON "Odd.Schema"."we""ird.t" TO "Sales Team";
GRANT USAGE ON SCHEMA "Mixed Case" TO "o'brien";
GRANT SELECT ("Col Name"), UPDATE ("Col Name") ON "Mixed Case".plain TO "o'brien";
GRANT USAGE ON SEQUENCE "Mixed Case"."Seq" TO "o'brien";
GRANT EXECUTE ON FUNCTION "Odd.Schema"."f(x)"("Odd.Schema"."My Type", numeric) TO données;
GRANT "Sales Team" TO "o'brien";
GRANT données TO "user";
ALTER TABLE "Odd.Schema"."we""ird.t" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Own rows" ON "Odd.Schema"."we""ird.t" AS RESTRICTIVE FOR SELECT TO "Sales Team" USING (owner_name = current_user);
CREATE POLICY everyone ON "Odd.Schema"."we""ird.t" FOR INSERT WITH CHECK (id > 0);
