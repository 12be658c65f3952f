// Copyright 2015-2017 Piprate Limited
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package ld

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/nquads"
)

// NQuadRDFSerializer parses and serializes N-Quads.
type NQuadRDFSerializer struct {
}

// Parse N-Quads from string into an RDFDataset.
func (s *NQuadRDFSerializer) Parse(input interface{}) (*RDFDataset, error) {
	return ParseNQuadsFrom(input)
}

// SerializeTo writes RDFDataset as N-Quad into a writer.
func (s *NQuadRDFSerializer) SerializeTo(w io.Writer, dataset *RDFDataset) error {
	for graphName, triples := range dataset.Graphs {
		if graphName == "@default" {
			graphName = ""
		}
		for _, triple := range triples {
			q := toNQuad(triple, graphName)
			if _, err := fmt.Fprint(w, q); err != nil {
				return NewJsonLdError(IOError, err)
			}
		}
	}
	return nil
}

// Serialize an RDFDataset into N-Quad string.
func (s *NQuadRDFSerializer) Serialize(dataset *RDFDataset) (interface{}, error) {
	buf := bytes.NewBuffer(nil)
	if err := s.SerializeTo(buf, dataset); err != nil {
		return nil, err
	}
	return buf.String(), nil
}

// toNQuad is one line of N-Quads. TrustCred change: written into one
// buffer of the right size (upstream concatenated a dozen strings).
func toNQuad(triple *Quad, graphName string) string {
	sv, pv, ov := triple.Subject.GetValue(), triple.Predicate.GetValue(), triple.Object.GetValue()
	b := make([]byte, 0, len(sv)+len(pv)+len(ov)+len(graphName)+16)
	return string(appendNQuad(b, triple, sv, ov, graphName))
}

// appendNQuad appends the N-Quads line of triple to b as toNQuad writes
// it, with sv and ov as the labels of its subject and object when they are
// blank nodes (RDFC-1.0 writes quads with blank nodes relabelled; the
// caller passes their own labels otherwise). TrustCred change: lines of
// canonicalization are written without a Quad, Node or string per line.
func appendNQuad(b []byte, triple *Quad, sv, ov, graphName string) []byte {
	s := triple.Subject
	p := triple.Predicate
	o := triple.Object

	// subject is an IRI or bnode
	if IsIRI(s) {
		b = append(b, '<')
		b = appendEscapedIRI(b, s.GetValue())
		b = append(b, '>')
	} else {
		b = append(b, sv...)
	}

	if IsIRI(p) {
		b = append(b, " <"...)
		b = appendEscapedIRI(b, p.GetValue())
		b = append(b, "> "...)
	} else {
		b = append(b, ' ')
		b = append(b, escape(p.GetValue())...)
		b = append(b, ' ')
	}

	// object is IRI, bnode or literal
	if IsIRI(o) {
		b = append(b, '<')
		b = appendEscapedIRI(b, o.GetValue())
		b = append(b, '>')
	} else if IsBlankNode(o) {
		b = append(b, ov...)
	} else {
		literal := o.(Literal)
		b = append(b, '"')
		if containsByte(literal.Value, &literalEscaped) {
			b = append(b, escapeLiteral(literal.Value)...)
		} else {
			b = append(b, literal.Value...)
		}
		b = append(b, '"')
		if literal.Datatype == RDFLangString {
			b = append(b, '@')
			b = append(b, literal.Language...)
		} else if literal.Datatype != XSDString {
			b = append(b, "^^<"...)
			b = appendEscapedIRI(b, literal.Datatype)
			b = append(b, '>')
		}
	}

	// graph
	if graphName != "" {
		if !strings.HasPrefix(graphName, "_:") {
			b = append(b, " <"...)
			b = appendEscapedIRI(b, graphName)
			b = append(b, '>')
		} else {
			b = append(b, ' ')
			b = append(b, graphName...)
		}
	}

	return append(b, " .\n"...)
}

// appendEscapedIRI is append(b, escapeIRI(iri)...) without a string for
// the (usual) IRI that needs no escaping.
func appendEscapedIRI(b []byte, iri string) []byte {
	if !containsByte(iri, &iriEscapedByte) {
		return append(b, iri...)
	}
	return append(b, escapeIRI(iri)...)
}

func escape(str string) string {
	str = strings.ReplaceAll(str, "\\", "\\\\")
	str = strings.ReplaceAll(str, "\"", "\\\"")
	str = strings.ReplaceAll(str, "\n", "\\n")
	str = strings.ReplaceAll(str, "\r", "\\r")
	str = strings.ReplaceAll(str, "\t", "\\t")
	return str
}

