-- Datatweets' tables, owned by the datatweets role, with a few rows.
-- `pgrant test` creates the roles the plan references (here datatweets) before it loads this file.
GRANT CREATE ON SCHEMA public TO datatweets;
SET ROLE datatweets;
CREATE TABLE users (
  id serial PRIMARY KEY,
  username text NOT NULL,
  followers integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sales (id serial PRIMARY KEY, user_id integer REFERENCES users, amount numeric(10, 2) NOT NULL);
INSERT INTO users (username, followers) VALUES ('dq', 120), ('tweetbot', 3);
INSERT INTO sales (user_id, amount) VALUES (1, 19.99), (2, 5.00);
RESET ROLE;
