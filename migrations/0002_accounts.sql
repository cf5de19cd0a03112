-- Accounts and auth (DOMAIN §11): refresh tokens are looked up by the hash the client's token
-- has, so that hash is unique and indexed; a family is revoked as a whole.
CREATE UNIQUE INDEX refresh_tokens_hash_idx ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
