-- Each admin session remembers who vouched for it: the issuer and the
-- signing key of the token it was made from. A session whose issuer is no
-- longer trusted (a restart without --dev, a new provider), or whose key
-- left the provider's key set, counts as signed out. Sessions from before
-- this migration have neither, so they end: people sign in once more.
ALTER TABLE sessions ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
