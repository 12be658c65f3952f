// Package bulk issues credentials from a CSV file: parsing the file (Parse),
// mapping its columns to a template's schema fields and to the recipient
// (AutoMap), checking every row before anything is issued (Checker), and
// storing a batch with all its rows in one transaction (Import). The rows
// are then issued by the bulk_issue job (Worker, job.go), one transaction
// per row, each at most once.
package bulk

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/trustcred/trustcred/internal/text"
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
		if p := Control(h, text.MultiLine); p != "" {
			return nil, csvErr("the header of column %d %s", i+1, p)
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
			if p := Control(v, text.MultiLine); p != "" {
				return nil, csvErr("row %d, column “%s”: %s", n, t.Headers[i], p)
			}
		}
		t.Rows = append(t.Rows, Row{Number: n, Values: rec})
	}
	if len(t.Rows) == 0 {
		return nil, csvErr("the file has a header row but no rows of data")
	}
	return t, nil
}

// Control is the problem of a CSV value under rule (text.MultiLine for
// values: a quoted cell may hold line breaks; text.Name as well for
// the recipient's name), worded to follow "row N, column X:", or "".
// The code point is named: a control character cannot be seen.
func Control(v string, rule text.Rule) string {
	err := text.Check(v, rule)
	if err == nil {
		return ""
	}
	var te *text.Error
	if errors.As(err, &te) && (errors.Is(err, text.ErrControl) || errors.Is(err, text.ErrLineBreak)) {
		return fmt.Sprintf("%s (%U)%s", strings.TrimSuffix(te.Err.Error(), ", which is not allowed"), te.Rune, ", which is not allowed")
	}
	return err.Error()
}

// toUTF8 is text.ToUTF8, its refusal worded for the uploader.
func toUTF8(data []byte) ([]byte, error) {
	out, enc, err := text.ToUTF8(data)
	if err != nil {
		name := strings.TrimSuffix(strings.TrimSuffix(enc, "LE"), "BE")
		return nil, csvErr("the file looks like %s text but is not valid %s; save it from your spreadsheet as “CSV UTF-8”", name, name)
	}
	return out, nil
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
