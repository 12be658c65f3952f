-- PostgreSQL dialect. The issuer's credentials list (store.Scoped.Credentials)
-- shows one organization's credentials newest first, (created_at, id)
-- descending, with keyset pagination, optionally narrowed to a status, a
-- template, a schema, a range of days and a recipient search.
--
-- - idx_credentials_issuer_created (issuer_id, created_at, id), from 00009,
--   serves the unfiltered list and the day range; it starts with issuer_id,
--   so the single-column issuer_id index is redundant and is dropped.
-- - One btree per equality filter, each ending in (created_at, id), so that a
--   filtered page also starts at its cursor without sorting the
--   organization's credentials: (issuer_id, status, …), (issuer_id,
--   template_id, …), (issuer_id, schema_id, …). The single-column
--   template_id and schema_id indexes stay: they serve the ON DELETE lookups
--   of those foreign keys, which do not know the issuer.
-- - Recipient search is a substring of the recipient's name or address, any
--   case (ASCII folding, bytes compared: COLLATE "C", as the organizations
--   console does). A trigram index on that one expression (pg_trgm, created
--   by 00007) finds the matches of a rare term; a common one is answered by
--   walking the order's index. The query must use the very same expression
--   (store.recipientSearchExpr).

-- +goose Up
CREATE INDEX idx_credentials_issuer_status_created ON credentials (issuer_id, status, created_at, id);
CREATE INDEX idx_credentials_issuer_template_created ON credentials (issuer_id, template_id, created_at, id);
CREATE INDEX idx_credentials_issuer_schema_created ON credentials (issuer_id, schema_id, created_at, id);
CREATE INDEX idx_credentials_recipient_search ON credentials
    USING gin (lower((coalesce(recipient_name, '') || E'\n' || recipient_address) COLLATE "C") gin_trgm_ops);
DROP INDEX idx_credentials_issuer_id;

-- +goose Down
CREATE INDEX idx_credentials_issuer_id ON credentials (issuer_id);
DROP INDEX idx_credentials_recipient_search;
DROP INDEX idx_credentials_issuer_schema_created;
DROP INDEX idx_credentials_issuer_template_created;
DROP INDEX idx_credentials_issuer_status_created;
