-- Who changed what: one row per create, update or delete, written in the same
-- transaction as the change. No foreign key: the row outlives a deleted drink.
CREATE TABLE activity (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          text   NOT NULL DEFAULT coffee_shop_now(),
    -- The token's subject (`sub`) of whoever made the change.
    actor       text   NOT NULL,
    action      text   NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    drink_id    bigint NOT NULL,
    drink_title text   NOT NULL,
    -- The drink's long JSON form before and after; NULL where it did not exist.
    before      text,
    after       text
);

CREATE INDEX activity_by_drink ON activity (drink_id);
