-- PostgreSQL dialect. The platform operators' organizations console
-- (store.AllOrganizations) lists organizations in one of three orders with
-- keyset pagination: by name, by created_at, or by status then created_at,
-- each ending with id so that the order is total. One btree per order lets
-- each page start at its cursor without sorting the table; (status,
-- created_at, id) also serves "status = X, newest first" and replaces the
-- single-column status index it starts with.
--
-- Names and searches fold ASCII letters only and compare bytes (COLLATE
-- "C"): what SQLite's lower() does, so both dialects agree, and several
-- times faster than lower() in a UTF-8 locale.
--
-- Search is a substring of the name, slug or domain, any case. A trigram
-- index on that one expression finds the matches of a rare term without
-- reading the table (pg_trgm ships with PostgreSQL's contrib modules and is
-- a trusted extension: the database owner may create it). The query must use
-- the very same expression (store.orgSearchExpr). The Down section leaves the
-- extension installed: other objects may use it.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX idx_organizations_name ON organizations (lower(name COLLATE "C"), id);
CREATE INDEX idx_organizations_created_at ON organizations (created_at, id);
CREATE INDEX idx_organizations_status_created_at ON organizations (status, created_at, id);
CREATE INDEX idx_organizations_search ON organizations
    USING gin (lower((name || E'\n' || slug || E'\n' || coalesce(domain, '')) COLLATE "C") gin_trgm_ops);
DROP INDEX idx_organizations_status;

-- +goose Down
CREATE INDEX idx_organizations_status ON organizations (status);
DROP INDEX idx_organizations_search;
DROP INDEX idx_organizations_status_created_at;
DROP INDEX idx_organizations_created_at;
DROP INDEX idx_organizations_name;