// escapeLiteral writes a literal's value as canonical N-Quads do (RDFC-1.0,
// as rdf-canonize does): " and \ and the control characters U+0000-U+001F
// and U+007F are escaped, \b \t \n \f \r by name, the others as \uXXXX
// (upper-case hex); nothing else. TrustCred change: upstream escaped only
// \ " \n \r \t, so a value holding another control character
// canonicalized differently from every other implementation.
func escapeLiteral(str string) string {
	if !containsByte(str, &literalEscaped) {
		return str
	}
	var sb strings.Builder
	for _, r := range str {
		switch {
		case r == '\b':
			sb.WriteString(`\b`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\f':
			sb.WriteString(`\f`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '"':
			sb.WriteString(`\"`)
		case r == '\\':
			sb.WriteString(`\\`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&sb, `\u%04X`, r)
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// escapeIRI writes an IRI as rdf-canonize does: U+0000-U+0020 and
// <>"{}|^`\ as \uXXXX (none is valid in an IRI; the engine refuses such
// IRIs before canonicalizing, see internal/vc's ErrDroppedStatement).
func escapeIRI(str string) string {
	if !containsByte(str, &iriEscapedByte) {
		return str
	}
	var sb strings.Builder
	for _, r := range str {
		if iriEscaped(r) {
			fmt.Fprintf(&sb, `\u%04X`, r)
		} else {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

func iriEscaped(r rune) bool {
	return r <= 0x20 || strings.ContainsRune("<>\"{}|^`\\", r)
}

// The bytes escapeIRI and escapeLiteral escape: all ASCII, so that a byte
// test tells whether a string needs escaping (TrustCred change: a rune
// test per character was most of the serialization).
var (
	iriEscapedByte = func() (t [256]bool) {
		for b := range 0x80 {
			t[b] = iriEscaped(rune(b))
		}
		return t
	}()
	literalEscaped = func() (t [256]bool) {
		for b := range 0x20 {
			t[b] = true
		}
		t[0x7f], t['"'], t['\\'] = true, true, true
		return t
	}()
)

func containsByte(s string, set *[256]bool) bool {
	for i := 0; i < len(s); i++ {
		if set[s[i]] {
			return true
		}
	}
	return false
}

type lineScanner interface {
	Bytes() []byte
	Scan() bool
	Err() error
}

type bytesLineScanner struct {
	err   error
	b     []byte
	token []byte
	i     int
}

func (ls *bytesLineScanner) Err() error { return ls.err }
func (ls *bytesLineScanner) Scan() bool {
	b, i := ls.b, ls.i
	if ls.err != nil || i >= len(b) {
		return false
	}
	di, token, err := bufio.ScanLines(b[i:], true)
	if err != nil {
		ls.err = err
		return false
	}
	ls.token = token
	ls.i += di
	return true
}
func (ls *bytesLineScanner) Bytes() []byte {
	return ls.token
}

func newScannerFor(o interface{}) (lineScanner, error) {
	switch inp := o.(type) {
	case []byte:
		return &bytesLineScanner{b: inp}, nil
	case string:
		return &bytesLineScanner{b: []byte(inp)}, nil
	case io.Reader:
		return bufio.NewScanner(inp), nil
	default:
		return nil, NewJsonLdError(InvalidInput, "expected []byte, string or io.Reader")
	}
}

// ParseNQuadsFrom parses RDF in the form of N-Quads from io.Reader, []byte or string.
func ParseNQuadsFrom(o interface{}) (*RDFDataset, error) {

	// build RDF dataset
	dataset := NewRDFDataset()

	// maintain a set of triples for each graph to check for duplicates
	triplesByGraph := make(map[string]map[Quad]struct{})
	dataset.parsedWithoutDuplicates = true // the following code ensures that no duplicate quads are added

	scanner, err := newScannerFor(o)
	if err != nil {
		return nil, err
	}

	// scan N-Quad input lines
	lineNumber := 0
	for scanner.Scan() {
		line := scanner.Bytes()
		lineNumber++

		// skip empty lines
		if isEmpty(line) {
			continue
		}

		// parse quad
		q, err := nquads.ParseRaw(string(line))
		if err != nil {
			return nil, NewJsonLdError(SyntaxError, fmt.Errorf("error while parsing N-Quads; invalid quad. line: %d. reason: %w", lineNumber, err))
		}

		// get subject
		var subject Node
		switch v := q.Subject.(type) {
		case quad.IRI:
			subject = NewIRI(string(v))
		case quad.BNode:
			subject = NewBlankNode(v.String())
		default:
			return nil, fmt.Errorf("invalid subject: %s", q.Subject.String())
		}

		// get predicate
		var predicate Node
		if iri, ok := q.Predicate.(quad.IRI); ok {
			predicate = NewIRI(string(iri))
		} else {
			return nil, fmt.Errorf("invalid predicate: %s", q.Predicate.String())
		}

		// get object
		var object Node
		switch obj := q.Object.(type) {
		case quad.IRI:
			object = NewIRI(string(obj))
		case quad.BNode:
			object = NewBlankNode(obj.String())
		case quad.TypedString:
			object = NewLiteral(string(obj.Value), string(obj.Type), "")
		case quad.LangString:
			object = NewLiteral(string(obj.Value), RDFLangString, obj.Lang)
		case quad.String:
			object = NewLiteral(string(obj), XSDString, "")
		default:
			return nil, fmt.Errorf("invalid object: %s", q.Object.String())
		}

		// get graph name ('@default' is used for the default graph)
		name := "@default"
		if label := q.Label; label != nil {
			switch label := label.(type) {
			case quad.IRI:
				name = string(label)
			case quad.BNode:
				name = label.String()
			default:
				return nil, fmt.Errorf("invalid label: %s", q.Label.String())
			}
		}

		triple := NewQuad(subject, predicate, object, name)

		// initialise graph in dataset
		triples, present := dataset.Graphs[name]
		if triplesByGraph[name] == nil {
			triplesByGraph[name] = make(map[Quad]struct{})
		}

		if !present {
			dataset.Graphs[name] = []*Quad{triple}
		} else {
			// add triple if unique to its graph
			if _, hasTriple := triplesByGraph[name][*triple]; !hasTriple {
				dataset.Graphs[name] = append(triples, triple)
			}
		}
		triplesByGraph[name][*triple] = struct{}{}
	}
	if err := scanner.Err(); err != nil {
		return nil, NewJsonLdError(IOError, err)
	}

	return dataset, nil
}

// ParseNQuads parses RDF in the form of N-Quads.
func ParseNQuads(input string) (*RDFDataset, error) {
	return ParseNQuadsFrom(input)
}

func isEmpty(line []byte) bool {
	for _, b := range line {
		if b != ' ' && b != '\t' {
			return false
		}
	}
	return true
}
