-- SQLite dialect. API keys lose the credentials:verify scope: see the
-- PostgreSQL migration of the same version. The array is rebuilt in its
-- order without that element.

-- +goose Up
UPDATE api_keys SET permissions = (
    SELECT json_group_array(value ORDER BY key) FROM json_each(api_keys.permissions)
    WHERE value <> 'credentials:verify')
WHERE EXISTS (SELECT 1 FROM json_each(api_keys.permissions) WHERE value = 'credentials:verify');

-- +goose Down
-- Nothing to restore: the scope allowed nothing, and which keys held it is
-- not kept.
SELECT 1;
