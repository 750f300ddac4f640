-- Admin page sessions. Only a hash of the cookie's random id is stored, so a
-- copy of the database cannot be used to sign in.
CREATE TABLE sessions (
    id_hash     bytea  PRIMARY KEY,
    subject     text   NOT NULL,
    -- The permissions of the access token the session was made from, space-separated.
    permissions text   NOT NULL,
    -- Bound to this session; every form that changes anything must carry it.
    csrf_token  text   NOT NULL,
    created_at  text   NOT NULL DEFAULT coffee_shop_now(),
    -- Unix seconds: the access token's `exp`.
    expires_at  bigint NOT NULL
);

CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Who a token subject is, learnt from the ID token at sign-in, so the
-- activity log can name people (their API changes too).
CREATE TABLE people (
    subject    text PRIMARY KEY,
    name       text,
    email      text,
    updated_at text NOT NULL DEFAULT coffee_shop_now()
);
