-- Each drink counts its changes, so an edit made from an old copy can be
-- refused (If-Match on the API, the version field in the admin forms).
ALTER TABLE drinks ADD COLUMN version bigint NOT NULL DEFAULT 1;
