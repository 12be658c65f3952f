-- SQLite dialect. The platform operators' organizations console
-- (store.AllOrganizations) lists organizations in one of three orders with
-- keyset pagination: by lower(name) (ASCII letters folded, bytes
-- compared), by created_at, or by status then created_at, each ending with
-- id so that the order is total. One index per order lets each page start
-- at its cursor without sorting the table; (status, created_at, id) also
-- serves "status = X, newest first" and replaces the single-column status
-- index it starts with. The trigram
-- search index of the PostgreSQL dialect has no SQLite counterpart: a
-- search walks the order's index.

-- +goose Up
CREATE INDEX idx_organizations_name ON organizations (lower(name), id);
CREATE INDEX idx_organizations_created_at ON organizations (created_at, id);
CREATE INDEX idx_organizations_status_created_at ON organizations (status, created_at, id);
DROP INDEX idx_organizations_status;

-- +goose Down
CREATE INDEX idx_organizations_status ON organizations (status);
DROP INDEX idx_organizations_status_created_at;
DROP INDEX idx_organizations_created_at;
DROP INDEX idx_organizations_name;
