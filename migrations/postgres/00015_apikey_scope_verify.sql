-- PostgreSQL dialect. API keys lose the credentials:verify scope: the
-- verify endpoints (/api/v1/credentials/verify, /api/v1/presentations/verify)
-- are public, so the scope allowed nothing and is no longer offered. Keys
-- that held it keep their other scopes (a key that had only it keeps none,
-- and still authenticates, as it did, for GET /api/v1/organization).

-- +goose Up
UPDATE api_keys SET permissions = permissions - 'credentials:verify'
WHERE permissions @> '["credentials:verify"]';

-- +goose Down
-- Nothing to restore: the scope allowed nothing, and which keys held it is
-- not kept.
SELECT 1;
