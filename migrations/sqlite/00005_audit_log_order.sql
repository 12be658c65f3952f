-- SQLite dialect. The audit trail is read newest first, (created_at, id)
-- descending, with keyset pagination, for one organization or for the whole
-- platform. These two indexes serve both orders without a sort and replace
-- the single-column ones they start with (a composite index serves its
-- prefix, including the foreign key's ON DELETE SET NULL lookups).

-- +goose Up
CREATE INDEX idx_audit_logs_organization_created_at ON audit_logs (organization_id, created_at, id);
CREATE INDEX idx_audit_logs_created_at_id ON audit_logs (created_at, id);
DROP INDEX idx_audit_logs_organization_id;
DROP INDEX idx_audit_logs_created_at;

-- +goose Down
CREATE INDEX idx_audit_logs_created_at ON audit_logs (created_at);
CREATE INDEX idx_audit_logs_organization_id ON audit_logs (organization_id);
DROP INDEX idx_audit_logs_created_at_id;
DROP INDEX idx_audit_logs_organization_created_at;
