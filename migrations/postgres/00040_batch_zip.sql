-- PostgreSQL dialect. The ZIP of a bulk batch's certificate PDFs (issue 19),
-- made by the bulk_zip job (internal/bulk/zip.go) and kept as a blob.
--
-- - zip_status: NULL (never asked for, or cleaned up), queued, running,
--   ready (zip_key holds it) or failed (zip_error says why; rows that
--   failed alone are in zip_errors, the ZIP is then still ready).
-- - zip_total, zip_done, zip_failed: progress; done counts the rows
--   handled (their PDF in the ZIP or failed), failed those whose PDF
--   could not be made.
-- - zip_errors: [{"row":n,"recipient":"…","reason":"…"}] of those rows.
-- - zip_fingerprint: what the PDFs were made from (issued rows, the
--   template's design and its version, the organization's logo); a ready
--   ZIP is given out again while it is the same.
-- - zip_completed_at: when it was made; ZIPs older than the retention are
--   deleted with their blob (bulk_zip_purge).

-- +goose Up
ALTER TABLE issuance_batches ADD COLUMN zip_status TEXT CHECK (zip_status IN ('queued', 'running', 'ready', 'failed'));
ALTER TABLE issuance_batches ADD COLUMN zip_total INTEGER NOT NULL DEFAULT 0 CHECK (zip_total >= 0);
ALTER TABLE issuance_batches ADD COLUMN zip_done INTEGER NOT NULL DEFAULT 0 CHECK (zip_done >= 0);
ALTER TABLE issuance_batches ADD COLUMN zip_failed INTEGER NOT NULL DEFAULT 0 CHECK (zip_failed >= 0);
ALTER TABLE issuance_batches ADD COLUMN zip_errors JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(zip_errors) = 'array');
ALTER TABLE issuance_batches ADD COLUMN zip_error TEXT;
ALTER TABLE issuance_batches ADD COLUMN zip_key TEXT;
ALTER TABLE issuance_batches ADD COLUMN zip_fingerprint TEXT;
ALTER TABLE issuance_batches ADD COLUMN zip_requested_at TIMESTAMPTZ;
ALTER TABLE issuance_batches ADD COLUMN zip_completed_at TIMESTAMPTZ;
CREATE INDEX idx_issuance_batches_zip_completed_at ON issuance_batches (zip_completed_at);

-- +goose Down
DROP INDEX idx_issuance_batches_zip_completed_at;
ALTER TABLE issuance_batches DROP COLUMN zip_completed_at;
ALTER TABLE issuance_batches DROP COLUMN zip_requested_at;
ALTER TABLE issuance_batches DROP COLUMN zip_fingerprint;
ALTER TABLE issuance_batches DROP COLUMN zip_key;
ALTER TABLE issuance_batches DROP COLUMN zip_error;
ALTER TABLE issuance_batches DROP COLUMN zip_errors;
ALTER TABLE issuance_batches DROP COLUMN zip_failed;
ALTER TABLE issuance_batches DROP COLUMN zip_done;
ALTER TABLE issuance_batches DROP COLUMN zip_total;
ALTER TABLE issuance_batches DROP COLUMN zip_status;
