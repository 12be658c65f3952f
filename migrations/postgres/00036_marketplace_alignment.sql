-- PostgreSQL dialect. The catalogue's "Aligned to" filter (issue 18): the
-- Open Badges alignment targets of a listing's published version, as
-- "\nF:<framework>\nT:<target name>\n..." (each value once), which
-- store.AlignmentTerms writes on publishing and the filter matches with
-- strpos. The catalogue's walks look each listing up anyway, so the filter
-- is a check on a short column; the partial index serves the list of the
-- values present (only aligned listings are in it).

-- +goose Up
ALTER TABLE marketplace_listings ADD COLUMN alignment_terms TEXT NOT NULL DEFAULT '';
CREATE INDEX idx_marketplace_listings_alignment ON marketplace_listings (alignment_terms) WHERE alignment_terms <> '';

-- +goose Down
DROP INDEX idx_marketplace_listings_alignment;
ALTER TABLE marketplace_listings DROP COLUMN alignment_terms;
