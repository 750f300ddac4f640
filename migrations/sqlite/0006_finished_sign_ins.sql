-- Sign-ins already finished, by a hash of their state, until they expire: a
-- replayed sign-in cookie is refused, on whichever server of a chain it
-- reaches (the pending sign-in itself lives in a sealed cookie).
CREATE TABLE finished_sign_ins (
    state_hash BLOB    PRIMARY KEY,
    -- Unix seconds: when the sign-in would have expired anyway.
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
