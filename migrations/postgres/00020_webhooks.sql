-- PostgreSQL dialect. Webhooks as delivered (issue 16): a secret rotation
-- keeps the previous secret for an overlap window (deliveries carry both
-- signatures); an organization may also sign with its issuer key (v1a);
-- an endpoint that keeps failing, or answers 410, is disabled with the
-- reason; each delivery attempt logs the event's id (webhook-id, the same
-- on every attempt), its number, why it was made and the request headers.

-- +goose Up
ALTER TABLE webhooks
    ADD COLUMN previous_secret_key   BYTEA,
    ADD COLUMN previous_secret_until TIMESTAMPTZ,
    ADD COLUMN sign_with_issuer_key  BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN failing_since         TIMESTAMPTZ,
    ADD COLUMN warned_at             TIMESTAMPTZ,
    ADD COLUMN disabled_at           TIMESTAMPTZ,
    ADD COLUMN disabled_reason       TEXT,
    ADD COLUMN updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD CONSTRAINT ck_webhooks_previous_secret CHECK ((previous_secret_key IS NULL) = (previous_secret_until IS NULL));

ALTER TABLE webhook_deliveries
    ADD COLUMN event_id        TEXT NOT NULL DEFAULT '',
    ADD COLUMN attempt         INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    ADD COLUMN cause         TEXT NOT NULL DEFAULT 'event' CHECK (cause IN ('event', 'retry', 'redeliver', 'test')),
    ADD COLUMN request_headers JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(request_headers) = 'object');
CREATE INDEX idx_webhook_deliveries_webhook_created ON webhook_deliveries (webhook_id, created_at DESC, id DESC);
CREATE INDEX idx_webhook_deliveries_event ON webhook_deliveries (webhook_id, event_id);
CREATE INDEX idx_webhook_deliveries_created ON webhook_deliveries (created_at);

-- +goose Down
DROP INDEX idx_webhook_deliveries_created;
DROP INDEX idx_webhook_deliveries_event;
DROP INDEX idx_webhook_deliveries_webhook_created;
ALTER TABLE webhook_deliveries DROP COLUMN request_headers, DROP COLUMN cause, DROP COLUMN attempt, DROP COLUMN event_id;
ALTER TABLE webhooks DROP CONSTRAINT ck_webhooks_previous_secret,
    DROP COLUMN updated_at, DROP COLUMN disabled_reason, DROP COLUMN disabled_at, DROP COLUMN warned_at,
    DROP COLUMN failing_since, DROP COLUMN sign_with_issuer_key, DROP COLUMN previous_secret_until,
    DROP COLUMN previous_secret_key;
