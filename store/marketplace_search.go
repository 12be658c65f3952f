package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/datatypes"
	"gorm.io/gorm"

	textpkg "github.com/trustcred/trustcred/internal/text"
)

// The marketplace catalogue: public templates of active organizations,
// searched (PostgreSQL full text, SQLite FTS5), filtered, sorted and
// keyset-paged. Everything here reads across organizations on purpose,
// through CrossOrg: a template is in the catalogue while it has a listing
// (it was published), is public and active, and its organization is
// active. Nothing private of a template is read: the cards and the
// template page show the published version's snapshot.

// MarketplaceSort is an order of the catalogue.
type MarketplaceSort string

const (
	SortRelevance MarketplaceSort = "relevance" // full-text rank; without a search, most adopted
	SortRating    MarketplaceSort = "rating"    // average rating, then number of ratings
	SortAdopted   MarketplaceSort = "adopted"   // organizations using it
	SortNewest    MarketplaceSort = "newest"    // last published first
	SortTrending  MarketplaceSort = "trending"  // adoptions in the last TrendingWindow
)

// MarketplaceSorts lists the orders in the order the form shows them.
func MarketplaceSorts() []MarketplaceSort {
	return []MarketplaceSort{SortRelevance, SortRating, SortAdopted, SortNewest, SortTrending}
}

// Valid reports whether s is one of MarketplaceSorts.
func (s MarketplaceSort) Valid() bool { return slices.Contains(MarketplaceSorts(), s) }

// TrendingWindow is how far back the trending order counts adoptions.
const TrendingWindow = 30 * 24 * time.Hour

// Limits of the catalogue's inputs.
const (
	MaxMarketplaceQuery     = 100 // characters of a search
	maxSearchTerms          = 8   // words of a search that count
	DefaultMarketplacePage  = 24
	MaxMarketplacePage      = 100
	MaxMarketplaceMinRating = 5
)

// MarketplaceFilter selects templates of the catalogue. Zero fields select
// everything.
type MarketplaceFilter struct {
	Query        string           // words of the name, summary, description or field labels; each a prefix
	CategoryID   string           // this category and the categories under it
	Kind         TemplateType     // only this kind
	MinRating    int              // 1..5: only templates rated at least this on average
	VerifiedOnly bool             // only templates of verified organizations
	IssuerType   OrganizationType // only templates of organizations of this type
	Alignment    string           // only badges aligned to this framework or target name (exactly)
	Sort         MarketplaceSort  // "" is SortRelevance
}

// Validate checks every field, keyed as the catalogue's form names them
// (q, category, kind, issuer_type, min_rating, alignment, sort). Whether the category exists is
// for CrossOrg.Marketplace to say.
func (f MarketplaceFilter) Validate() FieldErrors {
	fe := FieldErrors{}
	if err := textpkg.Check(f.Query, textpkg.SingleLine); err != nil {
		fe["q"] = "The search " + err.Error()
	} else if utf8.RuneCountInString(f.Query) > MaxMarketplaceQuery {
		fe["q"] = fmt.Sprintf("The search must be at most %d characters long", MaxMarketplaceQuery)
	}
	if f.CategoryID != "" && !validUUID(f.CategoryID) {
		fe["category"] = "There is no such category: choose one from the list"
	}
	if f.Kind != "" && !f.Kind.Valid() {
		fe["kind"] = "Choose a kind from the list: diploma, certificate, license or badge"
	}
	if f.IssuerType != "" && !f.IssuerType.Valid() {
		fe["issuer_type"] = "Choose an issuer type from the list: educational, professional, government, corporate or association"
	}
	if f.MinRating < 0 || f.MinRating > MaxMarketplaceMinRating {
		fe["min_rating"] = "The minimum rating is a number of stars from 1 to 5"
	}
	if err := textpkg.Check(f.Alignment, textpkg.SingleLine); err != nil {
		fe["alignment"] = "The alignment " + err.Error()
	} else if utf8.RuneCountInString(f.Alignment) > 200 {
		fe["alignment"] = "There is no such alignment: choose one from the list"
	}
	if f.Sort != "" && !f.Sort.Valid() {
		fe["sort"] = "Choose an order from the list"
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

func (f MarketplaceFilter) sort() MarketplaceSort {
	s := f.Sort
	if s == "" {
		s = SortRelevance
	}
	if s == SortRelevance && len(searchTerms(f.Query)) == 0 {
		return SortAdopted // nothing to rank by
	}
	return s
}

// searchTerms splits a search into its words (letters and digits), in
// lower case, at most maxSearchTerms of them: the only part of a search
// that reaches the full-text query, so that no input can be a syntax
// error of either dialect's query language.
func searchTerms(q string) []string {
	words := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	var out []string
	for _, w := range words {
		if utf8.RuneCountInString(w) > 50 || slices.Contains(out, w) {
			continue
		}
		if out = append(out, w); len(out) == maxSearchTerms {
			break
		}
	}
	return out
}

// tsQuery is the PostgreSQL to_tsquery text of the terms: each a prefix,
// all required.
func tsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t + ":*"
	}
	return strings.Join(parts, " & ")
}

