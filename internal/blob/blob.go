// Package blob stores opaque files (organization logos first) under string
// keys, and checks uploaded images before they are stored.
//
// Store is the interface the rest of the code uses; Disk is its local-disk
// implementation. The interface follows object storage on purpose, so that an
// S3-compatible implementation can be added later without touching callers:
// keys are S3-safe object names ("orgs/<id>/logo"), Put takes a reader of
// unknown length, Info carries what a HEAD request returns, the ETag is
// opaque (compare it, do not parse it) and Delete of a missing key succeeds.
package blob

import (
	"context"
	"errors"
	"io"
	"mime"
	"regexp"
	"strings"
	"time"
)

// Store keeps blobs under keys (see ValidKey). Implementations are safe for
// concurrent use.
type Store interface {
	// Put stores the content of r under key with its content type,
	// replacing any blob there. Readers see the old blob or the new one,
	// never a part of either.
	Put(ctx context.Context, key string, r io.Reader, contentType string) error
	// Get opens the blob at key. The caller closes the reader. A missing
	// key is ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// Delete removes the blob at key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// Info describes a stored blob.
type Info struct {
	Size        int64     // bytes of content
	ContentType string    // as given to Put
	ModTime     time.Time // when the blob was written
	ETag        string    // opaque content identifier, without quotes: equal content, equal ETag
}

// Errors returned by a Store.
var (
	ErrNotFound    = errors.New("blob not found")
	ErrInvalidKey  = errors.New("invalid blob key")
	ErrInvalidType = errors.New("invalid blob content type")
	errCorrupt     = errors.New("corrupt blob file")
)

var keyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9/_.-]{0,200}$`)

// maxContentTypeLen keeps the header within its 512 bytes.
const maxContentTypeLen = 150

// ValidKey reports whether key may name a blob: 1 to 201 characters from
// a-z, 0-9, "/", "_", "." and "-", split by "/" into segments that each start
// with a letter or a digit. So there is no leading "/", no empty segment, no
// "." or ".." segment and no hidden file, and a key never leaves the store's
// root. A key cannot be both a blob and a prefix of other keys ("a" and
// "a/b").
func ValidKey(key string) error {
	if !keyPattern.MatchString(key) {
		return ErrInvalidKey
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || !isAlnum(seg[0]) {
			return ErrInvalidKey
		}
	}
	return nil
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// validContentType accepts a parseable type/subtype of printable ASCII that
// fits a header.
func validContentType(ct string) error {
	if len(ct) > maxContentTypeLen {
		return ErrInvalidType
	}
	for i := 0; i < len(ct); i++ {
		if ct[i] < ' ' || ct[i] > '~' {
			return ErrInvalidType
		}
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || !strings.Contains(mt, "/") {
		return ErrInvalidType
	}
	return nil
}
