-- SQLite dialect. Notifications made from events, and the
-- credential.verified cap shared by every server.
--
-- - notifications.event_id: the event (evt_…) a notification was made from
--   by the notifications' consumer of the events (internal/notify); NULL
--   for the others. UNIQUE (event_id, user_id) where it is set: an event's
--   fan-out that runs again (retried whole, or after a crash between its
--   commit and the job's completion) never notifies a person twice.
-- - credentials.verified_event_at: when the credential's last
--   credential.verified event was published. The verification log writer
--   claims a window with a conditional UPDATE (NULL or older than the
--   window) in the transaction of the log rows and the event, so the cap of
--   one event per credential per window holds across servers.

-- +goose Up
ALTER TABLE notifications ADD COLUMN event_id TEXT;
CREATE UNIQUE INDEX uq_notifications_event_user ON notifications (event_id, user_id) WHERE event_id IS NOT NULL;
ALTER TABLE credentials ADD COLUMN verified_event_at DATETIME;

-- +goose Down
ALTER TABLE credentials DROP COLUMN verified_event_at;
DROP INDEX uq_notifications_event_user;
ALTER TABLE notifications DROP COLUMN event_id;
