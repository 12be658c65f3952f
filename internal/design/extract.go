package design

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"regexp"
	"strconv"
	"unicode/utf16"
)

// ErrNoCredential is a PDF without a readable embedded credential: not a
// PDF, not one of TrustCred's certificates, damaged, or too large.
var ErrNoCredential = errors.New("design: no embedded credential found in the PDF")

// Limits of what Read inflates.
const (
	maxCredentialBytes = 1 << 20
	maxDesignBytes     = MaxBytes
	maxContentBytes    = 4 << 20
	maxObjects         = 10000
)

// Certificate is what Read finds in a certificate PDF.
type Certificate struct {
	Credential []byte   // the embedded signed credential
	Design     []byte   // the embedded design (nil when absent)
	Runs       []string // the page's text, run by run, in drawing order
}

// Read finds the embedded credential, the embedded design and the first
// page's text in a PDF made by PDF. It reads only the plain structure that
// PDF writes (no cross-reference streams, object streams or encryption):
// anything else is ErrNoCredential. It never panics and inflates at most a
// few MB, whatever the input.
func Read(pdf []byte) (*Certificate, error) {
	if len(pdf) > MaxPDFBytes || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return nil, ErrNoCredential
	}
	objs := objects(pdf)
	c := &Certificate{}
	var content []byte
	for _, o := range objs {
		switch {
		case typeFilespec.Match(o.dict):
			name := fileName(o.dict)
			ref := efRef.FindSubmatch(o.dict)
			if ref == nil {
				continue
			}
			target, ok := objs[atoi(ref[1])]
			if !ok || !target.hasStream {
				continue
			}
			switch name {
			case CredentialFile:
				if c.Credential == nil {
					c.Credential, _ = inflate(target, maxCredentialBytes)
				}
			case DesignFile:
				if c.Design == nil {
					c.Design, _ = inflate(target, maxDesignBytes)
				}
			}
		case typePage.Match(o.dict) && content == nil:
			ref := contentsRef.FindSubmatch(o.dict)
			if ref == nil {
				continue
			}
			if target, ok := objs[atoi(ref[1])]; ok && target.hasStream {
				content, _ = inflate(target, maxContentBytes)
			}
		}
	}
	if len(c.Credential) == 0 {
		return nil, ErrNoCredential
	}
	c.Runs = textRuns(content)
	return c, nil
}

var (
	objHead      = regexp.MustCompile(`(?m)(?:^|[\r\n ])(\d{1,7})\s+0\s+obj\b`)
	typeFilespec = regexp.MustCompile(`/Type\s*/Filespec\b`)
	typePage     = regexp.MustCompile(`/Type\s*/Page\b`)
	efRef        = regexp.MustCompile(`/EF\s*<<\s*/F\s+(\d{1,7})\s+0\s+R`)
	contentsRef  = regexp.MustCompile(`/Contents\s+(\d{1,7})\s+0\s+R`)
	lengthRe     = regexp.MustCompile(`/Length\s+(\d{1,9})\b`)
	flateRe      = regexp.MustCompile(`/Filter\s*/FlateDecode\b`)
	ufRe         = regexp.MustCompile(`/UF\s*\(`)
)

type object struct {
	dict      []byte
	stream    []byte
	hasStream bool
}

func atoi(b []byte) int {
	n, _ := strconv.Atoi(string(b))
	return n
}

// objects splits the file into its numbered objects: the dictionary text
// and, for a stream, its raw bytes (by its direct /Length).
func objects(pdf []byte) map[int]object {
	heads := objectHeads(pdf)
	out := make(map[int]object, len(heads))
	for i, h := range heads {
		num := atoi(pdf[h[1]:h[2]])
		end := len(pdf)
		if i+1 < len(heads) {
			end = heads[i+1][0]
		}
		body := pdf[h[3]:end]
		if e := bytes.Index(body, []byte("endobj")); e >= 0 {
			body = body[:e]
		}
		o := object{dict: body}
		if s := bytes.Index(body, []byte("stream")); s >= 0 {
			o.dict = body[:s]
			data := body[s+len("stream"):]
			if bytes.HasPrefix(data, []byte("\r\n")) {
				data = data[2:]
			} else if bytes.HasPrefix(data, []byte("\n")) {
				data = data[1:]
			}
			// The stream's extent comes from its /Length; the object's end
			// is only a bound (a stream may contain "endobj").
			if m := lengthRe.FindSubmatch(o.dict); m != nil {
				n := atoi(m[1])
				full := pdf[h[3]+s+len("stream"):]
				if bytes.HasPrefix(full, []byte("\r\n")) {
					full = full[2:]
				} else if bytes.HasPrefix(full, []byte("\n")) {
					full = full[1:]
				}
				if n >= 0 && n <= len(full) {
					o.stream, o.hasStream = full[:n], true
				}
			} else {
				o.stream, o.hasStream = data, true
			}
		}
		if _, dup := out[num]; !dup {
			out[num] = o
		}
	}
	return out
}

// objectHeads finds each "N 0 obj" (a byte scan: a regular expression
// over a file of compressed streams is slow): the head's start, the
// number's start and end, and the end of "obj".
func objectHeads(pdf []byte) [][4]int {
	var heads [][4]int
	space := func(c byte) bool { return c == ' ' || c == '\r' || c == '\n' || c == '\t' }
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	for off := 0; len(heads) < maxObjects; {
		i := bytes.Index(pdf[off:], []byte("obj"))
		if i < 0 {
			break
		}
		at := off + i
		off = at + 3
		if off < len(pdf) && !space(pdf[off]) && pdf[off] != '<' {
			continue
		}
		j := at
		for j > 0 && space(pdf[j-1]) {
			j--
		}
		if j == at || j == 0 || pdf[j-1] != '0' || (j >= 2 && !space(pdf[j-2])) {
			continue // generation 0 only, as PDF writes
		}
		j -= 2
		for j > 0 && space(pdf[j-1]) {
			j--
		}
		end := j
		for j > 0 && digit(pdf[j-1]) && end-j < 7 {
			j--
		}
		if j == end || (j > 0 && !space(pdf[j-1])) {
			continue
		}
		heads = append(heads, [4]int{j, j, end, off})
	}
	return heads
}

