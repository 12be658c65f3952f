package vc

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/trustcred/trustcred/internal/vc/internal/ld"
)

// ErrDroppedStatement is returned for a JSON-LD document that would convert
// to RDF only by leaving statements out: a node or value with a relative IRI
// (an "id" that is not absolute), an http(s) IRI json-gold does not accept,
// or an invalid language tag. json-gold drops such statements without a
// word, so a signature would not cover them; the document is refused instead.
var ErrDroppedStatement = fmt.Errorf("%w: statement would be dropped", ErrJSONLD)

// toRDF is the Deserialize JSON-LD to RDF algorithm (JSON-LD 1.1 API §8.1)
// over an expanded document, as json-gold's JsonLdApi.ToRDF computes it,
// with two differences:
//   - a statement json-gold would drop (see ErrDroppedStatement) is an
//     error, not a silent omission;
//   - whether an http(s) IRI is valid (json-gold's IsURL, a large regular
//     expression that is most of the cost of json-gold's conversion) is
//     remembered across calls, since credentials repeat the same vocabulary
//     IRIs.
//
// @json literals are written as their JCS form whatever the JSON value (as
// jsonld.js does); json-gold only handles objects there.
// TestToRDFMatchesJSONGold compares the two on varied documents.
func toRDF(expanded []any) (*ld.RDFDataset, error) {
	issuer := ld.NewIdentifierIssuer("_:b")
	nodeMap := map[string]any{"@default": map[string]any{}}
	if _, err := ld.NewJsonLdApi().GenerateNodeMap(expanded, nodeMap, "@default", issuer, "", "", nil); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJSONLD, err)
	}
	ds := ld.NewRDFDataset()
	names := make([]string, 0, len(nodeMap))
	for name := range nodeMap {
		names = append(names, name)
	}
	// Lists take blank node labels from issuer in this order; canonicalization
	// relabels them, but a fixed order keeps the conversion deterministic.
	slices.Sort(names)
	for _, name := range names {
		if ld.IsRelativeIri(name) || (name != "@default" && !strings.HasPrefix(name, "_:") && !validIRI(name)) {
			return nil, fmt.Errorf("%w: graph name %q is not an absolute IRI", ErrDroppedStatement, name)
		}
		quads, err := graphToRDF(name, nodeMap[name].(map[string]any), issuer)
		if err != nil {
			return nil, err
		}
		ds.Graphs[name] = quads
	}
	return ds, nil
}

var (
	rdfFirst = ld.NewIRI(ld.RDFFirst)
	rdfRest  = ld.NewIRI(ld.RDFRest)
	rdfNil   = ld.NewIRI(ld.RDFNil)
)

// quadSlab makes the quads of one graph (ld.NewQuad's), allocated a
// chunk at a time, with the graph's name made a node once.
type quadSlab struct {
	free  []ld.Quad
	graph ld.Node
}

func newQuadSlab(graphName string) *quadSlab {
	s := &quadSlab{}
	switch {
	case graphName == "" || graphName == "@default":
	case strings.HasPrefix(graphName, "_:"):
		s.graph = ld.NewBlankNode(graphName)
	default:
		s.graph = ld.NewIRI(graphName)
	}
	return s
}

func (s *quadSlab) quad(subject, predicate, object ld.Node) *ld.Quad {
	if len(s.free) == 0 {
		s.free = make([]ld.Quad, 16)
	}
	q := &s.free[0]
	s.free = s.free[1:]
	*q = ld.Quad{Subject: subject, Predicate: predicate, Object: object, Graph: s.graph}
	return q
}

