-- PostgreSQL dialect. Notification channels: email for every type, SMS,
-- digests, quiet hours and critical security messages.
--
-- - notifications.critical: a security message (a new sign-in, a change to
--   two-factor authentication) that preferences, digests and quiet hours
--   never hold back; the pages mark it.
-- - notification_deliveries: one row per notification and channel (email,
--   sms) that the user gets, created in the notification's transaction.
--   UNIQUE (notification_id, channel) is the idempotency key: the delivery
--   job sends only a row still pending and records the send on it, so a
--   user never gets one notification twice on one channel (except when the
--   process dies between the provider accepting the message and the
--   record: at-least-once). status: pending (waiting for its job), digest
--   (waiting for the user's daily digest email), sent, failed (the
--   provider refused it for good), skipped (nothing to send it to, or too
--   old). queued_at: when the dispatch job last enqueued its job; rows
--   never queued come first, and a queued one is looked at again only an
--   hour later (its job may be snoozed until the end of quiet hours), so
--   thousands of deferred rows do not starve new ones.
-- - sms_deliveries.notification_id: which notification a text message
--   carried; provider_message_id is looked up by Twilio's status callbacks.
-- The user's phone number (E.164), time zone, quiet hours and digest choice
-- live in users.profile (JSON), as the phone and time zone already did.

-- +goose Up
ALTER TABLE notifications ADD COLUMN critical BOOLEAN NOT NULL DEFAULT false;
CREATE TABLE notification_deliveries (
    id              UUID PRIMARY KEY,
    notification_id UUID NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'digest', 'sent', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    error_message   TEXT,
    sent_at         TIMESTAMPTZ,
    queued_at       TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_notification_deliveries_channel UNIQUE (notification_id, channel)
);
CREATE INDEX idx_notification_deliveries_waiting ON notification_deliveries (status, queued_at, created_at) WHERE status IN ('pending', 'digest');
CREATE INDEX idx_notification_deliveries_user_id ON notification_deliveries (user_id);
ALTER TABLE sms_deliveries ADD COLUMN notification_id UUID REFERENCES notifications (id) ON DELETE SET NULL;
CREATE INDEX idx_sms_deliveries_provider_message_id ON sms_deliveries (provider_message_id);
CREATE INDEX idx_sms_deliveries_notification_id ON sms_deliveries (notification_id);

-- +goose Down
DROP INDEX idx_sms_deliveries_notification_id;
DROP INDEX idx_sms_deliveries_provider_message_id;
ALTER TABLE sms_deliveries DROP COLUMN notification_id;
DROP TABLE notification_deliveries;
ALTER TABLE notifications DROP COLUMN critical;