// inflate is the stream's data, inflated when it says FlateDecode, at most limit bytes.
func inflate(o object, limit int64) ([]byte, error) {
	if !flateRe.Match(o.dict) {
		if int64(len(o.stream)) > limit {
			return nil, ErrNoCredential
		}
		return o.stream, nil
	}
	r, err := zlib.NewReader(bytes.NewReader(o.stream))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrNoCredential
	}
	return b, nil
}

// fileName is a Filespec's /UF, decoded.
func fileName(dict []byte) string {
	loc := ufRe.FindIndex(dict)
	if loc == nil {
		return ""
	}
	s, _ := literal(dict[loc[1]-1:])
	return decodeText(s)
}

// literal reads a PDF literal string starting at b[0] == '(' and returns its
// bytes and the length read (0 when it is not one).
func literal(b []byte) ([]byte, int) {
	if len(b) == 0 || b[0] != '(' {
		return nil, 0
	}
	var out []byte
	depth := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '(':
			if depth > 0 {
				out = append(out, c)
			}
			depth++
		case ')':
			depth--
			if depth == 0 {
				return out, i + 1
			}
			out = append(out, c)
		case '\\':
			i++
			if i >= len(b) {
				return out, 0
			}
			switch e := b[i]; e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '\r', '\n': // a line continuation
				if e == '\r' && i+1 < len(b) && b[i+1] == '\n' {
					i++
				}
			default:
				if e >= '0' && e <= '7' {
					v := 0
					for k := 0; k < 3 && i < len(b) && b[i] >= '0' && b[i] <= '7'; k++ {
						v = v*8 + int(b[i]-'0')
						i++
					}
					i--
					out = append(out, byte(v))
				} else {
					out = append(out, e)
				}
			}
		default:
			out = append(out, c)
		}
	}
	return out, 0
}

// decodeText decodes a text string: UTF-16BE with its byte order mark, or
// PDFDocEncoding read as Latin-1.
func decodeText(s []byte) string {
	if len(s) >= 2 && s[0] == 0xFE && s[1] == 0xFF {
		return utf16be(s[2:])
	}
	r := make([]rune, len(s))
	for i, c := range s {
		r[i] = rune(c)
	}
	return string(r)
}

func utf16be(s []byte) string {
	u := make([]uint16, len(s)/2)
	for i := range u {
		u[i] = uint16(s[2*i])<<8 | uint16(s[2*i+1])
	}
	return string(utf16.Decode(u))
}

// textRuns are the strings shown by Tj in a content stream written by PDF
// (its UTF-8 fonts are Identity-H with UTF-16BE codes).
func textRuns(content []byte) []string {
	var runs []string
	for i := 0; i < len(content); i++ {
		if content[i] != '(' {
			continue
		}
		s, n := literal(content[i:])
		if n == 0 {
			return runs
		}
		i += n
		rest := bytes.TrimLeft(content[i:], " \r\n\t")
		if bytes.HasPrefix(rest, []byte("Tj")) {
			runs = append(runs, utf16be(s))
		}
		i--
	}
	return runs
}

// TextCheck is whether a certificate's visible text is what its design
// shows for the embedded credential.
type TextCheck struct {
	Matches bool
	// Expected is the text the design shows for the signed values; Found
	// is the page's. When they differ, Differences lists the runs that are
	// not as expected ("expected" → "found").
	Expected, Found []string
	Differences     []string
	// Signed are the runs that show the credential's signed values, by
	// field ("recipient_name: Ada Lovelace"); the other runs are the
	// design's fixed text, which the signature does not cover.
	Signed []string
}

// CheckText lays the embedded design out again with the values of the
// embedded credential (ValuesOf) and compares its text runs with the page's.
// The credential's own signature is checked by the caller; a certificate
// without its design never matches.
func (c *Certificate) CheckText() TextCheck {
	tc := TextCheck{Found: c.Runs}
	d, err := Parse(c.Design)
	if err != nil || len(bytes.TrimSpace(c.Design)) == 0 {
		tc.Differences = []string{"the PDF does not carry a design to compare with"}
		return tc
	}
	v, err := ValuesOf(c.Credential)
	if err != nil {
		tc.Differences = []string{"the embedded credential is not readable"}
		return tc
	}
	l, err := Lay(d, Input{Values: v})
	if err != nil {
		tc.Differences = []string{"the design cannot be laid out"}
		return tc
	}
	tc.Expected = l.Runs
	for i, f := range l.RunFields {
		if f != "" {
			tc.Signed = append(tc.Signed, f+": "+l.Runs[i])
		}
	}
	for i := range max(len(tc.Expected), len(tc.Found)) {
		var e, f string
		if i < len(tc.Expected) {
			e = tc.Expected[i]
		}
		if i < len(tc.Found) {
			f = tc.Found[i]
		}
		if e != f {
			tc.Differences = append(tc.Differences, strconv.Quote(e)+" → "+strconv.Quote(f))
		}
	}
	tc.Matches = len(tc.Differences) == 0
	return tc
}
