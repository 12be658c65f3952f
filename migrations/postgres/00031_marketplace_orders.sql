-- PostgreSQL dialect. Indexed orders of the marketplace catalogue (issue 18,
-- 50,000 templates): each order but relevance walks an index of
-- marketplace_listings from its cursor and stops at the page's end.
--
-- - adoptions_30d: adoptions of the template in the 30 days before
--   trending_at, kept by the periodic marketplace_trending job
--   (store.RefreshMarketplaceTrending), so that trending is an indexed order.
--   trending_at is the end of the window the count covers, set on the rows
--   a refresh changes; the newest trending_at is the current window, which
--   a trending cursor carries (see docs/ARCHITECTURE.md).
-- - the rating order's key (average in thousandths) as an expression index;
--   store.marketplaceRatingKey is the same expression, character for
--   character.

-- +goose Up
ALTER TABLE marketplace_listings ADD COLUMN adoptions_30d INTEGER NOT NULL DEFAULT 0 CHECK (adoptions_30d >= 0);
ALTER TABLE marketplace_listings ADD COLUMN trending_at TIMESTAMPTZ;
CREATE INDEX idx_marketplace_listings_trending ON marketplace_listings (adoptions_30d, adoptions, template_id);
CREATE INDEX idx_marketplace_listings_trending_at ON marketplace_listings (trending_at);
CREATE INDEX idx_marketplace_listings_rating ON marketplace_listings ((CASE WHEN rating_count = 0 THEN 0 ELSE (rating_sum * 1000) / rating_count END), rating_count, template_id);

-- +goose Down
DROP INDEX idx_marketplace_listings_rating;
DROP INDEX idx_marketplace_listings_trending_at;
DROP INDEX idx_marketplace_listings_trending;
ALTER TABLE marketplace_listings DROP COLUMN trending_at;
ALTER TABLE marketplace_listings DROP COLUMN adoptions_30d;
