package bulk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/text"
	"github.com/trustcred/trustcred/store"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		headers []string
		rows    []Row
		err     string // part of the message; "" for success
	}{
		{name: "plain", in: "name,email\nAda,ada@example.org\n",
			headers: []string{"name", "email"}, rows: []Row{{1, []string{"Ada", "ada@example.org"}}}},
		{name: "BOM and CRLF", in: "\xef\xbb\xbfName , Email\r\nAda,ada@example.org\r\nBob,bob@example.org",
			headers: []string{"Name", "Email"}, rows: []Row{{1, []string{"Ada", "ada@example.org"}}, {2, []string{"Bob", "bob@example.org"}}}},
		{name: "quoted comma and newline", in: "name,note\n\"Lovelace, Ada\",\"two\nlines\"\n",
			headers: []string{"name", "note"}, rows: []Row{{1, []string{"Lovelace, Ada", "two\nlines"}}}},
		{name: "tab separated (pasted)", in: "name\temail\nAda\tada@example.org\n",
			headers: []string{"name", "email"}, rows: []Row{{1, []string{"Ada", "ada@example.org"}}}},
		{name: "semicolons", in: "name;email\nAda;ada@example.org\n",
			headers: []string{"name", "email"}, rows: []Row{{1, []string{"Ada", "ada@example.org"}}}},
		{name: "blank rows skipped, numbers kept", in: "a,b\n1,2\n,\n3,4\n , \n",
			headers: []string{"a", "b"}, rows: []Row{{1, []string{"1", "2"}}, {3, []string{"3", "4"}}}},
		{name: "empty", in: "", err: "the file is empty"},
		{name: "spaces only", in: " \n\n", err: "the file is empty"},
		{name: "BOM only", in: "\xef\xbb\xbf", err: "the file is empty"},
		{name: "header only", in: "name,email\n", err: "no rows of data"},
		{name: "ragged short", in: "a,b,c\n1,2,3\n4,5\n", err: "row 2 (line 3) has 2 values, but the header has 3 columns"},
		{name: "ragged long", in: "a,b\n1,2,3\n", err: "row 1 (line 2) has 3 values"},
		{name: "duplicate headers", in: "Email,name,email\nx,y,z\n", err: "the header “email” appears twice (columns 1 and 3)"},
		{name: "empty header", in: "a,,c\n1,2,3\n", err: "column 2 has no header"},
		{name: "bad quote", in: "a,b\n\"1,2\n", err: "quote"},
		{name: "not UTF-8", in: "a,b\n\xff,1\n", err: "not UTF-8"},
		{name: "long header", in: strings.Repeat("h", MaxHeaderLen+1) + ",b\n1,2\n", err: "longer than 200 characters"},
		{name: "long value", in: "a,b\n" + strings.Repeat("v", MaxCellLen+1) + ",2\n", err: "row 1, column “a”: the value is longer than 2000"},
		{name: "too many columns", in: strings.Repeat("c,", MaxColumns) + "c\n", err: "at most 100 are allowed"},
		{name: "NUL in a value", in: "name,email\nAda,ada@example.org\nB\x00b,bob@example.org\n",
			err: "row 2, column “name”: contains a control character (U+0000), which is not allowed"},
		{name: "escape in a quoted value", in: "name,email\nAda,\"ada\x1b@example.org\"\n", err: "row 1, column “email”: contains a control character (U+001B)"},
		{name: "DEL", in: "name\nA\x7fda\n", err: "row 1, column “name”: contains a control character (U+007F)"},
		{name: "C1", in: "name\nA\u0085da\n", err: "row 1, column “name”: contains a control character (U+0085)"},
		{name: "control in a header", in: "name,e\x01mail\nAda,x\n", err: "the header of column 2 contains a control character (U+0001)"},
		{name: "tab inside a quoted value", in: "name,note\nAda,\"a\tb\"\n",
			headers: []string{"name", "note"}, rows: []Row{{1, []string{"Ada", "a\tb"}}}},
		{name: "UTF-16LE with BOM (Excel's Unicode text)", in: utf16LE("\ufeffname\temail\r\nZoë\tzoe@example.org\r\n😀\t1\r\n"),
			headers: []string{"name", "email"}, rows: []Row{{1, []string{"Zoë", "zoe@example.org"}}, {2, []string{"😀", "1"}}}},
		{name: "UTF-16BE without BOM", in: utf16BE("name,email\nZoë,zoe@example.org\n"),
			headers: []string{"name", "email"}, rows: []Row{{1, []string{"Zoë", "zoe@example.org"}}}},
		{name: "UTF-16LE without BOM", in: utf16LE("name,email\nЗоя,zoya@example.org\n"),
			headers: []string{"name", "email"}, rows: []Row{{1, []string{"Зоя", "zoya@example.org"}}}},
		{name: "UTF-32LE with BOM", in: "\xff\xfe\x00\x00" + utf32(binary.LittleEndian, "name\nZoë\n"),
			headers: []string{"name"}, rows: []Row{{1, []string{"Zoë"}}}},
		{name: "UTF-32BE without BOM", in: utf32(binary.BigEndian, "name\nZoë\n"),
			headers: []string{"name"}, rows: []Row{{1, []string{"Zoë"}}}},
		{name: "UTF-16 with an odd byte", in: "\xff\xfea\x00b", err: "not valid UTF-16"},
		{name: "UTF-16 with a lone surrogate", in: "\xfe\xff\x00a\xdc\x00", err: "not valid UTF-16"},
		{name: "NUL converted from UTF-16", in: utf16LE("\ufeffname\nA\x00da\n"), err: "row 1, column “name”: contains a control character (U+0000)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := Parse([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !errors.Is(err, ErrCSV) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tab.Headers, tt.headers) || !reflect.DeepEqual(tab.Rows, tt.rows) {
				t.Fatalf("got %q %v, want %q %v", tab.Headers, tab.Rows, tt.headers, tt.rows)
			}
		})
	}
}