// ftsQuery is the SQLite FTS5 query of the terms: each quoted (they hold
// only letters and digits) and a prefix, all required.
func ftsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + t + `"*`
	}
	return strings.Join(parts, " ")
}

// MarketplacePage is which page of the catalogue to return: the first or
// the one after a cursor.
type MarketplacePage struct {
	After *Cursor
	Limit int // 1..MaxMarketplacePage, default DefaultMarketplacePage
}

// MarketplaceEntry is a template of the catalogue, as its card and page
// show it: the listing, its category, its issuer and the published
// version's snapshot (which the thumbnail renders).
type MarketplaceEntry struct {
	TemplateID     string
	Kind           TemplateType
	Licence        Licence
	Name           string
	Summary        string
	Description    string
	Version        int
	PublishedAt    time.Time
	Adoptions      int
	RatingCount    int
	RatingSum      int
	CategoryID     *string
	CategoryName   string
	CategoryIcon   string
	IssuerID       string
	IssuerName     string
	IssuerSlug     string
	IssuerVerified bool
	Snapshot       datatypes.JSONType[TemplateSnapshot]
	// IssuerAccent is the issuer's saved brand accent colour (#rrggbb), nil
	// for TrustCred's: its card's stripe (Search fills it).
	IssuerAccent *string `gorm:"-"`

	// The order's keys, computed by the query, for the cursor.
	SortRank   int64 `gorm:"column:sort_rank"` // the search tier
	SortRating int64 `gorm:"column:sort_rating"`
	SortRecent int64 `gorm:"column:sort_recent"`
}

// Rating is the average rating, 0 when nobody rated it.
func (e *MarketplaceEntry) Rating() float64 {
	if e.RatingCount == 0 {
		return 0
	}
	return float64(e.RatingSum) / float64(e.RatingCount)
}

// MarketplaceList is one page of the catalogue.
type MarketplaceList struct {
	Entries []MarketplaceEntry
	Next    *Cursor // the next page; nil on the last one
}

// ErrUnknownCategory is a category filter that names no active category.
var ErrUnknownCategory = fmt.Errorf("%w: unknown category", ErrBadFilter)

// Marketplace is one page of the catalogue: the listed templates matching
// f, in f's order, after p.After. A bad filter is ErrBadFilter wrapping
// its FieldErrors (an unknown category too); a cursor of another order,
// or of another trending window, ErrBadCursor.
//
// Every order is a keyset over integer keys computed by the query (the
// rank scaled to an integer, the average rating in thousandths) or the
// publication time, with the template id last so that the order is total.
// The trending order's cursor carries the end of its 30-day window, so
// that the pages of one walk count the same adoptions: the window of the
// last RefreshMarketplaceTrending (adoptions_30d, an indexed order) while
// no refresh came between, else the window itself, counted.
func (c *CrossOrg) Marketplace(ctx context.Context, f MarketplaceFilter, p MarketplacePage) (MarketplaceList, error) {
	if fe := f.Validate(); fe != nil {
		return MarketplaceList{}, fmt.Errorf("%w: %w", ErrBadFilter, fe)
	}
	sort := f.sort()
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultMarketplacePage
	}
	limit = min(limit, MaxMarketplacePage)
	if p.After != nil && !sort.fits(p.After) {
		return MarketplaceList{}, ErrBadCursor
	}
	// The trending window's end: the listings' adoptions_30d count the
	// window of the last refresh (an indexed order); a walk that began
	// before it, or a catalogue never refreshed, counts its own window.
	var windowEnd time.Time
	counted := false
	if sort == SortTrending {
		refreshed, err := c.trendingAt(ctx)
		if err != nil {
			return MarketplaceList{}, err
		}
		switch {
		case p.After != nil:
			windowEnd = p.After.At.UTC()
		case !refreshed.IsZero():
			windowEnd = refreshed
		default:
			windowEnd = time.Now().UTC().Truncate(time.Second).Add(time.Second)
		}
		counted = !refreshed.IsZero() && windowEnd.Equal(refreshed)
	}
	mq := marketplaceQuery{f: f, sort: sort, terms: searchTerms(f.Query), after: p.After, limit: limit + 1,
		windowEnd: windowEnd, counted: counted}
	if f.CategoryID != "" {
		ids, err := c.categoryTree(ctx, f.CategoryID)
		if err != nil {
			return MarketplaceList{}, err
		}
		mq.categories = ids
	}
	// An alignment few listings have: those listings (the partial index
	// of aligned listings, matched there) rather than a walk of every
	// listing until the page fills.
	if f.Alignment != "" {
		ids, err := c.alignedListings(ctx, f.Alignment, alignmentCutOff+1)
		if err != nil {
			return MarketplaceList{}, err
		}
		if len(ids) == 0 {
			return MarketplaceList{}, nil
		}
		if len(ids) <= alignmentCutOff {
			mq.aligned = ids
		}
	}
	var rows []MarketplaceEntry
	var err error
	switch {
	case len(mq.terms) > 0 && sort == SortRelevance:
		rows, err = c.searchRows(ctx, mq)
	case len(mq.terms) > 0:
		// Another order: a common word is a check of each listing of the
		// order's index walk (which a page of matches soon fills); a rarer
		// one starts from its matches and sorts them.
		if mq.walk, err = c.manyMatches(ctx, mq.terms); err == nil {
			rows, err = c.marketplaceRows(ctx, mq)
		}
	default:
		rows, err = c.marketplaceRows(ctx, mq)
	}
	if err != nil {
		return MarketplaceList{}, err
	}
	out := MarketplaceList{Entries: rows}
	if len(rows) > limit {
		out.Entries = rows[:limit]
		out.Next = sort.cursor(&out.Entries[limit-1], windowEnd)
	}
	if err := c.withAccents(ctx, out.Entries); err != nil {
		return MarketplaceList{}, err
	}
	if err := c.withSnapshots(ctx, out.Entries); err != nil {
		return MarketplaceList{}, err
	}
	return out, nil
}

