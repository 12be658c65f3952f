package secret

import (
	"bytes"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// redacted is what every textual rendering of a Sealed shows.
const redacted = "[sealed]"

// Sealed is an encrypted secret as stored in the database.
//
// Distinct from []byte so that a secret column is typed differently from
// plaintext: a named []byte such as json.RawMessage does not convert to it
// implicitly. Go does allow assigning an unnamed []byte (or a literal) to a
// Sealed, so the type is a guard, not a guarantee: the only constructor
// meant for use is [Keyring.Seal] (and [Keyring.Rotate]).
//
// A nil or empty Sealed means "no secret" and is stored as SQL NULL. Its
// String, GoString, Format, LogValue and MarshalJSON methods never reveal
// its bytes, and UnmarshalJSON refuses anything but null, so sealed values cannot be
// injected through request bodies.
type Sealed []byte

var errJSON = errors.New("secret: sealed values cannot be decoded from json")

// Value implements [driver.Valuer]: the raw bytes, or nil (NULL) when empty.
func (s Sealed) Value() (driver.Value, error) {
	if len(s) == 0 {
		return nil, nil
	}
	return bytes.Clone(s), nil
}

// Scan implements [sql.Scanner]. It accepts []byte, string and nil, and
// copies the bytes, since drivers may reuse their buffers.
func (s *Sealed) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s = nil
	case []byte:
		*s = bytes.Clone(v)
	case string:
		*s = Sealed(v)
	default:
		return fmt.Errorf("secret: cannot scan %T into Sealed", src)
	}
	return nil
}

// String returns "[sealed]".
func (s Sealed) String() string { return redacted }

// GoString returns "[sealed]", so %#v does not reveal the bytes.
func (s Sealed) GoString() string { return redacted }

// Format implements [fmt.Formatter]: every verb (%x, %d, %v, ...) prints
// "[sealed]".
func (s Sealed) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue implements [slog.LogValuer], which slog's handlers consult before
// their own []byte handling.
func (s Sealed) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON returns the JSON string "[sealed]".
func (s Sealed) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// UnmarshalJSON fails for anything but null (a no-op): sealed values do not
// travel through JSON.
func (s *Sealed) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	return errJSON
}
