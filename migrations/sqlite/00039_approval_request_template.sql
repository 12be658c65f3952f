-- SQLite dialect. The approvals inbox's template and step filters as
-- index ranges (issue 17): the template filter was a sub-select over
-- credentials (every pending request of the organization read to keep
-- those of one template), the step filter a filter over the inbox index.
--
-- - approval_requests.template_id: the pending credential's template,
--   copied when the request is made (a pending credential's template
--   never changes) and backfilled here from credentials.template_id;
--   NULL for a credential issued without a template. No foreign key here
--   (SQLite cannot drop a column that has one, so Down could not run):
--   deleting a template leaves the id on its requests, where no filter
--   can name it any more (the inbox offers the organization's templates).
-- - idx_approval_requests_template (organization_id, status, template_id,
--   created_at, id) and idx_approval_requests_step (organization_id,
--   status, current_step, created_at, id): the inbox's keyset order under
--   each filter, as idx_approval_requests_schema does for the schema.
-- - idx_approval_requests_template_id (template_id): as on PostgreSQL.

-- +goose Up
ALTER TABLE approval_requests ADD COLUMN template_id TEXT;
UPDATE approval_requests SET template_id = (SELECT credentials.template_id FROM credentials WHERE credentials.id = approval_requests.credential_id);
CREATE INDEX idx_approval_requests_template ON approval_requests (organization_id, status, template_id, created_at, id);
CREATE INDEX idx_approval_requests_step ON approval_requests (organization_id, status, current_step, created_at, id);
CREATE INDEX idx_approval_requests_template_id ON approval_requests (template_id);

-- +goose Down
DROP INDEX idx_approval_requests_template_id;
DROP INDEX idx_approval_requests_step;
DROP INDEX idx_approval_requests_template;
ALTER TABLE approval_requests DROP COLUMN template_id;
