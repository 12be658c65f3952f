// Package bulk issues credentials from a CSV file: parsing the file (Parse),
// mapping its columns to a template's schema fields and to the recipient
// (AutoMap), checking every row before anything is issued (Checker), and
// storing a batch with all its rows in one transaction (Import). The rows
// are then issued by the bulk_issue job (internal/jobs), one transaction
// per row, each at most once.
package bulk

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits of a CSV file.
const (
	MaxFileSize  = 5 << 20 // bytes
	MaxRows      = 10000   // data rows, the header excluded
	MaxColumns   = 100
	MaxHeaderLen = 200  // characters of a column header
	MaxCellLen   = 2000 // characters of a value
)

// ErrCSV is wrapped by every error Parse returns for a file it cannot
// use; the message is meant for the person who uploaded it.
var ErrCSV = errors.New("invalid CSV")

// CSVError says what is wrong with a file, in words its author can act on.
type CSVError struct{ Msg string }

func (e *CSVError) Error() string { return e.Msg }
func (e *CSVError) Unwrap() error { return ErrCSV }

func csvErr(format string, args ...any) error { return &CSVError{Msg: fmt.Sprintf(format, args...)} }

// Row is one data row of a file: its number (1 for the row under the
// header) and its values, one per header.
type Row struct {
	Number int
	Values []string
}

// Table is a parsed file: the header row and the data rows. Rows whose
// cells are all empty (what spreadsheets export after the data) are left
// out; the others keep their numbers.
type Table struct {
	Headers []string
	Rows    []Row
}

// Parse reads a CSV file: UTF-8 with or without a byte order mark (UTF-16
// and UTF-32, with a byte order mark or recognised by their zero bytes, are
// converted first), a header row first, then at most MaxRows rows with exactly as many values
// as there are headers. The separator is a comma, unless the header line
// has more tabs or semicolons than commas (text pasted from a spreadsheet
// is tab-separated; some locales export semicolons). Headers must be
// present, distinct (ignoring case and surrounding spaces) and at most
// MaxHeaderLen characters; values at most MaxCellLen. No header or value
// may hold a control character other than tab, CR and LF (NUL, the rest
// of C0, DEL, C1): the database refuses some and none belongs in a
// credential. Every refusal is a *CSVError (errors.Is(err, ErrCSV)).
func Parse(data []byte) (*Table, error) {
	if len(data) > MaxFileSize {
		return nil, csvErr("the file is larger than %d MB; split it into several batches", MaxFileSize>>20)
	}
	data, err := toUTF8(data)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(data) {
		return nil, csvErr("the file is not UTF-8 text; save it from your spreadsheet as “CSV UTF-8”")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, csvErr("the file is empty; it needs a header row and at least one row of data")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = separator(data)
	r.FieldsPerRecord = -1 // checked here, with a clearer message
	header, err := r.Read()
	if err != nil {
		return nil, readProblem(err)
	}
	if len(header) > MaxColumns {
		return nil, csvErr("the header row has %d columns; at most %d are allowed", len(header), MaxColumns)
	}
	t := &Table{Headers: make([]string, len(header))}
	seen := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
			return nil, csvErr("column %d has no header; every column needs a name in the first row", i+1)
		case utf8.RuneCountInString(h) > MaxHeaderLen:
			return nil, csvErr("the header of column %d is longer than %d characters", i+1, MaxHeaderLen)
		}
		if c, ok := Control(h); ok {
			return nil, csvErr("the header of column %d contains a control character (U+%04X), which is not allowed", i+1, c)
		}
		key := strings.ToLower(h)
		if j, ok := seen[key]; ok {
			return nil, csvErr("the header “%s” appears twice (columns %d and %d); headers must be different", h, j+1, i+1)
		}
		seen[key] = i
		t.Headers[i] = h
	}
	for n := 1; ; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readProblem(err)
		}
		if blank(rec) {
			continue
		}
		if len(t.Rows) == MaxRows {
			return nil, csvErr("the file has more than %d rows; split it into several batches", MaxRows)
		}
		if len(rec) != len(header) {
			line, _ := r.FieldPos(0)
			return nil, csvErr("row %d (line %d) has %d values, but the header has %d columns; check for a missing or extra separator",
				n, line, len(rec), len(header))
		}
		for i, v := range rec {
			if utf8.RuneCountInString(v) > MaxCellLen {
				return nil, csvErr("row %d, column “%s”: the value is longer than %d characters", n, t.Headers[i], MaxCellLen)
			}
			if c, ok := Control(v); ok {
				return nil, csvErr("row %d, column “%s”: contains a control character (U+%04X), which is not allowed", n, t.Headers[i], c)
			}
		}
		t.Rows = append(t.Rows, Row{Number: n, Values: rec})
	}
	if len(t.Rows) == 0 {
		return nil, csvErr("the file has a header row but no rows of data")
	}
	return t, nil
}

