-- SQLite dialect. Webhooks as delivered: see the PostgreSQL migration of
-- the same version. SQLite adds a CHECK only with a new column, so the
-- pair rule of the previous secret is the CHECK of previous_secret_until.

-- +goose Up
ALTER TABLE webhooks ADD COLUMN previous_secret_key BLOB;
ALTER TABLE webhooks ADD COLUMN previous_secret_until DATETIME CHECK ((previous_secret_key IS NULL) = (previous_secret_until IS NULL));
ALTER TABLE webhooks ADD COLUMN sign_with_issuer_key BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE webhooks ADD COLUMN failing_since DATETIME;
ALTER TABLE webhooks ADD COLUMN warned_at DATETIME;
ALTER TABLE webhooks ADD COLUMN disabled_at DATETIME;
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT;
ALTER TABLE webhooks ADD COLUMN updated_at DATETIME NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE webhooks SET updated_at = created_at;

ALTER TABLE webhook_deliveries ADD COLUMN event_id TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1);
ALTER TABLE webhook_deliveries ADD COLUMN cause TEXT NOT NULL DEFAULT 'event' CHECK (cause IN ('event', 'retry', 'redeliver', 'test'));
ALTER TABLE webhook_deliveries ADD COLUMN request_headers TEXT NOT NULL DEFAULT '{}' CHECK (json_type(request_headers) = 'object');
CREATE INDEX idx_webhook_deliveries_webhook_created ON webhook_deliveries (webhook_id, created_at DESC, id DESC);
CREATE INDEX idx_webhook_deliveries_event ON webhook_deliveries (webhook_id, event_id);
CREATE INDEX idx_webhook_deliveries_created ON webhook_deliveries (created_at);

-- +goose Down
DROP INDEX idx_webhook_deliveries_created;
DROP INDEX idx_webhook_deliveries_event;
DROP INDEX idx_webhook_deliveries_webhook_created;
ALTER TABLE webhook_deliveries DROP COLUMN request_headers;
ALTER TABLE webhook_deliveries DROP COLUMN cause;
ALTER TABLE webhook_deliveries DROP COLUMN attempt;
ALTER TABLE webhook_deliveries DROP COLUMN event_id;
ALTER TABLE webhooks DROP COLUMN updated_at;
ALTER TABLE webhooks DROP COLUMN disabled_reason;
ALTER TABLE webhooks DROP COLUMN disabled_at;
ALTER TABLE webhooks DROP COLUMN warned_at;
ALTER TABLE webhooks DROP COLUMN failing_since;
ALTER TABLE webhooks DROP COLUMN sign_with_issuer_key;
ALTER TABLE webhooks DROP COLUMN previous_secret_until;
ALTER TABLE webhooks DROP COLUMN previous_secret_key;