func utf16LE(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return string(b)
}

func utf16BE(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.BigEndian.AppendUint16(b, u)
	}
	return string(b)
}

func utf32(order binary.AppendByteOrder, s string) string {
	var b []byte
	for _, r := range s {
		b = order.AppendUint32(b, uint32(r))
	}
	return string(b)
}

func TestParseLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("email\n")
	for i := range MaxRows {
		fmt.Fprintf(&b, "u%d@example.org\n", i)
	}
	tab, err := Parse([]byte(b.String()))
	if err != nil || len(tab.Rows) != MaxRows {
		t.Fatalf("%d rows: %v", MaxRows, err)
	}
	b.WriteString("one.more@example.org\n")
	if _, err := Parse([]byte(b.String())); err == nil || !strings.Contains(err.Error(), "more than 10000 rows") {
		t.Fatalf("10,001 rows: %v", err)
	}
	big := "a\n" + strings.Repeat("x\n", MaxFileSize/2+1)
	if _, err := Parse([]byte(big)); err == nil || !strings.Contains(err.Error(), "larger than 5 MB") {
		t.Fatalf("6 MB: %v", err)
	}
}

func fields() []store.SchemaField {
	min, max := 0.0, 4.0
	return []store.SchemaField{
		{Name: "degree", Label: "Degree title", Type: store.SchemaFieldText, Required: true},
		{Name: "gpa", Label: "GPA", Type: store.SchemaFieldNumber, Validation: store.ValidationRules{Min: &min, Max: &max}},
		{Name: "conferred_on", Label: "Conferred", Type: store.SchemaFieldDate, Required: true},
		{Name: "email", Label: "Contact email", Type: store.SchemaFieldEmail},
	}
}

func template(defaults map[string]string) *store.CredentialTemplate {
	s := &store.CredentialSchema{ID: "s", Name: "Degree", Version: "1", Fields: datatypes.NewJSONSlice(fields())}
	return &store.CredentialTemplate{ID: "t", Name: "BSc", Schema: s, TemplateData: datatypes.NewJSONType(store.TemplateData{Defaults: defaults})}
}

