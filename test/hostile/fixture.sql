-- Loaded as a superuser into database hs before deploy (roles h_owner and h_grantor exist by then).
CREATE SCHEMA app AUTHORIZATION h_owner;
CREATE TABLE app.tracks (id int PRIMARY KEY, title text);
CREATE TABLE app.payments (id int PRIMARY KEY, amount numeric);
INSERT INTO app.tracks VALUES (1, 'one'), (2, 'two');
INSERT INTO app.payments VALUES (1, 9.99);
ALTER TABLE app.tracks OWNER TO h_owner;
ALTER TABLE app.payments OWNER TO h_owner;
