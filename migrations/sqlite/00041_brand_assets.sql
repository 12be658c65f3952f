-- SQLite dialect. An organization's image library (issue 19): images it
-- uploads for its custom CSS (url()) and its certificate designs (background,
-- signatures, seals), served at /brand-assets/<org id>/<name>.
--
-- - name: lower-case letters, digits, "-" and "_" (no dot, so it never meets
--   a favicon's file name); UNIQUE per organization, deleted rows included:
--   the file is served as immutable, so a name is never given to other bytes.
-- - content_type: from the bytes (blob.SniffImage), never from the upload.
-- - sha256, size, width, height: of the stored file (the header was checked
--   against blob.MaxSide before it was stored).
-- - The file is the blob orgs/<org id>/assets/<name>; deleted_at set when the
--   organization deleted it (the blob is gone, the name stays taken).

-- +goose Up
CREATE TABLE brand_assets (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    sha256          TEXT NOT NULL,
    size            INTEGER NOT NULL,
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    uploaded_by     TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    deleted_at      DATETIME,
    UNIQUE (organization_id, name)
);

-- +goose Down
DROP TABLE brand_assets;
