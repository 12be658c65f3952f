package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
)

// The platform operators' organizations console: every organization,
// searched, filtered, sorted and paged, and the lifecycle actions on one.
// Everything here is platform-wide: only the Platform() guard leads here.

// OrganizationSort is an order of the organizations console.
type OrganizationSort string

const (
	SortOrganizationsByCreated OrganizationSort = "created" // created_at, id
	SortOrganizationsByName    OrganizationSort = "name"    // name in ASCII lower case, id
	SortOrganizationsByStatus  OrganizationSort = "status"  // status, created_at, id
)

// Valid reports whether s is one of the console's orders.
func (s OrganizationSort) Valid() bool {
	_, ok := orgOrder[s]
	return ok
}

// orgOrder is each order's key, id last so that the order is total. Each
// has its index (migration 00007); the expressions must stay exactly
// those of the indexes. nameKey stands for the name's, which depends on the
// dialect.
var orgOrder = map[OrganizationSort][]string{
	SortOrganizationsByCreated: {"created_at", "id"},
	SortOrganizationsByName:    {nameKey, "id"},
	SortOrganizationsByStatus:  {"status", "created_at", "id"},
}

const nameKey = "{name}"

// orgNameKey is the name's sort key: the name with its ASCII letters in
// lower case, compared byte by byte. SQLite's lower() and BINARY collation
// do exactly that; on PostgreSQL the "C" collation does, and it is also
// several times faster than lower() in a UTF-8 locale, which matters to a
// search that reads thousands of rows. Both dialects order names alike.
func orgNameKey(d Dialect) string {
	if d == Postgres {
		return `lower(name COLLATE "C")`
	}
	return "lower(name)"
}

// asciiLower lowers the ASCII letters of s only, as the database does.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// OrganizationFilter selects organizations. Zero fields select everything.
type OrganizationFilter struct {
	Query    string             // part of the name, slug or domain, any case
	Type     OrganizationType   // only this type
	Status   OrganizationStatus // only this status
	Verified *bool              // only verified (true) or unverified (false) ones
	Sort     OrganizationSort   // "" is SortOrganizationsByCreated
	Desc     bool               // descending
}

// MaxOrganizationQuery is the longest search term, in characters.
const MaxOrganizationQuery = 100

// ErrBadFilter is returned for a filter value that is not one of the
// allowed ones. Handlers validate first; this keeps a bad value out of SQL.
var ErrBadFilter = errors.New("invalid filter")

// Validate checks every field against its allowed values.
func (f OrganizationFilter) Validate() error {
	switch {
	case f.Type != "" && !f.Type.Valid():
		return fmt.Errorf("%w: type %q", ErrBadFilter, f.Type)
	case f.Status != "" && !f.Status.Valid():
		return fmt.Errorf("%w: status %q", ErrBadFilter, f.Status)
	case f.Sort != "" && !f.Sort.Valid():
		return fmt.Errorf("%w: sort %q", ErrBadFilter, f.Sort)
	case !utf8.ValidString(f.Query) || strings.ContainsRune(f.Query, 0):
		return fmt.Errorf("%w: search is not text", ErrBadFilter)
	case utf8.RuneCountInString(f.Query) > MaxOrganizationQuery:
		return fmt.Errorf("%w: search longer than %d characters", ErrBadFilter, MaxOrganizationQuery)
	}
	return nil
}

func (f OrganizationFilter) sort() OrganizationSort {
	if f.Sort == "" {
		return SortOrganizationsByCreated
	}
	return f.Sort
}

// OrganizationPage is which page of the list to return: the first, the
// one after a cursor (Next) or the one before it (Previous).
type OrganizationPage struct {
	After  *Cursor
	Before *Cursor
	Limit  int // 1..MaxOrganizationPage, default DefaultOrganizationPage
}

// Page sizes of the organizations console.
const (
	DefaultOrganizationPage = 50
	MaxOrganizationPage     = 200
)

// OrganizationEntry is an organization as the console shows it.
type OrganizationEntry struct {
	Organization
	Members int64 // users of the organization who are not deactivated
}

// OrganizationList is one page of the console.
type OrganizationList struct {
	Entries []OrganizationEntry
	Next    *Cursor // the next page; nil on the last one
	Prev    *Cursor // the previous page; nil on the first one
}

