-- Loaded as a superuser into database vg before deploy (role g_owner exists by then).
CREATE SCHEMA app AUTHORIZATION g_owner;
SET ROLE g_owner;
CREATE TABLE app.tracks (id int PRIMARY KEY, title text, secret text);
CREATE TABLE app.payments (id int PRIMARY KEY, amount numeric);
INSERT INTO app.tracks VALUES (1, 'one', 'x'), (2, 'two', 'y');
INSERT INTO app.payments VALUES (1, 9.99);
RESET ROLE;
