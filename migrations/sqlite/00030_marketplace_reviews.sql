-- SQLite dialect. Marketplace reviews and their moderation: see the
-- PostgreSQL migration of the same version. SQLite cannot add a NOT NULL
-- column with a foreign key, so template_reviews is rebuilt with its
-- reviewer's organization (reviews of users without one are dropped).

-- +goose Up
CREATE TABLE template_reviews_new (
    id              TEXT PRIMARY KEY NOT NULL,
    template_id     TEXT NOT NULL REFERENCES credential_templates (id) ON DELETE CASCADE,
    reviewer_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating          INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    review_text     TEXT,
    helpful_votes   INTEGER NOT NULL DEFAULT 0 CHECK (helpful_votes >= 0),
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    updated_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    hidden_at       DATETIME,
    hidden_reason   TEXT,
    CONSTRAINT uq_template_reviews_template_reviewer UNIQUE (template_id, reviewer_id)
);
INSERT INTO template_reviews_new (id, template_id, reviewer_id, rating, review_text, helpful_votes, created_at, organization_id, updated_at)
    SELECT r.id, r.template_id, r.reviewer_id, r.rating, r.review_text, r.helpful_votes, r.created_at, u.organization_id, r.created_at
    FROM template_reviews r JOIN users u ON u.id = r.reviewer_id WHERE u.organization_id IS NOT NULL;
DROP TABLE template_reviews;
ALTER TABLE template_reviews_new RENAME TO template_reviews;
CREATE INDEX idx_template_reviews_template_id ON template_reviews (template_id);
CREATE INDEX idx_template_reviews_reviewer_id ON template_reviews (reviewer_id);
CREATE INDEX idx_template_reviews_rating ON template_reviews (rating);
CREATE INDEX idx_template_reviews_organization_id ON template_reviews (organization_id);
CREATE INDEX idx_template_reviews_newest ON template_reviews (template_id, created_at, id);
CREATE INDEX idx_template_reviews_helpful ON template_reviews (template_id, helpful_votes, created_at, id);
CREATE TABLE template_review_votes (
    id              TEXT PRIMARY KEY NOT NULL,
    review_id       TEXT NOT NULL REFERENCES template_reviews (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_template_review_votes_user UNIQUE (review_id, user_id)
);
CREATE INDEX idx_template_review_votes_organization_id ON template_review_votes (organization_id);
CREATE TABLE marketplace_reports (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    reporter_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
    template_id     TEXT NOT NULL REFERENCES credential_templates (id) ON DELETE CASCADE,
    review_id       TEXT REFERENCES template_reviews (id) ON DELETE CASCADE,
    reason          TEXT NOT NULL CHECK (reason IN ('spam', 'offensive', 'misleading', 'copyright', 'other')),
    details         TEXT NOT NULL DEFAULT '',
    resolved_at     DATETIME,
    resolution      TEXT,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_marketplace_reports_organization_id ON marketplace_reports (organization_id);
CREATE INDEX idx_marketplace_reports_queue ON marketplace_reports (resolved_at, created_at, id);
CREATE INDEX idx_marketplace_reports_template ON marketplace_reports (template_id, review_id);
ALTER TABLE marketplace_listings ADD COLUMN unlisted_at DATETIME;
ALTER TABLE marketplace_listings ADD COLUMN unlisted_reason TEXT;

-- +goose Down
ALTER TABLE marketplace_listings DROP COLUMN unlisted_reason;
ALTER TABLE marketplace_listings DROP COLUMN unlisted_at;
DROP TABLE marketplace_reports;
DROP TABLE template_review_votes;
CREATE TABLE template_reviews_old (
    id            TEXT PRIMARY KEY NOT NULL,
    template_id   TEXT NOT NULL REFERENCES credential_templates (id) ON DELETE CASCADE,
    reviewer_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    review_text   TEXT,
    helpful_votes INTEGER NOT NULL DEFAULT 0 CHECK (helpful_votes >= 0),
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_template_reviews_template_reviewer UNIQUE (template_id, reviewer_id)
);
INSERT INTO template_reviews_old SELECT id, template_id, reviewer_id, rating, review_text, helpful_votes, created_at FROM template_reviews;
DROP TABLE template_reviews;
ALTER TABLE template_reviews_old RENAME TO template_reviews;
CREATE INDEX idx_template_reviews_template_id ON template_reviews (template_id);
CREATE INDEX idx_template_reviews_reviewer_id ON template_reviews (reviewer_id);
CREATE INDEX idx_template_reviews_rating ON template_reviews (rating);