// Fits reports whether c is a position in this order: the name order's
// cursor is the name's sort key and the id; the creation order's, the time
// and the id; the status order's, the status, the time and the id.
func (s OrganizationSort) Fits(c *Cursor) bool {
	switch s {
	case SortOrganizationsByName:
		return c.Key != "" && c.At.IsZero()
	case SortOrganizationsByCreated:
		return c.Timed()
	case SortOrganizationsByStatus:
		return OrganizationStatus(c.Key).Valid() && !c.At.IsZero()
	}
	return false
}

// orgKey is the cursor's values in the order's columns.
func orgKey(s OrganizationSort, c *Cursor) []any {
	switch s {
	case SortOrganizationsByName:
		return []any{c.Key, c.ID}
	case SortOrganizationsByStatus:
		return []any{c.Key, c.At.UTC(), c.ID}
	}
	return []any{c.At.UTC(), c.ID}
}

// orgRow is a row of the console's queries: the organization and the name
// key the database computed, for the cursor.
type orgRow struct {
	Organization
	SortName string `gorm:"column:sort_name"`
}

func (r *orgRow) cursor(s OrganizationSort) *Cursor {
	c := &Cursor{ID: r.ID}
	switch s {
	case SortOrganizationsByName:
		c.Key = r.SortName
	case SortOrganizationsByStatus:
		c.Key, c.At = string(r.Status), r.CreatedAt.UTC()
	default:
		c.At = r.CreatedAt.UTC()
	}
	return c
}

// searchWalk is how many rows of the order a search examines before it
// looks the matches up by the search index instead (see orgQuery.rows).
var searchWalk = 300

// AllOrganizations is one page of every organization on the platform
// matching f, in f's order: for platform operators only.
//
// Pagination is by keyset: a page starts right after (or, going back,
// right before) its cursor, which the order's index seeks to, so the last
// page of 100,000 organizations costs what the first does. A bad filter is
// ErrBadFilter; a cursor of another order, or both After and Before,
// ErrBadCursor.
func (db *DB) AllOrganizations(ctx context.Context, f OrganizationFilter, p OrganizationPage) (OrganizationList, error) {
	if err := f.Validate(); err != nil {
		return OrganizationList{}, err
	}
	sort := f.sort()
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultOrganizationPage
	}
	limit = min(limit, MaxOrganizationPage)
	cur, backward := p.After, false
	if p.Before != nil {
		if p.After != nil {
			return OrganizationList{}, ErrBadCursor
		}
		cur, backward = p.Before, true
	}
	if cur != nil && !sort.Fits(cur) {
		return OrganizationList{}, ErrBadCursor
	}
	q := orgQuery{f: f, sort: sort, cur: cur, desc: f.Desc != backward, n: limit + 1, dialect: db.dialect}
	g := db.gorm.WithContext(ctx)
	rows, err := q.rows(g)
	if err != nil {
		return OrganizationList{}, err
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	if backward {
		slices.Reverse(rows)
	}
	var list OrganizationList
	if len(rows) > 0 {
		first, last := rows[0].cursor(sort), rows[len(rows)-1].cursor(sort)
		switch {
		case backward:
			list.Next = last
			if more {
				list.Prev = first
			}
		default:
			if more {
				list.Next = last
			}
			if cur != nil {
				list.Prev = first
			}
		}
	}
	list.Entries = make([]OrganizationEntry, len(rows))
	for i := range rows {
		list.Entries[i].Organization = rows[i].Organization
	}
	return list, withMemberCounts(g, list.Entries)
}

// OrganizationEntry is one organization as the console shows it
// (platform-wide). ErrNotFound for an unknown or malformed id.
func (db *DB) OrganizationEntry(ctx context.Context, id string) (*OrganizationEntry, error) {
	return organizationEntry(db.gorm.WithContext(ctx), id)
}

