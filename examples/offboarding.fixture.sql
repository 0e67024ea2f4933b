-- alice, who is leaving, owns a table with rows and holds privileges on another.
CREATE ROLE alice LOGIN;
-- The role loading this may act as alice below (a managed service's admin gets no membership by creating her).
GRANT alice TO CURRENT_USER;
GRANT CREATE ON SCHEMA public TO alice;
CREATE TABLE tracks (id serial PRIMARY KEY, title text NOT NULL);
INSERT INTO tracks (title) VALUES ('one'), ('two');
GRANT SELECT, UPDATE ON tracks TO alice;
SET ROLE alice;
CREATE TABLE weekly_reports (week date PRIMARY KEY, streams integer NOT NULL);
INSERT INTO weekly_reports VALUES ('2026-11-02', 120), ('2026-11-09', 135), ('2026-11-16', 150);
RESET ROLE;
