-- The PostgreSQL schema keeps the SQLite one's version numbers, tables and
-- columns. Times are stored as the same ISO 8601 text (UTC, milliseconds),
-- so both engines hand the pages identical strings.
CREATE FUNCTION coffee_shop_now() RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- The menu. An identity column never hands out an id twice, even after a delete.
CREATE TABLE drinks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title      text   NOT NULL,
    -- The title in Unicode lowercase: titles are unique ignoring case.
    title_key  text   NOT NULL UNIQUE,
    -- JSON array of {"name", "color", "parts"}, validated before it is written.
    recipe     text   NOT NULL,
    created_at text   NOT NULL DEFAULT coffee_shop_now(),
    updated_at text   NOT NULL DEFAULT coffee_shop_now()
);

-- One row whose lock serialises menu changes across servers, and whose
-- version every change bumps: a server that missed a notification still
-- sees the menu changed by reading it.
CREATE TABLE menu_state (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version  bigint  NOT NULL
);
INSERT INTO menu_state (version) VALUES (0);
