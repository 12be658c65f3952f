-- SQLite dialect. The issuer's credentials list (store.Scoped.Credentials):
-- see the PostgreSQL migration of the same version. SQLite has no trigram
-- index: a recipient search walks the order's index and filters.

-- +goose Up
CREATE INDEX idx_credentials_issuer_status_created ON credentials (issuer_id, status, created_at, id);
CREATE INDEX idx_credentials_issuer_template_created ON credentials (issuer_id, template_id, created_at, id);
CREATE INDEX idx_credentials_issuer_schema_created ON credentials (issuer_id, schema_id, created_at, id);
DROP INDEX idx_credentials_issuer_id;

-- +goose Down
CREATE INDEX idx_credentials_issuer_id ON credentials (issuer_id);
DROP INDEX idx_credentials_issuer_schema_created;
DROP INDEX idx_credentials_issuer_template_created;
DROP INDEX idx_credentials_issuer_status_created;