// alignmentCutOff is the most listings of one alignment that the
// catalogue looks up by id; a commoner one is checked during the order's
// walk, which then fills its page soon.
const alignmentCutOff = 500

// alignedListings are the ids of at most limit listings aligned to a
// (a framework or a target name), listed or not.
func (c *CrossOrg) alignedListings(ctx context.Context, a string, limit int) ([]string, error) {
	find := "strpos(alignment_terms, ?) > 0"
	if c.dial == SQLite {
		find = "instr(alignment_terms, ?) > 0"
	}
	var ids []string
	err := c.db.WithContext(ctx).Table("marketplace_listings").Where("alignment_terms <> ''").
		Where("("+find+" OR "+find+")", "\nF:"+a+"\n", "\nT:"+a+"\n").Limit(limit).Pluck("id", &ids).Error
	return ids, err
}

// A search in relevance order ranks in tiers: the templates whose name
// holds every word first, then those whose name or summary does, then the
// rest (the words in the description or the field labels); each tier by
// adoptions, then template id. Every key of that order but the tier is the
// indexed adoptions order, so that a common word (a quarter of the
// catalogue) reads a bounded stretch of that index rather than ranking
// every match (BenchmarkMarketplace's search cases):
//   - a search of fewer than marketSearchFew matches ranks them all, in one query
//     driven by the full-text match;
//   - a commoner one fills its page tier by tier: each tier first walks the
//     next marketSearchWalk listings of the adoptions order after the cursor and
//     keeps the matches of that tier (they are the tier's first ones, in
//     order, as the walk reads the order itself); when they do not fill the
//     page (a filter or a tier that few templates pass), the tier is read
//     from its full-text match instead.
const (
	tierName        = 3 // every word in the name
	tierNameSummary = 2 // every word in the name or the summary
	tierAnywhere    = 1 // every word anywhere: description and field labels too
)

// marketSearchFew and marketSearchWalk bound a search's work (see above); variables for
// tests.
var (
	marketSearchFew  = 500
	marketSearchWalk = 1000
)

// tierColumns are the columns of the stored document a tier's words must be
// in: PostgreSQL weights (name A, summary B), SQLite FTS5 columns.
func tierColumns(d Dialect, tier int) string {
	switch {
	case tier == tierName && d == Postgres:
		return "A"
	case tier == tierName:
		return "{name} : "
	case tier == tierNameSummary && d == Postgres:
		return "AB"
	case tier == tierNameSummary:
		return "{name summary} : "
	}
	return ""
}