func graphToRDF(graphName string, graph map[string]any, issuer *ld.IdentifierIssuer) ([]*ld.Quad, error) {
	slab := newQuadSlab(graphName)
	ids := make([]string, 0, len(graph))
	values := 0
	for id, node := range graph {
		ids = append(ids, id)
		for _, v := range node.(map[string]any) {
			if l, isList := v.([]any); isList {
				values += len(l)
			}
		}
	}
	quads := make([]*ld.Quad, 0, values)
	slab.free = make([]ld.Quad, values)
	slices.Sort(ids)
	for _, id := range ids {
		if ld.IsRelativeIri(id) {
			return nil, fmt.Errorf("%w: id %q is not an absolute IRI", ErrDroppedStatement, id)
		}
		var subject ld.Node = ld.NewIRI(id)
		if strings.HasPrefix(id, "_:") {
			subject = ld.NewBlankNode(id)
		}
		node := graph[id].(map[string]any)
		var keyBuf [16]string
		for _, property := range ld.AppendOrderedKeys(keyBuf[:0], node) {
			var values []any
			switch {
			case property == "@type":
				values = node["@type"].([]any)
			case ld.IsKeyword(property):
				continue
			case strings.HasPrefix(property, "_:"):
				// A blank node predicate is generalized RDF, which RDFC-1.0
				// input is not; json-gold drops it too.
				return nil, fmt.Errorf("%w: property %q is a blank node", ErrDroppedStatement, property)
			case ld.IsRelativeIri(property):
				return nil, fmt.Errorf("%w: property %q is not an absolute IRI", ErrDroppedStatement, property)
			default:
				values = node[property].([]any)
			}
			predicate := ld.NewIRI(property)
			if property == "@type" {
				predicate = ld.NewIRI(ld.RDFType)
			}
			for _, item := range values {
				object, err := objectToRDF(item, issuer, slab, &quads)
				if err != nil {
					return nil, err
				}
				quads = append(quads, slab.quad(subject, predicate, object))
			}
		}
	}
	// A quad's subject or predicate that is the previous quad's was
	// checked already (the first refusal is the same).
	var subject, predicate ld.Node
	for _, q := range quads {
		for i, n := range []ld.Node{q.Subject, q.Predicate, q.Object} {
			if (i == 0 && n == subject) || (i == 1 && n == predicate) {
				continue
			}
			if err := checkNode(n); err != nil {
				return nil, err
			}
		}
		subject, predicate = q.Subject, q.Predicate
	}
	return quads, nil
}

// objectToRDF converts an expanded value, list or node reference to an RDF
// term, appending the statements of a list to quads.
func objectToRDF(item any, issuer *ld.IdentifierIssuer, slab *quadSlab, quads *[]*ld.Quad) (ld.Node, error) {
	if ld.IsValue(item) {
		return literal(item.(map[string]any))
	}
	if ld.IsList(item) {
		return listToRDF(item.(map[string]any)["@list"].([]any), issuer, slab, quads)
	}
	var id string
	if m, isMap := item.(map[string]any); isMap {
		id, _ = m["@id"].(string)
	} else {
		id, _ = item.(string)
	}
	if ld.IsRelativeIri(id) {
		return nil, fmt.Errorf("%w: id %q is not an absolute IRI", ErrDroppedStatement, id)
	}
	if strings.HasPrefix(id, "_:") {
		return ld.NewBlankNode(id), nil
	}
	return ld.NewIRI(id), nil
}

func listToRDF(list []any, issuer *ld.IdentifierIssuer, slab *quadSlab, quads *[]*ld.Quad) (ld.Node, error) {
	if len(list) == 0 {
		return rdfNil, nil
	}
	head := ld.NewBlankNode(issuer.GetId(""))
	subject := ld.Node(head)
	for i, item := range list {
		object, err := objectToRDF(item, issuer, slab, quads)
		if err != nil {
			return nil, err
		}
		var next ld.Node = rdfNil
		if i < len(list)-1 {
			next = ld.NewBlankNode(issuer.GetId(""))
		}
		*quads = append(*quads,
			slab.quad(subject, rdfFirst, object),
			slab.quad(subject, rdfRest, next))
		subject = next
	}
	return head, nil
}

