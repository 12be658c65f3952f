-- PostgreSQL dialect. The template marketplace: what a published template
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
-- - marketplace_search: the stored full-text document of each listing (GIN),
--   kept current by a trigger; the SQLite dialect has an FTS5 table of the
--   same name.
-- - template_versions: the snapshot adopters copy (template data without
--   defaults or design, and the schema); one row per (template, version).
-- - template_adoptions: the copy (template_id), where it came from (the
--   source template and version, with its name and issuer as they were)
--   and who adopted it. (source_template_id, created_at) counts the
--   adoptions of the last 30 days (the trending order).

-- +goose Up
ALTER TABLE credential_templates ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
CREATE TABLE marketplace_listings (
    id              UUID PRIMARY KEY,
    template_id     UUID NOT NULL REFERENCES credential_templates (id) ON DELETE CASCADE,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('diploma', 'certificate', 'license', 'badge')),
    licence         TEXT NOT NULL CHECK (licence IN ('CC0-1.0', 'CC-BY-4.0', 'CC-BY-SA-4.0', 'CC-BY-ND-4.0')),
    name            TEXT NOT NULL,
    summary         TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    labels          TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL CHECK (version >= 1),
    published_at    TIMESTAMPTZ NOT NULL,
    adoptions       INTEGER NOT NULL DEFAULT 0 CHECK (adoptions >= 0),
    rating_count    INTEGER NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
    rating_sum      INTEGER NOT NULL DEFAULT 0 CHECK (rating_sum >= 0),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_marketplace_listings_template UNIQUE (template_id)
);
CREATE INDEX idx_marketplace_listings_organization_id ON marketplace_listings (organization_id);
CREATE INDEX idx_marketplace_listings_published_at ON marketplace_listings (published_at, template_id);
CREATE INDEX idx_marketplace_listings_adoptions ON marketplace_listings (adoptions, template_id);
-- The full-text document of each listing, kept by a trigger on the
-- listing's text (name A, summary B, description and field labels C):
-- stored, so that ranking reads it instead of parsing the text again for
-- every match. store.marketplaceVector is the same expression.
CREATE TABLE marketplace_search (
    listing_id UUID PRIMARY KEY REFERENCES marketplace_listings (id) ON DELETE CASCADE,
    document   TSVECTOR NOT NULL
);
CREATE INDEX idx_marketplace_search_document ON marketplace_search USING GIN (document);
-- +goose StatementBegin
CREATE FUNCTION marketplace_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO marketplace_search (listing_id, document) VALUES (NEW.id,
        setweight(to_tsvector('english'::regconfig, NEW.name), 'A') ||
        setweight(to_tsvector('english'::regconfig, NEW.summary), 'B') ||
        setweight(to_tsvector('english'::regconfig, NEW.description || ' ' || NEW.labels), 'C'))
    ON CONFLICT (listing_id) DO UPDATE SET document = EXCLUDED.document;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER marketplace_search_refresh AFTER INSERT OR UPDATE OF name, summary, description, labels ON marketplace_listings
    FOR EACH ROW EXECUTE FUNCTION marketplace_search_refresh();
CREATE TABLE template_versions (
    id           UUID PRIMARY KEY,
    template_id  UUID NOT NULL REFERENCES credential_templates (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL CHECK (version >= 1),
    snapshot     JSONB NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_template_versions_version UNIQUE (template_id, version)
);
CREATE TABLE template_adoptions (
    id                 UUID PRIMARY KEY,
    organization_id    UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    template_id        UUID NOT NULL REFERENCES credential_templates (id) ON DELETE CASCADE,
    source_template_id UUID REFERENCES credential_templates (id) ON DELETE SET NULL,
    source_version     INTEGER NOT NULL CHECK (source_version >= 1),
    source_name        TEXT NOT NULL,
    source_issuer      TEXT NOT NULL,
    adopted_by         UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_template_adoptions_template UNIQUE (template_id)
);
CREATE INDEX idx_template_adoptions_organization_id ON template_adoptions (organization_id);
CREATE INDEX idx_template_adoptions_source ON template_adoptions (source_template_id, created_at);

-- +goose Down
DROP TABLE template_adoptions;
DROP TABLE template_versions;
DROP TRIGGER marketplace_search_refresh ON marketplace_listings;
DROP FUNCTION marketplace_search_refresh();
DROP TABLE marketplace_search;
DROP TABLE marketplace_listings;
ALTER TABLE credential_templates DROP COLUMN version;