// Control reports the first control character of s that is not a tab, CR
// or LF: C0, DEL or C1. Text fields of a bulk upload refuse them.
func Control(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20, r >= 0x7f && r <= 0x9f:
			return r, true
		}
	}
	return 0, false
}

// toUTF8 strips a UTF-8 byte order mark, and converts UTF-16 and UTF-32
// text to UTF-8: with a byte order mark, or without one when its zero
// bytes give it away (a UTF-16 file of mostly ASCII text has a zero byte in
// every other place, which UTF-8 text never has: it would be NUL).
func toUTF8(data []byte) ([]byte, error) {
	var (
		unit  int // 2 or 4 bytes
		order binary.ByteOrder
	)
	switch {
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		return data[3:], nil
	case bytes.HasPrefix(data, []byte("\xff\xfe\x00\x00")):
		unit, order, data = 4, binary.LittleEndian, data[4:]
	case bytes.HasPrefix(data, []byte("\x00\x00\xfe\xff")):
		unit, order, data = 4, binary.BigEndian, data[4:]
	case bytes.HasPrefix(data, []byte("\xff\xfe")):
		unit, order, data = 2, binary.LittleEndian, data[2:]
	case bytes.HasPrefix(data, []byte("\xfe\xff")):
		unit, order, data = 2, binary.BigEndian, data[2:]
	default:
		if unit, order = guessWide(data); unit == 0 {
			return data, nil
		}
	}
	name := map[int]string{2: "UTF-16", 4: "UTF-32"}[unit]
	bad := csvErr("the file looks like %s text but is not valid %s; save it from your spreadsheet as “CSV UTF-8”", name, name)
	if len(data)%unit != 0 {
		return nil, bad
	}
	out := make([]byte, 0, len(data))
	if unit == 4 {
		for i := 0; i < len(data); i += 4 {
			r := rune(order.Uint32(data[i:]))
			if !utf8.ValidRune(r) {
				return nil, bad
			}
			out = utf8.AppendRune(out, r)
		}
		return out, nil
	}
	for i := 0; i < len(data); i += 2 {
		r := rune(order.Uint16(data[i:]))
		if utf16.IsSurrogate(r) {
			if i+4 > len(data) {
				return nil, bad
			}
			if r = utf16.DecodeRune(r, rune(order.Uint16(data[i+2:]))); r == utf8.RuneError {
				return nil, bad
			}
			i += 2
		}
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}

// guessWide recognises UTF-16 and UTF-32 without a byte order mark by the
// zero bytes of their first 4 KiB: UTF-32 when every 4-byte unit is a
// code point in one byte order; UTF-16 when at least one unit in eight has
// a zero byte on one side and (almost) none on the other.
func guessWide(data []byte) (int, binary.ByteOrder) {
	sample := data[:min(len(data), 4096)]
	if len(sample) >= 8 && len(data)%4 == 0 {
		sample := sample[:len(sample)/4*4]
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			ok := true
			for i := 0; i < len(sample) && ok; i += 4 {
				ok = utf8.ValidRune(rune(order.Uint32(sample[i:])))
			}
			if ok {
				return 4, order
			}
		}
	}
	units := len(sample) / 2
	if units < 2 {
		return 0, nil
	}
	var even, odd int
	for i := 0; i+1 < len(sample); i += 2 {
		if sample[i] == 0 {
			even++
		}
		if sample[i+1] == 0 {
			odd++
		}
	}
	switch {
	case odd*8 >= units && even*16 <= odd:
		return 2, binary.LittleEndian // "a\x00"
	case even*8 >= units && odd*16 <= even:
		return 2, binary.BigEndian // "\x00a"
	}
	return 0, nil
}

// blank reports whether every value of a record is empty or spaces.
func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// separator guesses the separator from the first line: the most frequent of
// comma, tab and semicolon outside quotes, a comma when tied.
func separator(data []byte) rune {
	counts := map[byte]int{}
	quoted := false
	for _, b := range data {
		if b == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if b == '\n' || b == '\r' {
			break
		}
		counts[b]++
	}
	best, sep := counts[','], ','
	for _, c := range []byte{'\t', ';'} {
		if counts[c] > best {
			best, sep = counts[c], rune(c)
		}
	}
	return sep
}

// readProblem words an encoding/csv error for the uploader.
func readProblem(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			return csvErr("line %d: a quote (\") is not closed or is inside an unquoted value; put values with quotes in double quotes and double the quotes inside", pe.Line)
		}
		return csvErr("line %d: %v", pe.Line, pe.Err)
	}
	return csvErr("the file could not be read as CSV")
}
