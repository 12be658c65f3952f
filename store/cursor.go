package store

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// ErrBadCursor is returned for a pagination token that this server did not make.
var ErrBadCursor = errors.New("invalid page token")

// Cursor is a position in a keyset-paginated list: the sort key of a row
// and its id, after (or before) which the next page starts. Every list of
// the store pages with it: keyset pagination stays as fast on the
// thousandth page as on the first. Its String form is opaque to clients.
type Cursor struct {
	Key string    // the leading sort key of an order that has one (an organization's name key, its status); "" otherwise
	At  time.Time // the row's time (created_at, sent_at, verified_at); zero in an order without one
	ID  string    // the row's id, which breaks ties
}

// The token's layout, before base64url: a fixed header, then the key.
//
//	[0]      1 if At is set, 0 if not
//	[1:17]   ID, the 16 bytes of the UUID
//	[17:25]  At in Unix nanoseconds, big-endian (zero when unset)
//	[25:]    Key in UTF-8
const (
	cursorHeader = 25
	// MaxCursorKey bounds the key a cursor carries (a name's sort key).
	MaxCursorKey   = 1000
	maxCursorToken = 2048
)

var cursorEncoding = base64.RawURLEncoding.Strict()

// String is the cursor as a URL-safe token.
func (c Cursor) String() string {
	b := make([]byte, cursorHeader, cursorHeader+len(c.Key))
	if id, err := uuid.Parse(c.ID); err == nil { // the store's ids are UUIDs
		copy(b[1:17], id[:])
	}
	if !c.At.IsZero() {
		b[0] = 1
		binary.BigEndian.PutUint64(b[17:25], uint64(c.At.UnixNano()))
	}
	return cursorEncoding.EncodeToString(append(b, c.Key...))
}

// ParseCursor reads a token made by Cursor.String. Anything else is
// ErrBadCursor. Whether the cursor fits the list it is given to is the
// list's check (Timed, OrganizationSort.Fits).
func ParseCursor(s string) (*Cursor, error) {
	if s == "" || len(s) > maxCursorToken {
		return nil, ErrBadCursor
	}
	b, err := cursorEncoding.DecodeString(s)
	if err != nil || len(b) < cursorHeader {
		return nil, ErrBadCursor
	}
	id, err := uuid.FromBytes(b[1:17])
	if err != nil {
		return nil, ErrBadCursor
	}
	c := &Cursor{ID: id.String(), Key: string(b[cursorHeader:])}
	at := b[17:25]
	switch b[0] {
	case 0:
		if !bytes.Equal(at, make([]byte, 8)) {
			return nil, ErrBadCursor
		}
	case 1:
		ns := binary.BigEndian.Uint64(at)
		if ns > math.MaxInt64 { // not a time String wrote
			return nil, ErrBadCursor
		}
		c.At = time.Unix(0, int64(ns)).UTC() // #nosec G115 -- at most MaxInt64, checked above
	default:
		return nil, ErrBadCursor
	}
	if len(c.Key) > MaxCursorKey || !utf8.ValidString(c.Key) || strings.ContainsRune(c.Key, 0) {
		return nil, ErrBadCursor
	}
	return c, nil
}

// Timed reports whether the cursor is a position in a list ordered by
// (time, id) alone, as every list but the organizations console is: a time
// and no key.
func (c *Cursor) Timed() bool { return c.Key == "" && !c.At.IsZero() }

// timed refuses a cursor that is not Timed (ErrBadCursor); nil is the
// first page.
func timed(c *Cursor) error {
	if c != nil && !c.Timed() {
		return ErrBadCursor
	}
	return nil
}

// timePage cuts rows, read with a limit of limit+1 in a (time, id) keyset
// order, to the page's limit rows, and returns the cursor after the last
// of them: nil when no row follows. key is a row's time and id.
func timePage[T any](rows []T, limit int, key func(*T) (time.Time, string)) ([]T, *Cursor) {
	if len(rows) <= limit {
		return rows, nil
	}
	rows = rows[:limit]
	at, id := key(&rows[limit-1])
	return rows, &Cursor{At: at.UTC(), ID: id}
}