// literal converts an expanded value object to an RDF literal as json-gold's
// objectToRDF does (booleans, integers and doubles get their XSD datatypes,
// @direction is ignored), except for @json (see toRDF).
func literal(v map[string]any) (ld.Node, error) {
	value := v["@value"]
	datatype, hasType := v["@type"].(string)
	if datatype == "@json" {
		c, err := CanonicalizeValue(value)
		if err != nil {
			return nil, fmt.Errorf("%w: @json value: %w", ErrJSONLD, err)
		}
		return ld.NewLiteral(string(c), ld.RDFJSONLiteral, ""), nil
	}
	b, isBool := value.(bool)
	f, isFloat := value.(float64)
	if n, isNumber := value.(json.Number); isNumber {
		var err error
		f, err = n.Float64()
		isFloat = err == nil
	}
	withType := func(def string) string {
		if hasType {
			return datatype
		}
		return def
	}
	switch {
	case isBool:
		return ld.NewLiteral(strconv.FormatBool(b), withType(ld.XSDBoolean), ""), nil
	case isFloat && (f != float64(int64(f)) || datatype == ld.XSDDouble):
		return ld.NewLiteral(ld.GetCanonicalDouble(f), withType(ld.XSDDouble), ""), nil
	case isFloat:
		return ld.NewLiteral(strconv.FormatInt(int64(f), 10), withType(ld.XSDInteger), ""), nil
	}
	s, isStr := value.(string)
	if !isStr {
		return nil, fmt.Errorf("%w: @value %v is not a string, number or boolean", ErrJSONLD, value)
	}
	if lang, hasLang := v["@language"].(string); hasLang {
		return ld.NewLiteral(s, withType(ld.RDFLangString), lang), nil
	}
	return ld.NewLiteral(s, withType(ld.XSDString), ""), nil
}

var languageTag = regexp.MustCompile(`^[a-zA-Z]+(-[a-zA-Z0-9]+)*$`)

// checkNode refuses what json-gold's GraphToRDF would drop a statement for.
func checkNode(n ld.Node) error {
	switch n := n.(type) {
	case ld.IRI:
		if !validIRI(n.Value) {
			return fmt.Errorf("%w: %q is not a valid IRI", ErrDroppedStatement, n.Value)
		}
	case ld.Literal:
		if n.Language != "" && !languageTag.MatchString(n.Language) {
			return fmt.Errorf("%w: %q is not a valid language tag", ErrDroppedStatement, n.Language)
		}
		if n.Datatype != "" && !validIRI(n.Datatype) {
			return fmt.Errorf("%w: datatype %q is not a valid IRI", ErrDroppedStatement, n.Datatype)
		}
	}
	return nil
}

// validIRIs remembers json-gold's verdict (ld.IsURL) on strings of at
// most maxCachedIRILen bytes, at most maxValidIRIs of them (2 MiB at most;
// past that, strings are checked every time). Through isURL it mostly holds
// the few scheme://authority/ prefixes that credentials' IRIs share.
var (
	validIRIs     sync.Map
	validIRICount atomic.Int64
)

const (
	maxValidIRIs    = 4096
	maxCachedIRILen = 512
)

// validIRI is json-gold's IRI check of GraphToRDF (an http(s) IRI must
// pass ld.IsURL), and, whatever the scheme, RFC 3987's: no space, control
// character or <>"{}|\^` and at most one '#'. JSON-LD's toRdf drops a
// statement with an IRI that is not well-formed (toRdf e111, li12); json-gold
// kept these.
func validIRI(s string) bool {
	hashes := 0
	for i := 0; i < len(s); i++ {
		// Every character refused is ASCII, so bytes are enough.
		if notInIRI[s[i]] {
			return false
		}
		if s[i] == '#' {
			hashes++
		}
	}
	if hashes > 1 {
		return false
	}
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return true
	}
	return isURL(s)
}

