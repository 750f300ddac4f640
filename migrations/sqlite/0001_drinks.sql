-- The menu. AUTOINCREMENT so an id is never reused after a delete.
CREATE TABLE drinks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    title      TEXT    NOT NULL,
    -- The title in Unicode lowercase: titles are unique ignoring case.
    title_key  TEXT    NOT NULL UNIQUE,
    -- JSON array of {"name", "color", "parts"}, validated before it is written.
    recipe     TEXT    NOT NULL,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
