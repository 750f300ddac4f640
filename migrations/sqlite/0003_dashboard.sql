-- Admin page sessions. Only a hash of the cookie's random id is stored, so a
-- copy of the database cannot be used to sign in.
CREATE TABLE sessions (
    id_hash     BLOB    PRIMARY KEY,
    subject     TEXT    NOT NULL,
    -- The permissions of the access token the session was made from, space-separated.
    permissions TEXT    NOT NULL,
    -- Bound to this session; every form that changes anything must carry it.
    csrf_token  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- Unix seconds: the access token's `exp`.
    expires_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Who a token subject is, learnt from the ID token at sign-in, so the
-- activity log can name people (their API changes too).
CREATE TABLE people (
    subject    TEXT PRIMARY KEY,
    name       TEXT,
    email      TEXT,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
