-- StreamFlow's schema, owned by the application's owner role, with a few rows.
-- `pgrant test` creates the roles the plan references but does not create (here streamflow_owner)
-- before it loads this file.
GRANT CREATE ON SCHEMA public TO streamflow_owner;
SET ROLE streamflow_owner;

CREATE TABLE users (
  user_id serial PRIMARY KEY,
  username text NOT NULL,
  email text NOT NULL,
  country text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE artists (artist_id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE tracks (
  track_id serial PRIMARY KEY,
  artist_id integer NOT NULL REFERENCES artists,
  title text NOT NULL,
  duration_seconds integer
);
CREATE TABLE streams (
  stream_id bigserial PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users,
  track_id integer NOT NULL REFERENCES tracks,
  streamed_at timestamptz NOT NULL DEFAULT now()
);
-- The sensitive table: only the owner and the admin group may read it.
CREATE TABLE payments (
  payment_id serial PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users,
  amount_cents integer NOT NULL,
  card_token text NOT NULL
);

INSERT INTO users (username, email, country) VALUES ('ana', 'ana@example.com', 'PT'), ('ben', 'ben@example.com', 'DE');
INSERT INTO artists (name) VALUES ('The Examples');
INSERT INTO tracks (artist_id, title, duration_seconds) VALUES (1, 'First Light', 215), (1, 'Second Wind', 187);
INSERT INTO streams (user_id, track_id) VALUES (1, 1), (2, 2), (1, 2);
INSERT INTO payments (user_id, amount_cents, card_token) VALUES (1, 999, 'tok_ana'), (2, 1299, 'tok_ben');
RESET ROLE;
