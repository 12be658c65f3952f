-- SQLite dialect. The branding look's display font (issue 19): one of the fonts embedded
-- in TrustCred (internal/branding.Fonts, checked when saved: the set is code,
-- not schema), applied to the headings of the organization's public pages and
-- named first in its emails' font stack; NULL keeps TrustCred's font. Part of
-- the look, so also of previous_version (JSON) and its revert.

-- +goose Up
ALTER TABLE organization_branding ADD COLUMN display_font TEXT;

-- +goose Down
ALTER TABLE organization_branding DROP COLUMN display_font;
