-- PostgreSQL dialect. Branding editor (issue 19): the look an organization
-- saved before its current one, so that "Revert" can bring it back.
--
-- - organization_branding.previous_version: JSON object of the previous
--   look (store.BrandingLook: colours and sanitized custom CSS); NULL until
--   the look is saved a second time. Reverting swaps it with the current
--   look, so a second revert undoes the first.

-- +goose Up
ALTER TABLE organization_branding ADD COLUMN previous_version JSONB
    CHECK (previous_version IS NULL OR jsonb_typeof(previous_version) = 'object');

-- +goose Down
ALTER TABLE organization_branding DROP COLUMN previous_version;