// matchIDs is the subquery of the listings (PostgreSQL ids, SQLite rowids)
// matching every term in the tier's columns.
func (c *CrossOrg) matchIDs(terms []string, tier int) (string, any) {
	cols := tierColumns(c.dial, tier)
	if c.dial == Postgres {
		parts := make([]string, len(terms))
		for i, t := range terms {
			parts[i] = t + ":*" + cols
		}
		return "SELECT listing_id FROM marketplace_search WHERE document @@ to_tsquery('english', ?)", strings.Join(parts, " & ")
	}
	q := ftsQuery(terms)
	if cols != "" {
		q = cols + "(" + q + ")"
	}
	return "SELECT rowid FROM marketplace_search WHERE marketplace_search MATCH ?", q
}

// matches is the condition that the listing l matches every term in the
// tier's columns; filter: as a check of each listing read (SQLite would
// otherwise start from the match).
func (c *CrossOrg) matches(terms []string, tier int, filter bool) (string, any) {
	sub, arg := c.matchIDs(terms, tier)
	switch {
	case c.dial == Postgres && filter:
		// The listing's own document, by its key: a subquery the planner
		// keeps per row (an IN would become a hash of every match).
		return "COALESCE((SELECT ms.document @@ to_tsquery('english', ?) FROM marketplace_search ms WHERE ms.listing_id = l.id), FALSE)", arg
	case c.dial == Postgres:
		return "l.id IN (" + sub + ")", arg
	case filter:
		return "+l.rowid IN (" + sub + ")", arg
	}
	return "l.rowid IN (" + sub + ")", arg
}

