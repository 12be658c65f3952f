-- SQLite dialect. In-app notifications gain their email channel and a page
-- of their own.
--
-- - emailed_at: when the notification's email went out (NULL: not sent).
--   The periodic notification_email job sends, for notifications of the last
--   day still NULL here, one email each to users whose preference for the
--   type has email on (no preference row: on).
-- - email_only: the user turned the type's in-app channel off but kept
--   email, so the row exists for the email job only and no in-app query
--   shows it.
-- - The notifications page and bell read one user's notifications newest
--   first, (sent_at, id) descending, with keyset pagination: a composite
--   index serves that (and its prefix the ON DELETE CASCADE lookups) and
--   replaces the single-column user_id index. The email job scans only
--   unsent rows by time, through a partial index.

-- +goose Up
ALTER TABLE notifications ADD COLUMN emailed_at DATETIME;
ALTER TABLE notifications ADD COLUMN email_only BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX idx_notifications_user_sent_at ON notifications (user_id, sent_at, id);
CREATE INDEX idx_notifications_email_pending ON notifications (sent_at) WHERE emailed_at IS NULL;
DROP INDEX idx_notifications_user_id;

-- +goose Down
CREATE INDEX idx_notifications_user_id ON notifications (user_id);
DROP INDEX idx_notifications_email_pending;
DROP INDEX idx_notifications_user_sent_at;
ALTER TABLE notifications DROP COLUMN email_only;
ALTER TABLE notifications DROP COLUMN emailed_at;
