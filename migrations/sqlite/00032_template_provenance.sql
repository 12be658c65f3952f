-- SQLite dialect. Signed provenance of marketplace templates (issue 18).
--
-- - template_versions.provenance: the published version signed by the
--   publisher's issuer key (a JSON document with an eddsa-jcs-2022
--   DataIntegrityProof: the template's id, version, the publisher's DID and
--   the snapshot); NULL for versions published before signing existed.
-- - template_adoptions.provenance: the signed document of the version the
--   copy was made from (or last updated to), kept with the copy so that its
--   origin verifies even once the source is gone.

-- +goose Up
ALTER TABLE template_versions ADD COLUMN provenance TEXT
    CHECK (provenance IS NULL OR json_type(provenance) = 'object');
ALTER TABLE template_adoptions ADD COLUMN provenance TEXT
    CHECK (provenance IS NULL OR json_type(provenance) = 'object');

-- +goose Down
ALTER TABLE template_adoptions DROP COLUMN provenance;
ALTER TABLE template_versions DROP COLUMN provenance;