func organizationEntry(tx *gorm.DB, id string) (*OrganizationEntry, error) {
	if !validUUID(id) {
		return nil, ErrNotFound
	}
	var e OrganizationEntry
	if err := tx.First(&e.Organization, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	entries := []OrganizationEntry{e}
	if err := withMemberCounts(tx, entries); err != nil {
		return nil, err
	}
	return &entries[0], nil
}

func withMemberCounts(tx *gorm.DB, entries []OrganizationEntry) error {
	if len(entries) == 0 {
		return nil
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	var counts []struct {
		OrganizationID string
		N              int64
	}
	if err := tx.Model(&User{}).Select("organization_id, count(*) AS n").
		Where("organization_id IN ? AND deactivated_at IS NULL", ids).
		Group("organization_id").Scan(&counts).Error; err != nil {
		return fmt.Errorf("store: member counts: %w", err)
	}
	for _, c := range counts {
		for i := range entries {
			if entries[i].ID == c.OrganizationID {
				entries[i].Members = c.N
			}
		}
	}
	return nil
}

// orgQuery builds the console's SQL for one page.
type orgQuery struct {
	f       OrganizationFilter
	sort    OrganizationSort
	cur     *Cursor
	desc    bool // the direction the rows are read in (reversed for Previous)
	n       int  // rows wanted
	dialect Dialect
}

// orgSearchExpr is the text a search looks in: name, slug and domain, a
// line break apart (a search term has no line break, so it matches within
// one of them), with ASCII letters in lower case (see orgNameKey). On
// PostgreSQL it is exactly the expression of the trigram index
// idx_organizations_search (migration 00007).
func orgSearchExpr(d Dialect) string {
	if d == Postgres {
		return `lower((name || E'\n' || slug || E'\n' || coalesce(domain, '')) COLLATE "C")`
	}
	return `lower(name || char(10) || slug || char(10) || coalesce(domain, ''))`
}

// cols is the order's key in SQL.
func (q *orgQuery) cols() []string {
	cols := slices.Clone(orgOrder[q.sort])
	for i, c := range cols {
		if c == nameKey {
			cols[i] = orgNameKey(q.dialect)
		}
	}
	return cols
}

// columns is what a page query selects: the row and its name key.
func (q *orgQuery) columns() string { return "*, " + orgNameKey(q.dialect) + " AS sort_name" }

// order is the ORDER BY list in the reading direction.
func (q *orgQuery) order() string {
	dir := " ASC"
	if q.desc {
		dir = " DESC"
	}
	cols := q.cols()
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + dir
	}
	return strings.Join(parts, ", ")
}

// keyset is the condition "after the cursor in the reading direction": a
// row value comparison, so that the index scan starts at the cursor.
func (q *orgQuery) keyset() (string, []any) {
	if q.cur == nil {
		return "", nil
	}
	op := " > "
	if q.desc {
		op = " < "
	}
	cols, key := q.cols(), orgKey(q.sort, q.cur)
	row := func(cols []string) string {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
		return "(" + strings.Join(cols, ", ") + ")" + op + "(" + marks + ")"
	}
	if q.dialect == Postgres {
		return row(cols), key
	}
	// SQLite seeks with a row value only when its first column is a plain
	// column: for the name's key it would scan the index from its start. A
	// range on the first column seeks; the rest of the comparison filters
	// the rows that tie with the cursor on it.
	first := cols[0] + op[:2] + "= ? AND (" + cols[0] + op + "? OR " + row(cols[1:]) + ")"
	return first, append([]any{key[0], key[0]}, key[1:]...)
}

// filters are the filter's conditions but the search. ordered says that
// the query reads rows in the order's index: then, on SQLite, a condition
// whose index cannot give that order is written +column, which keeps SQLite
// (without statistics, it takes any equality on an indexed column for a
// selective one) from reading every active organization through the
// status index and sorting them. PostgreSQL's planner weighs both itself.
func (q *orgQuery) filters(ordered bool) ([]string, []any) {
	col := func(c string) string {
		if ordered && q.dialect == SQLite && !(c == "status" && q.sort != SortOrganizationsByName) {
			return "+" + c
		}
		return c
	}
	var conds []string
	var args []any
	if q.f.Type != "" {
		conds, args = append(conds, col("type")+" = ?"), append(args, string(q.f.Type))
	}
	if q.f.Status != "" {
		conds, args = append(conds, col("status")+" = ?"), append(args, string(q.f.Status))
	}
	if q.f.Verified != nil {
		conds, args = append(conds, col("verified")+" = ?"), append(args, *q.f.Verified)
	}
	return conds, args
}

func orgWhere(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

func (q *orgQuery) rows(g *gorm.DB) ([]orgRow, error) {
	var rows []orgRow
	if q.term() == "" {
		sql, args := q.plain()
		err := g.Raw(sql, args...).Scan(&rows).Error
		return rows, err
	}
	// A search is answered in one of two ways, the cheaper for where the
	// matches are:
	//
	//  1. walk: read the next searchWalk rows of the order from the cursor
	//     and keep the matches. A common term ("uni" among universities)
	//     fills the page within a few hundred rows.
	//  2. lookup: when the walk found less than a page, find every match
	//     after the cursor (through the trigram index on PostgreSQL), sort
	//     only their keys, and read the page's rows. A rare term has few
	//     matches; a common one that the walk missed is bunched elsewhere in
	//     the order.
	//
	// Walking alone reads the whole table for a rare term; looking up alone
	// sorts most of it for a common one. The planner cannot choose between
	// them itself: it assumes that matches are spread evenly along the
	// order, and they are not (names that contain "uni" mostly start with
	// "University").
	sql, args := q.walk()
	if err := g.Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) >= q.n {
		return rows, nil
	}
	rows = nil
	sql, args = q.lookup()
	err := g.Raw(sql, args...).Scan(&rows).Error
	return rows, err
}

func (q *orgQuery) term() string { return asciiLower(strings.TrimSpace(q.f.Query)) }

// plain is the page without a search: the planner walks the order's index
// from the cursor (or, with a status filter, the (status, created_at, id)
// one) and stops after the page.
func (q *orgQuery) plain() (string, []any) {
	conds, args := q.filters(true)
	if keyset, keyArgs := q.keyset(); keyset != "" {
		conds, args = append(conds, keyset), append(args, keyArgs...)
	}
	return "SELECT " + q.columns() + " FROM organizations" + orgWhere(conds) + " ORDER BY " + q.order() + " LIMIT ?", append(args, q.n)
}

// matches are the filter's conditions with the search.
func (q *orgQuery) matches() ([]string, []any) {
	conds, args := q.filters(false)
	return append(conds, orgSearchExpr(q.dialect)+` LIKE ? ESCAPE '\'`), append(args, "%"+escapeLike(q.term())+"%")
}

// walk is the first way of answering a search: the matches among the next
// searchWalk rows of the order.
func (q *orgQuery) walk() (string, []any) {
	inner, args := "SELECT * FROM organizations", []any{}
	if keyset, keyArgs := q.keyset(); keyset != "" {
		inner, args = inner+" WHERE "+keyset, keyArgs
	}
	inner += " ORDER BY " + q.order() + " LIMIT ?"
	args = append(args, searchWalk)
	conds, matchArgs := q.matches()
	return "SELECT " + q.columns() + " FROM (" + inner + ") w" + orgWhere(conds) + " ORDER BY " + q.order() + " LIMIT ?",
		append(append(args, matchArgs...), q.n)
}

// lookup is the second way: every match after the cursor, of which only
// the keys are sorted. MATERIALIZED keeps the planner from turning it back
// into a walk.
func (q *orgQuery) lookup() (string, []any) {
	conds, args := q.matches()
	if keyset, keyArgs := q.keyset(); keyset != "" {
		conds, args = append(conds, keyset), append(args, keyArgs...)
	}
	dir := " ASC"
	if q.desc {
		dir = " DESC"
	}
	cols := q.cols()
	keys, keyOrder := make([]string, len(cols)), make([]string, len(cols))
	for i, c := range cols {
		keys[i], keyOrder[i] = fmt.Sprintf("%s AS k%d", c, i), fmt.Sprintf("k%d%s", i, dir)
		if c == "id" {
			keys[i], keyOrder[i] = "id", "id"+dir
		}
	}
	return "WITH m AS MATERIALIZED (SELECT " + strings.Join(keys, ", ") + " FROM organizations" + orgWhere(conds) + ")" +
			" SELECT " + q.columns() + " FROM organizations WHERE id IN (SELECT id FROM m ORDER BY " + strings.Join(keyOrder, ", ") + " LIMIT ?)" +
			" ORDER BY " + q.order(),
		append(args, q.n)
}
