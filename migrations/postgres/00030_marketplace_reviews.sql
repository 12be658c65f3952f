-- PostgreSQL dialect. Marketplace reviews and their moderation (issue 18).
--
-- - template_reviews gains its reviewer's organization (organization_id,
--   the tenant column: reviews are written through the reviewer's scoped
--   handle), updated_at (reviews are editable by their author) and the
--   moderation columns: a hidden review (hidden_at) stays in the table but
--   leaves the page and the listing's aggregates. Existing rows take their
--   reviewer's organization; reviews of users without one are dropped.
-- - template_review_votes: one "Helpful" vote per user and review.
-- - marketplace_reports: reports of abuse, of a review (review_id) or of a
--   template (review_id NULL), with a reason from a short list; resolved_at
--   is set when a super admin acts on them (the moderation queue is the
--   unresolved ones).
-- - marketplace_listings gains unlisted_at/unlisted_reason: a template a
--   super admin took out of the catalogue, whatever its publisher's
--   is_public says.

-- +goose Up
ALTER TABLE template_reviews ADD COLUMN organization_id UUID REFERENCES organizations (id) ON DELETE CASCADE;
UPDATE template_reviews r SET organization_id = u.organization_id FROM users u WHERE u.id = r.reviewer_id;
DELETE FROM template_reviews WHERE organization_id IS NULL;
ALTER TABLE template_reviews ALTER COLUMN organization_id SET NOT NULL;
ALTER TABLE template_reviews ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE template_reviews ADD COLUMN hidden_at TIMESTAMPTZ;
ALTER TABLE template_reviews ADD COLUMN hidden_reason TEXT;
CREATE INDEX idx_template_reviews_organization_id ON template_reviews (organization_id);
CREATE INDEX idx_template_reviews_newest ON template_reviews (template_id, created_at, id);
CREATE INDEX idx_template_reviews_helpful ON template_reviews (template_id, helpful_votes, created_at, id);
CREATE TABLE template_review_votes (
    id              UUID PRIMARY KEY,
    review_id       UUID NOT NULL REFERENCES template_reviews (id) ON DELETE CASCADE,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_template_review_votes_user UNIQUE (review_id, user_id)
);
CREATE INDEX idx_template_review_votes_organization_id ON template_review_votes (organization_id);
CREATE TABLE marketplace_reports (
    id              UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    reporter_id     UUID REFERENCES users (id) ON DELETE SET NULL,
    template_id     UUID NOT NULL REFERENCES credential_templates (id) ON DELETE CASCADE,
    review_id       UUID REFERENCES template_reviews (id) ON DELETE CASCADE,
    reason          TEXT NOT NULL CHECK (reason IN ('spam', 'offensive', 'misleading', 'copyright', 'other')),
    details         TEXT NOT NULL DEFAULT '',
    resolved_at     TIMESTAMPTZ,
    resolution      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_marketplace_reports_organization_id ON marketplace_reports (organization_id);
CREATE INDEX idx_marketplace_reports_queue ON marketplace_reports (resolved_at, created_at, id);
CREATE INDEX idx_marketplace_reports_template ON marketplace_reports (template_id, review_id);
ALTER TABLE marketplace_listings ADD COLUMN unlisted_at TIMESTAMPTZ;
ALTER TABLE marketplace_listings ADD COLUMN unlisted_reason TEXT;

-- +goose Down
ALTER TABLE marketplace_listings DROP COLUMN unlisted_reason;
ALTER TABLE marketplace_listings DROP COLUMN unlisted_at;
DROP TABLE marketplace_reports;
DROP TABLE template_review_votes;
DROP INDEX idx_template_reviews_helpful;
DROP INDEX idx_template_reviews_newest;
DROP INDEX idx_template_reviews_organization_id;
ALTER TABLE template_reviews DROP COLUMN hidden_reason;
ALTER TABLE template_reviews DROP COLUMN hidden_at;
ALTER TABLE template_reviews DROP COLUMN updated_at;
ALTER TABLE template_reviews DROP COLUMN organization_id;
