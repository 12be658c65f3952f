-- PostgreSQL dialect. A bulk batch as one approval request (issue 17):
-- - approval_requests.batch_id: the batch the request is for (NULL for a
--   single credential's request). Its credential_id is then the batch's
--   first pending credential (the request's row in the inbox); the batch's
--   credentials are its rows' (issuance_batch_rows.credential_id). One
--   request per batch (UNIQUE; NULLs are distinct).
-- - sample_rows: the row numbers TrustCred picked at random for the
--   reviewers to read before approving ([] for a single credential).
-- - sample_views: who opened the sample, in which round, when
--   ([{"user_id", "round", "at"}]): the store refuses a batch approval by a
--   person without a view of the current round.

-- +goose Up
ALTER TABLE approval_requests ADD COLUMN batch_id UUID REFERENCES issuance_batches (id) ON DELETE CASCADE;
ALTER TABLE approval_requests ADD COLUMN sample_rows JSONB NOT NULL DEFAULT '[]';
ALTER TABLE approval_requests ADD COLUMN sample_views JSONB NOT NULL DEFAULT '[]';
CREATE UNIQUE INDEX uq_approval_requests_batch ON approval_requests (batch_id);

-- +goose Down
DROP INDEX uq_approval_requests_batch;
ALTER TABLE approval_requests DROP COLUMN sample_views;
ALTER TABLE approval_requests DROP COLUMN sample_rows;
ALTER TABLE approval_requests DROP COLUMN batch_id;