// searchRows is the page of a search in relevance order (the tiers above).
func (c *CrossOrg) searchRows(ctx context.Context, m marketplaceQuery) ([]MarketplaceEntry, error) {
	if many, err := c.manyMatches(ctx, m.terms); err != nil || !many {
		return c.marketplaceRows(ctx, m) // m.tier 0: every match ranked
	}
	start, top := tierName, []any(nil)
	if m.after != nil {
		vals, err := SortRelevance.cursorValues(m.after)
		if err != nil {
			return nil, err
		}
		start, top = int(min(max(vals[0].(int64), tierAnywhere), tierName)), vals[1:]
	}
	var out []MarketplaceEntry
	for tier := start; tier >= tierAnywhere && len(out) < m.limit; tier-- {
		tm := m
		tm.tier, tm.limit, tm.walkTop, tm.walkEnd, tm.walk = tier, m.limit-len(out), nil, nil, true
		if tier == start {
			tm.walkTop = top
		}
		end, err := c.walkEnd(ctx, tm.walkTop)
		if err != nil {
			return nil, err
		}
		tm.walkEnd = end
		rows, err := c.marketplaceRows(ctx, tm)
		if err == nil && end != nil && len(rows) < tm.limit {
			tm.walk, tm.walkTop, tm.walkEnd = false, nil, nil
			rows, err = c.marketplaceRows(ctx, tm)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// manyMatches reports whether the terms match marketSearchFew listings or
// more (the full-text index alone, stopping there).
func (c *CrossOrg) manyMatches(ctx context.Context, terms []string) (bool, error) {
	sub, arg := c.matchIDs(terms, tierAnywhere)
	var ids []string
	err := c.db.WithContext(ctx).Raw(sub+" LIMIT ?", arg, marketSearchFew).Scan(&ids).Error
	return len(ids) >= marketSearchFew, err
}

// walkEnd is the adoptions order's key (adoptions, template id) of the
// marketSearchWalk-th listing after top (nil: from the first); nil when fewer
// listings follow, so that a walk to the end reads them all. It reads the
// index alone.
func (c *CrossOrg) walkEnd(ctx context.Context, top []any) ([]any, error) {
	q := c.db.WithContext(ctx).Table("marketplace_listings")
	if top != nil {
		q = q.Where("(adoptions, template_id) < (?, ?)", top...)
	}
	var rows []struct {
		Adoptions  int64
		TemplateID string
	}
	err := q.Select("adoptions, template_id").Order("adoptions DESC, template_id DESC").Offset(marketSearchWalk - 1).Limit(1).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return []any{rows[0].Adoptions, rows[0].TemplateID}, nil
}

// marketplaceRows runs the catalogue query.
func (c *CrossOrg) marketplaceRows(ctx context.Context, m marketplaceQuery) ([]MarketplaceEntry, error) {
	q, err := c.marketplaceSQL(c.db.WithContext(ctx), m)
	if err != nil {
		return nil, err
	}
	var rows []MarketplaceEntry
	return rows, q.Scan(&rows).Error
}

// marketplaceQuery is what one catalogue query needs, resolved.
type marketplaceQuery struct {
	f          MarketplaceFilter
	sort       MarketplaceSort
	terms      []string // searchTerms(f.Query)
	categories []string // the category filter's tree; nil: no filter
	after      *Cursor
	limit      int
	windowEnd  time.Time // the trending order's window end
	counted    bool      // the listings' adoptions_30d count that window
	aligned    []string  // non-nil: only these listings (alignedListings)

	// A search in relevance order (searchRows): tier 0 ranks every match,
	// 1..3 reads that tier alone, from walkTop (exclusive; nil: the first)
	// to walkEnd (inclusive; nil: the last) of the adoptions order. walk:
	// the match is a check of each listing the order reads (a common
	// word), not where the query starts.
	tier             int
	walk             bool
	walkTop, walkEnd []any
}

// marketplaceSQL is the catalogue query: the page's entries without their
// snapshots, in the order's keys, at most m.limit of them.
func (c *CrossOrg) marketplaceSQL(db *gorm.DB, m marketplaceQuery) (*gorm.DB, error) {
	rank, rating, recent := "0", strings.ReplaceAll(marketplaceRatingKey, "rating_", "l.rating_"), "0"
	var rankArgs []any
	// The page is found without the snapshots (large JSON), which are read
	// for its entries alone (withSnapshots).
	// On SQLite, CROSS JOIN keeps the listings the outer loop: the order's
	// index is read from the cursor on and the template and organization
	// of each row looked up, until the page is full (its planner, without
	// statistics, would start from the active organizations and sort every
	// listed template). PostgreSQL's planner chooses that plan itself.
	// A search ranked by the text in any other order starts from the
	// full-text match instead (its planner would run the match once per
	// listing).
	join := "JOIN"
	ranked := len(m.terms) > 0 && m.sort == SortRelevance
	if c.dial == SQLite && (len(m.terms) == 0 || ranked || m.walk) {
		join = "CROSS JOIN"
	}
	inner := db.Table("marketplace_listings AS l").
		Joins(join+" credential_templates t ON t.id = l.template_id").
		Joins(join+" organizations o ON o.id = l.organization_id").
		Joins("LEFT JOIN template_categories cat ON cat.id = t.category_id").
		Where(listed, OrganizationActive)
	switch {
	case ranked && m.tier == 0:
		// Few matches: each ranked by the tier it is in.
		name, nameArg := c.matches(m.terms, tierName, false)
		summary, summaryArg := c.matches(m.terms, tierNameSummary, false)
		rank = fmt.Sprintf("CASE WHEN %s THEN %d WHEN %s THEN %d ELSE %d END", name, tierName, summary, tierNameSummary, tierAnywhere)
		rankArgs = []any{nameArg, summaryArg}
		all, arg := c.matches(m.terms, tierAnywhere, false)
		inner = inner.Where(all, arg)
	case ranked:
		// One tier: its matches, less those of the tier above.
		rank = strconv.Itoa(m.tier)
		in, arg := c.matches(m.terms, m.tier, m.walk)
		inner = inner.Where(in, arg)
		if m.tier < tierName {
			above, aboveArg := c.matches(m.terms, m.tier+1, true)
			inner = inner.Not(above, aboveArg)
		}
		if m.walkTop != nil {
			inner = inner.Where("(l.adoptions, l.template_id) < (?, ?)", m.walkTop...)
		}
		if m.walkEnd != nil {
			inner = inner.Where("(l.adoptions, l.template_id) >= (?, ?)", m.walkEnd...)
		}
	case len(m.terms) > 0 && m.walk: // matched, not ranked: a check of each listing
		in, arg := c.matches(m.terms, tierAnywhere, true)
		inner = inner.Where(in, arg)
	case len(m.terms) > 0: // matched, not ranked: from the matches
		if c.dial == Postgres {
			// marketplace_search holds each listing's stored document
			// (migration 00025's trigger), which the GIN index serves.
			inner = inner.Joins("JOIN marketplace_search ms ON ms.listing_id = l.id").
				Where("ms.document @@ to_tsquery('english', ?)", tsQuery(m.terms))
		} else {
			inner = inner.Joins("JOIN marketplace_search ON marketplace_search.rowid = l.rowid").
				Where("marketplace_search MATCH ?", ftsQuery(m.terms))
		}
	}
	switch {
	case m.sort == SortTrending && m.counted:
		recent = "l.adoptions_30d"
	case m.sort == SortTrending:
		// One pass over the window's adoptions, grouped, rather than a
		// count per listing.
		recent = "COALESCE(recent.n, 0)"
		inner = inner.Joins("LEFT JOIN (SELECT source_template_id, COUNT(*) AS n FROM template_adoptions WHERE created_at >= ? AND created_at < ? "+
			"GROUP BY source_template_id) recent ON recent.source_template_id = l.template_id", m.windowEnd.Add(-TrendingWindow), m.windowEnd)
	}
	if m.categories != nil {
		inner = inner.Where("t.category_id IN ?", m.categories)
	}
	if m.aligned != nil {
		inner = inner.Where("l.id IN ?", m.aligned)
	}
	if m.f.Kind != "" {
		inner = inner.Where("l.kind = ?", m.f.Kind)
	}
	if m.f.MinRating > 0 {
		inner = inner.Where("l.rating_count > 0 AND l.rating_sum >= l.rating_count * ?", m.f.MinRating)
	}
	if m.f.VerifiedOnly {
		inner = inner.Where("o.verified")
	}
	if m.f.IssuerType != "" {
		inner = inner.Where("o.type = ?", m.f.IssuerType)
	}
	if a := strings.TrimSpace(m.f.Alignment); a != "" {
		// The walks look each listing up anyway: a check of its short
		// column (BenchmarkMarketplace's alignment cases).
		find := "strpos(l.alignment_terms, ?) > 0"
		if c.dial == SQLite {
			find = "instr(l.alignment_terms, ?) > 0"
		}
		inner = inner.Where("("+find+" OR "+find+")", "\nF:"+a+"\n", "\nT:"+a+"\n")
	}
	inner = inner.Select("l.template_id, l.kind, l.licence, l.name, l.summary, l.description, l.version, l.published_at, "+
		"l.adoptions, l.rating_count, l.rating_sum, t.category_id, cat.name AS category_name, cat.icon AS category_icon, "+
		"o.id AS issuer_id, o.name AS issuer_name, o.slug AS issuer_slug, o.verified AS issuer_verified, "+
		rank+" AS sort_rank, "+rating+" AS sort_rating, "+recent+" AS sort_recent", rankArgs...)

	keys := m.sort.keys()
	q := db.Table("(?) AS m", inner)
	if m.after != nil {
		vals, err := m.sort.cursorValues(m.after)
		if err != nil {
			return nil, err
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ")
		q = q.Where("("+strings.Join(keys, ", ")+") < ("+marks+")", vals...)
	}
	order := make([]string, len(keys))
	for i, k := range keys {
		order[i] = k + " DESC"
	}
	return q.Order(strings.Join(order, ", ")).Limit(m.limit), nil
}

// withAccents reads each entry's issuer's brand accent colour (public: its
// public pages show it), one query for the page.
func (c *CrossOrg) withAccents(ctx context.Context, entries []MarketplaceEntry) error {
	ids := make([]string, 0, len(entries))
	for _, e := range entries {
		if !slices.Contains(ids, e.IssuerID) {
			ids = append(ids, e.IssuerID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var bs []OrganizationBranding
	if err := c.db.WithContext(ctx).Select("organization_id", "accent_color").
		Where("organization_id IN ? AND accent_color IS NOT NULL", ids).Find(&bs).Error; err != nil {
		return err
	}
	for i := range entries {
		for _, b := range bs {
			if b.OrganizationID == entries[i].IssuerID {
				entries[i].IssuerAccent = b.AccentColor
			}
		}
	}
	return nil
}

// withSnapshots reads the listed version's snapshot of each entry.
func (c *CrossOrg) withSnapshots(ctx context.Context, entries []MarketplaceEntry) error {
	if len(entries) == 0 {
		return nil
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.TemplateID
	}
	var vs []TemplateVersion
	if err := c.db.WithContext(ctx).Where("template_id IN ?", ids).Find(&vs).Error; err != nil {
		return err
	}
	for i := range entries {
		for _, v := range vs {
			if v.TemplateID == entries[i].TemplateID && v.Version == entries[i].Version {
				entries[i].Snapshot = v.Snapshot
			}
		}
	}
	return nil
}

// keys are the order's columns of the inner query, the template id last;
// every one descends.
func (s MarketplaceSort) keys() []string {
	switch s {
	case SortRelevance:
		return []string{"sort_rank", "adoptions", "template_id"}
	case SortRating:
		return []string{"sort_rating", "rating_count", "template_id"}
	case SortNewest:
		return []string{"published_at", "template_id"}
	case SortTrending:
		return []string{"sort_recent", "adoptions", "template_id"}
	}
	return []string{"adoptions", "template_id"}
}

// intKeys is how many integer keys the order's cursor carries in its Key.
func (s MarketplaceSort) intKeys() int {
	switch s {
	case SortNewest:
		return 0
	case SortRelevance, SortRating, SortTrending:
		return 2
	}
	return 1
}

// fits reports whether c was made by this order: its integer keys, and a
// time for the newest and trending orders.
func (s MarketplaceSort) fits(c *Cursor) bool {
	if _, err := parseIntKeys(c.Key, s.intKeys()); err != nil {
		return false
	}
	needsTime := s == SortNewest || s == SortTrending
	return needsTime == !c.At.IsZero()
}

func parseIntKeys(key string, n int) ([]int64, error) {
	if n == 0 {
		if key != "" {
			return nil, ErrBadCursor
		}
		return nil, nil
	}
	parts := strings.Split(key, ",")
	if len(parts) != n {
		return nil, ErrBadCursor
	}
	out := make([]int64, n)
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, ErrBadCursor
		}
		out[i] = v
	}
	return out, nil
}

func (s MarketplaceSort) cursorValues(c *Cursor) ([]any, error) {
	ints, err := parseIntKeys(c.Key, s.intKeys())
	if err != nil {
		return nil, err
	}
	var vals []any
	if s == SortNewest {
		vals = append(vals, c.At.UTC())
	}
	for _, v := range ints {
		vals = append(vals, v)
	}
	return append(vals, c.ID), nil
}

func (s MarketplaceSort) cursor(e *MarketplaceEntry, windowEnd time.Time) *Cursor {
	c := &Cursor{ID: e.TemplateID}
	join := func(v ...int64) string {
		p := make([]string, len(v))
		for i, x := range v {
			p[i] = strconv.FormatInt(x, 10)
		}
		return strings.Join(p, ",")
	}
	switch s {
	case SortRelevance:
		c.Key = join(e.SortRank, int64(e.Adoptions))
	case SortRating:
		c.Key = join(e.SortRating, int64(e.RatingCount))
	case SortNewest:
		c.At = e.PublishedAt.UTC()
	case SortTrending:
		c.Key, c.At = join(e.SortRecent, int64(e.Adoptions)), windowEnd
	default:
		c.Key = join(int64(e.Adoptions))
	}
	return c
}

// TemplateCategories lists the active categories, parents before their
// children, each level by name.
func (c *CrossOrg) TemplateCategories(ctx context.Context) ([]TemplateCategory, error) {
	var all []TemplateCategory
	if err := c.db.WithContext(ctx).Where("active").Order("name, id").Find(&all).Error; err != nil {
		return nil, err
	}
	byParent := map[string][]TemplateCategory{}
	ids := map[string]bool{}
	for _, cat := range all {
		ids[cat.ID] = true
	}
	for _, cat := range all {
		parent := ""
		if cat.ParentCategoryID != nil && ids[*cat.ParentCategoryID] {
			parent = *cat.ParentCategoryID
		}
		byParent[parent] = append(byParent[parent], cat)
	}
	var out []TemplateCategory
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		if depth > 10 { // a cycle of parents
			return
		}
		for _, cat := range byParent[parent] {
			out = append(out, cat)
			walk(cat.ID, depth+1)
		}
	}
	walk("", 0)
	return out, nil
}

// categoryTree is the category id and the ids of every active category
// under it; ErrUnknownCategory when it is not an active category.
func (c *CrossOrg) categoryTree(ctx context.Context, id string) ([]string, error) {
	all, err := c.TemplateCategories(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(all, func(cat TemplateCategory) bool { return cat.ID == id }) {
		return nil, fmt.Errorf("%w: %w", ErrUnknownCategory, FieldErrors{"category": "There is no such category: choose one from the list"})
	}
	out := []string{id}
	for grew := true; grew; { // categories whose parent is in, until none is added
		grew = false
		for _, cat := range all {
			if cat.ParentCategoryID != nil && slices.Contains(out, *cat.ParentCategoryID) && !slices.Contains(out, cat.ID) {
				out, grew = append(out, cat.ID), true
			}
		}
	}
	return out, nil
}

// MarketplaceTemplate is one template of the catalogue, as its page shows
// it; ErrNotFound when it is not listed (never published, unpublished,
// inactive, or its organization is not active).
func (c *CrossOrg) MarketplaceTemplate(ctx context.Context, id string) (*MarketplaceEntry, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var e MarketplaceEntry
	err := c.db.WithContext(ctx).Table("marketplace_listings AS l").
		Joins("JOIN credential_templates t ON t.id = l.template_id").
		Joins("JOIN organizations o ON o.id = l.organization_id").
		Joins("JOIN template_versions v ON v.template_id = l.template_id AND v.version = l.version").
		Joins("LEFT JOIN template_categories cat ON cat.id = t.category_id").
		Where(listed+" AND l.template_id = ?", OrganizationActive, id).
		Select("l.template_id, l.kind, l.licence, l.name, l.summary, l.description, l.version, l.published_at, " +
			"l.adoptions, l.rating_count, l.rating_sum, t.category_id, cat.name AS category_name, cat.icon AS category_icon, " +
			"o.id AS issuer_id, o.name AS issuer_name, o.slug AS issuer_slug, o.verified AS issuer_verified, v.snapshot").
		Take(&e).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &e, nil
}

// ListedVersion is one published version of a listed template.
type ListedVersion struct {
	Version     int
	PublishedAt time.Time
}

// MarketplaceVersions is the version history of a listed template, newest
// first (ErrNotFound when it is not listed): its published versions and
// when each was published.
func (c *CrossOrg) MarketplaceVersions(ctx context.Context, id string) ([]ListedVersion, error) {
	if _, err := c.MarketplaceTemplate(ctx, id); err != nil {
		return nil, err
	}
	var out []ListedVersion
	err := c.db.WithContext(ctx).Model(&TemplateVersion{}).Where("template_id = ?", id).
		Order("version DESC").Select("version, published_at").Scan(&out).Error
	return out, err
}

// marketplaceRatingKey is the rating order's first key, the average rating
// in thousandths: the expression of migration 00031's
// idx_marketplace_listings_rating, character for character, so that the
// order walks that index.
const marketplaceRatingKey = "CASE WHEN rating_count = 0 THEN 0 ELSE (rating_sum * 1000) / rating_count END"

// RefreshMarketplaceTrending sets each listing's adoptions_30d to its
// adoptions in the 30 days (TrendingWindow) before at, and trending_at to
// at on the listings whose count changed; the others' counts are already
// those of that window. It is idempotent: a second run at the same time
// changes nothing. It returns how many listings changed.
//
// Between two refreshes every listing's count is that of the window ending
// at the newest trending_at (a listing published since has no adoptions
// before it), which the trending order's cursor carries: a walk that
// started before a refresh goes on counting its own window.
func (db *DB) RefreshMarketplaceTrending(ctx context.Context, at time.Time) (int64, error) {
	at = at.UTC().Truncate(time.Second)
	res := db.gorm.WithContext(ctx).Exec(`UPDATE marketplace_listings SET adoptions_30d = c.n, trending_at = ?
		FROM (SELECT l.id, (SELECT COUNT(*) FROM template_adoptions a WHERE a.source_template_id = l.template_id
			AND a.created_at >= ? AND a.created_at < ?) AS n FROM marketplace_listings l) c
		WHERE c.id = marketplace_listings.id AND c.n <> marketplace_listings.adoptions_30d`,
		at, at.Add(-TrendingWindow), at)
	return res.RowsAffected, res.Error
}

// trendingAt is the end of the window the listings' adoptions_30d count:
// the newest refresh that changed one; zero before the first.
func (c *CrossOrg) trendingAt(ctx context.Context) (time.Time, error) {
	var at []time.Time
	err := c.db.WithContext(ctx).Model(&MarketplaceListing{}).Where("trending_at IS NOT NULL").
		Order("trending_at DESC").Limit(1).Pluck("trending_at", &at).Error
	if err != nil || len(at) == 0 {
		return time.Time{}, err
	}
	return at[0].UTC(), nil
}

// AlignmentTargets are the values the catalogue's "Aligned to" filter
// offers: the frameworks and target names of the listed templates.
type AlignmentTargets struct {
	Frameworks []string
	Targets    []string
}

// MarketplaceAlignments lists the frameworks and target names that listed
// templates align to, each once, sorted (the partial index of aligned
// listings serves it).
func (c *CrossOrg) MarketplaceAlignments(ctx context.Context) (AlignmentTargets, error) {
	var terms []string
	err := c.db.WithContext(ctx).Table("marketplace_listings AS l").
		Joins("JOIN credential_templates t ON t.id = l.template_id").
		Joins("JOIN organizations o ON o.id = l.organization_id").
		Where("l.alignment_terms <> '' AND t.is_public AND t.active AND o.status = ?", OrganizationActive).
		Distinct("l.alignment_terms").Pluck("l.alignment_terms", &terms).Error
	if err != nil {
		return AlignmentTargets{}, err
	}
	fw, tg := map[string]bool{}, map[string]bool{}
	for _, t := range terms {
		for _, line := range strings.Split(t, "\n") {
			if v, ok := strings.CutPrefix(line, "F:"); ok {
				fw[v] = true
			} else if v, ok := strings.CutPrefix(line, "T:"); ok {
				tg[v] = true
			}
		}
	}
	out := AlignmentTargets{Frameworks: slices.Sorted(maps.Keys(fw)), Targets: slices.Sorted(maps.Keys(tg))}
	return out, nil
}