// isURL is ld.IsURL(s) for an http(s) IRI, without running its (slow)
// regular expression over every IRI's path. That expression accepts any
// path without whitespace after an accepted scheme://authority, so an IRI
// whose authority followed by "/" is a URL (cached: credentials share a
// few) and whose rest has no whitespace is one too, once IsURL's other
// conditions hold for the whole IRI. Anything else gets IsURL itself.
// FuzzIsURL holds the two equal.
func isURL(s string) bool {
	if authority, rest, ok := splitAuthority(s); ok && rest != "" && len(s) < 2083 && urlSafe(rest) &&
		authorityIsURL(authority) {
		// url.Parse(s) succeeds when url.Parse(authority+"/") does, with
		// the same host: it refuses a path, query or fragment only for a
		// bad %-escape or a control character, and rest has neither. So
		// IsURL's preconditions hold for s as they do for authority+"/",
		// without parsing s.
		return true
	}
	if authority, rest, ok := splitAuthority(s); ok && rest != "" && !strings.ContainsAny(rest, "\t\n\f\r ") &&
		urlPreconditions(s) && authorityIsURL(authority) {
		return true
	}
	return cachedIsURL(s)
}

// notInIRI are the bytes validIRI refuses: controls, space and <>"{}|\^`.
var notInIRI = func() (t [256]bool) {
	for b := 0; b <= 0x20; b++ {
		t[b] = true
	}
	t[0x7f] = true
	for _, b := range []byte("<>\"{}|\\^`") {
		t[b] = true
	}
	return t
}()

// urlSafe reports whether s is made only of the unreserved and reserved
// characters of RFC 3986 but '[' and ']' (no '%', space or control).
func urlSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if !urlSafeByte[s[i]] {
			return false
		}
	}
	return true
}

var urlSafeByte = func() (t [256]bool) {
	for _, b := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?#") {
		t[b] = true
	}
	return t
}()

// splitAuthority cuts s after its scheme://authority, before the first
// '/', '?' or '#' that follows.
func splitAuthority(s string) (authority, rest string, ok bool) {
	i := strings.Index(s, "://")
	if i < 0 {
		return "", "", false
	}
	for j := i + 3; j < len(s); j++ {
		if c := s[j]; c == '/' || c == '?' || c == '#' {
			return s[:j], s[j:], true
		}
	}
	return "", "", false
}

// authorities remembers cachedIsURL(authority+"/") by authority, so that
// the IRIs of a credential, which share a few scheme://authority parts,
// are checked without building that string (bounded like validIRIs).
var (
	authorities    sync.Map
	authorityCount atomic.Int64
)

const (
	maxAuthorities  = 1024
	maxAuthorityLen = 256
)

// authorityIsURL is cachedIsURL(authority+"/").
func authorityIsURL(authority string) bool {
	if ok, seen := authorities.Load(authority); seen {
		return ok.(bool)
	}
	ok := cachedIsURL(authority + "/")
	if len(authority) <= maxAuthorityLen && authorityCount.Load() < maxAuthorities {
		// A copy: authority is part of a longer IRI the map would keep.
		if _, loaded := authorities.LoadOrStore(strings.Clone(authority), ok); !loaded {
			authorityCount.Add(1)
		}
	}
	return ok
}

// urlPreconditions are ld.IsURL's checks besides its regular expression,
// for a string with a scheme ("://").
func urlPreconditions(s string) bool {
	if s == "" || utf8.RuneCountInString(s) >= 2083 || len(s) <= 3 || strings.HasPrefix(s, ".") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || strings.HasPrefix(u.Host, ".") {
		return false
	}
	return u.Host != "" || u.Path == "" || strings.Contains(u.Path, ".")
}

func cachedIsURL(s string) bool {
	if ok, seen := validIRIs.Load(s); seen {
		return ok.(bool)
	}
	ok := ld.IsURL(s)
	if len(s) <= maxCachedIRILen && validIRICount.Load() < maxValidIRIs {
		if _, loaded := validIRIs.LoadOrStore(s, ok); !loaded {
			validIRICount.Add(1)
		}
	}
	return ok
}
