-- Each admin session remembers who vouched for it: the issuer and the
-- signing key of the token it was made from.
ALTER TABLE sessions ADD COLUMN issuer text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN key_id text NOT NULL DEFAULT '';