func TestAutoMap(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		want    Mapping
	}{
		{"names and labels, any case and spacing", []string{"Recipient Name", "RECIPIENT_EMAIL", "Degree Title", "gpa", "Conferred On"},
			Mapping{RecipientName: "Recipient Name", RecipientAddress: "RECIPIENT_EMAIL", "degree": "Degree Title", "gpa": "gpa", "conferred_on": "Conferred On"}},
		// "email" is a schema field here: the recipient needs recipient_email
		// or falls back to nothing.
		{"field wins over a bare email", []string{"Name", "Email", "Degree"},
			Mapping{RecipientName: "Name", "email": "Email", "degree": "Degree"}},
		{"recipient_email beside the field", []string{"name", "email", "recipient-email"},
			Mapping{RecipientName: "name", RecipientAddress: "recipient-email", "email": "email"}},
		{"DID", []string{"recipient_did", "Conferred"}, Mapping{RecipientAddress: "recipient_did", "conferred_on": "Conferred"}},
		{"nothing known", []string{"foo", "bar"}, Mapping{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AutoMap(tt.headers, fields()); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	headers := []string{"Recipient", "Mail", "Degree", "GPA", "Conferred"}
	m := Mapping{RecipientName: "Recipient", RecipientAddress: "Mail", "degree": "Degree", "gpa": "GPA", "conferred_on": "Conferred"}
	c, err := NewChecker(template(nil), headers, m)
	if err != nil {
		t.Fatal(err)
	}
	ok, errs := c.Check(Row{1, []string{" Ada ", "ada@example.org", "Physics", "3.5", "2024-06-30"}})
	if errs != nil {
		t.Fatalf("valid row: %v", errs)
	}
	want := &Checked{RecipientName: "Ada", RecipientAddress: "ada@example.org", Data: map[string]any{"degree": "Physics", "gpa": 3.5, "conferred_on": "2024-06-30"}}
	if !reflect.DeepEqual(ok, want) {
		t.Fatalf("got %+v, want %+v", ok, want)
	}
	if _, errs := c.Check(Row{2, []string{"", "did:web:example.org", "Physics", "", "2024-06-30"}}); errs != nil {
		t.Fatalf("a DID and no name: %v", errs)
	}
	_, errs = c.Check(Row{7, []string{"Bob", "not an address", "", "5", "30/06/2024"}})
	wantErrs := []CellError{
		{7, "Mail", "must be an email address (like ada@example.org) or a DID (like did:web:example.org)"},
		{7, "Degree", "is required"},
		{7, "GPA", "must be at most 4"},
		{7, "Conferred", "must be a date written YYYY-MM-DD, such as 2024-06-30"},
	}
	if !reflect.DeepEqual(errs, wantErrs) {
		t.Fatalf("errors\n%v\nwant\n%v", errs, wantErrs)
	}
	if got := Join(errs[:2]); got != "Mail: must be an email address (like ada@example.org) or a DID (like did:web:example.org)\nDegree: is required" {
		t.Fatalf("Join: %q", got)
	}
	// The recipient's name is shown to others: a bidirectional override or
	// a zero-width space is refused there, as on every other way in; a line
	// break in a schema value is not.
	_, errs = c.Check(Row{8, []string{"Ada\u202Egnp.exe", "ada@example.org", "Physics\nand Astronomy", "3.5", "2024-06-30"}})
	wantErrs = []CellError{{8, "Recipient", "contains an invisible formatting character (U+202E), which is not allowed"}}
	if !reflect.DeepEqual(errs, wantErrs) {
		t.Fatalf("format character in the name: %v", errs)
	}
	_, errs = c.Check(Row{9, []string{"Ada\nLovelace", "ada@example.org", "Physics", "3.5", "2024-06-30"}})
	if len(errs) != 1 || errs[0].Column != "Recipient" || !strings.Contains(errs[0].Message, "line break") {
		t.Fatalf("line break in the name: %v", errs)
	}
	// The recipient rule is issuance.CheckRecipient's, as on the form and
	// the API: a name is required for an email address (not for a DID),
	// and an email address has at most 254 characters.
	_, errs = c.Check(Row{10, []string{"", "ada@example.org", "Physics", "3.5", "2024-06-30"}})
	wantErrs = []CellError{{10, "Recipient", "is required when the recipient is an email address: the recipient’s name"}}
	if !reflect.DeepEqual(errs, wantErrs) {
		t.Fatalf("no name for an email address: %v", errs)
	}
	if _, errs = c.Check(Row{11, []string{"", "did:web:example.org", "Physics", "3.5", "2024-06-30"}}); errs != nil {
		t.Fatalf("no name for a DID: %v", errs)
	}
	_, errs = c.Check(Row{12, []string{"Ada", strings.Repeat("a", 300) + "@example.org", "Physics", "3.5", "2024-06-30"}})
	if len(errs) != 1 || errs[0].Column != "Mail" || !strings.Contains(errs[0].Message, "too long") {
		t.Fatalf("a 312-character email address: %v", errs)
	}
}

// Without a column for a required target, every row says so under the
// target's label, and the mapping problems name it once; a template
// default fills a missing column.
func TestCheckUnmapped(t *testing.T) {
	c, err := NewChecker(template(map[string]string{"conferred_on": "2024-01-01"}), []string{"Degree", "Extra"}, Mapping{"degree": "Degree", "gpa": "Nope"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Mapping(); !reflect.DeepEqual(got, Mapping{"degree": "Degree"}) {
		t.Fatalf("mapping kept %v", got)
	}
	if p := c.MappingProblems(); len(p) != 1 || !strings.Contains(p[0], "email or DID") {
		t.Fatalf("problems %v", p)
	}
	_, errs := c.Check(Row{1, []string{"Physics", "x"}})
	if len(errs) != 1 || errs[0].Column != "Recipient email or DID" {
		t.Fatalf("errors %v", errs)
	}
}

// The parser and the checker never panic, and every refusal is a CSVError
// or row errors that name a row and a message.
func FuzzParseCheck(f *testing.F) {
	for _, s := range []string{
		"recipient_name,recipient_email,degree,gpa,conferred_on\nAda,ada@example.org,Physics,3.5,2024-06-30\n",
		"\xef\xbb\xbfa;b\n1;2\n", "a\tb\n\"x\ty\"\tz\n", "a,b\n\"unterminated\n", "a,a\n1,2\n", ",\n,\n", "",
		"email,gpa\nx@y.z,NaN\nq,1e999\n", "a,b\n\x00,1\n", utf16LE("\ufeffa\tb\r\n1\t2\r\n"), utf16BE("a,b\n1,2\n"),
	} {
		f.Add([]byte(s))
	}
	tpl := template(nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrCSV) || err.Error() == "" {
				t.Fatalf("refusal is not a CSVError: %v", err)
			}
			return
		}
		if len(tab.Rows) == 0 || len(tab.Headers) == 0 {
			t.Fatal("accepted a file without rows or headers")
		}
		for _, r := range tab.Rows {
			for _, v := range append(r.Values, tab.Headers...) {
				if p := Control(v, text.MultiLine); p != "" || !utf8.ValidString(v) {
					t.Fatalf("accepted %q: %s", v, p)
				}
			}
		}
		c, err := NewChecker(tpl, tab.Headers, AutoMap(tab.Headers, tpl.Schema.Fields))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range tab.Rows {
			if len(r.Values) != len(tab.Headers) {
				t.Fatalf("row %d has %d values for %d headers", r.Number, len(r.Values), len(tab.Headers))
			}
			ok, errs := c.Check(r)
			if (ok == nil) == (errs == nil) {
				t.Fatalf("row %d: both or neither of a result and errors", r.Number)
			}
			for _, e := range errs {
				if e.Row != r.Number || e.Message == "" || e.Column == "" {
					t.Fatalf("error without row, column or message: %+v", e)
				}
			}
		}
	})
}
