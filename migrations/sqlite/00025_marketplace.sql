-- SQLite dialect. The template marketplace: what a published template
-- offers, each published version, and who adopted which version.
--
-- - credential_templates.version: 1 when created, one more on each change
--   (store.UpdateTemplate); a published version is a snapshot of one.
-- - marketplace_listings: one row per template that was ever published;
--   the template is in the catalogue while credential_templates.is_public
--   (and active, and its organization active). kind, name, summary,
--   description and labels (the schema's field labels) are copied from the
--   published version, so the catalogue filters and searches without
--   reading JSON. adoptions, rating_count and rating_sum are aggregates the
--   adoption and review doors keep in their transactions.
-- - marketplace_search: an FTS5 index over those columns, its content the
--   listings table itself (content_rowid: the listing's rowid), kept
--   current by the triggers below; the store ranks with bm25 (weights:
--   name 10, summary 5, description and field labels 2).
-- - template_versions: the snapshot adopters copy (template data without
--   defaults or design, and the schema); one row per (template, version).
-- - template_adoptions: the copy (template_id), where it came from (the
--   source template and version, with its name and issuer as they were)
--   and who adopted it. (source_template_id, created_at) counts the
--   adoptions of the last 30 days (the trending order).

-- +goose Up
ALTER TABLE credential_templates ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
CREATE TABLE marketplace_listings (
    id              TEXT PRIMARY KEY NOT NULL,
    template_id     TEXT NOT NULL REFERENCES credential_templates (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('diploma', 'certificate', 'license', 'badge')),
    licence         TEXT NOT NULL CHECK (licence IN ('CC0-1.0', 'CC-BY-4.0', 'CC-BY-SA-4.0', 'CC-BY-ND-4.0')),
    name            TEXT NOT NULL,
    summary         TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    labels          TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL CHECK (version >= 1),
    published_at    DATETIME NOT NULL,
    adoptions       INTEGER NOT NULL DEFAULT 0 CHECK (adoptions >= 0),
    rating_count    INTEGER NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
    rating_sum      INTEGER NOT NULL DEFAULT 0 CHECK (rating_sum >= 0),
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_marketplace_listings_template UNIQUE (template_id)
);
CREATE INDEX idx_marketplace_listings_organization_id ON marketplace_listings (organization_id);
CREATE INDEX idx_marketplace_listings_published_at ON marketplace_listings (published_at, template_id);
CREATE INDEX idx_marketplace_listings_adoptions ON marketplace_listings (adoptions, template_id);
CREATE VIRTUAL TABLE marketplace_search USING fts5(name, summary, description, labels, content='marketplace_listings', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2');
-- +goose StatementBegin
CREATE TRIGGER marketplace_search_insert AFTER INSERT ON marketplace_listings BEGIN
    INSERT INTO marketplace_search (rowid, name, summary, description, labels) VALUES (new.rowid, new.name, new.summary, new.description, new.labels);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER marketplace_search_delete AFTER DELETE ON marketplace_listings BEGIN
    INSERT INTO marketplace_search (marketplace_search, rowid, name, summary, description, labels) VALUES ('delete', old.rowid, old.name, old.summary, old.description, old.labels);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER marketplace_search_update AFTER UPDATE OF name, summary, description, labels ON marketplace_listings BEGIN
    INSERT INTO marketplace_search (marketplace_search, rowid, name, summary, description, labels) VALUES ('delete', old.rowid, old.name, old.summary, old.description, old.labels);
    INSERT INTO marketplace_search (rowid, name, summary, description, labels) VALUES (new.rowid, new.name, new.summary, new.description, new.labels);
END;
-- +goose StatementEnd
CREATE TABLE template_versions (
    id           TEXT PRIMARY KEY NOT NULL,
    template_id  TEXT NOT NULL REFERENCES credential_templates (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL CHECK (version >= 1),
    snapshot     TEXT NOT NULL,
    published_at DATETIME NOT NULL,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_template_versions_version UNIQUE (template_id, version)
);
CREATE TABLE template_adoptions (
    id                 TEXT PRIMARY KEY NOT NULL,
    organization_id    TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    template_id        TEXT NOT NULL REFERENCES credential_templates (id) ON DELETE CASCADE,
    source_template_id TEXT REFERENCES credential_templates (id) ON DELETE SET NULL,
    source_version     INTEGER NOT NULL CHECK (source_version >= 1),
    source_name        TEXT NOT NULL,
    source_issuer      TEXT NOT NULL,
    adopted_by         TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at         DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_template_adoptions_template UNIQUE (template_id)
);
CREATE INDEX idx_template_adoptions_organization_id ON template_adoptions (organization_id);
CREATE INDEX idx_template_adoptions_source ON template_adoptions (source_template_id, created_at);

-- +goose Down
DROP TABLE template_adoptions;
DROP TABLE template_versions;
DROP TRIGGER marketplace_search_update;
DROP TRIGGER marketplace_search_delete;
DROP TRIGGER marketplace_search_insert;
DROP TABLE marketplace_search;
DROP TABLE marketplace_listings;
ALTER TABLE credential_templates DROP COLUMN version;
