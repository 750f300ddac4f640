-- Who changed what: one row per create, update or delete, written in the same
-- transaction as the change. No foreign key: the row outlives a deleted drink.
CREATE TABLE activity (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- The token's subject (`sub`) of whoever made the change.
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    drink_id    INTEGER NOT NULL,
    drink_title TEXT    NOT NULL,
    -- The drink's long JSON form before and after; NULL where it did not exist.
    before      TEXT,
    after       TEXT
) STRICT;

CREATE INDEX activity_by_drink ON activity (drink_id);
