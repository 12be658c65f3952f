package vc

import (
	"errors"
	"slices"
	"strings"

	"github.com/trustcred/trustcred/internal/vc/internal/ld"
)

// ErrTooAmbiguous is returned for a document whose blank nodes are so
// alike and so interlinked that canonicalizing it would take exponential
// time (a "poison graph": a handful of mutually linked, identical blank
// nodes make RDFC-1.0 try every permutation of them). json-gold has no
// work limit of its own; this check runs before it. Digital Bazaar's
// rdf-canonize, which independent verifiers use, refuses such documents
// too (its default work factor allows one deep iteration per ambiguous
// blank node).
var ErrTooAmbiguous = errors.New("vc: the document's blank nodes are too many and too alike to canonicalize")

// maxFreeAmbiguous is how many ambiguous blank nodes (sharing their
// first-degree hash with another) a document may have with no further
// condition: at most 4! orderings of them, a few milliseconds at worst.
// Beyond it, ambiguous blank nodes must not be linked to each other, so
// that no recursion through them is needed.
const maxFreeAmbiguous = 4

// checkCanonicalizationWork refuses, with ErrTooAmbiguous, a dataset whose
// canonicalization could need more than polynomial work: more than
// maxFreeAmbiguous blank nodes that share their first-degree hash with
// another (their "first-degree" quads are the same once the node itself
// reads _:a and every other blank node _:z), some of them appearing in a
// quad together.
func checkCanonicalizationWork(dataset *ld.RDFDataset) error {
	type quad struct{ s, p, o, g ld.Node }
	mentions := map[string][]quad{} // blank node → the quads it appears in
	for name, quads := range dataset.Graphs {
		var g ld.Node
		if name != "@default" {
			if strings.HasPrefix(name, "_:") {
				g = ld.NewBlankNode(name)
			} else {
				g = ld.NewIRI(name)
			}
		}
		for _, q := range quads {
			qq := quad{q.Subject, q.Predicate, q.Object, g}
			seen := map[string]bool{}
			for _, n := range []ld.Node{qq.s, qq.o, qq.g} {
				if b, ok := n.(ld.BlankNode); ok && !seen[b.Attribute] {
					seen[b.Attribute] = true
					mentions[b.Attribute] = append(mentions[b.Attribute], qq)
				}
			}
		}
	}
	if len(mentions) <= maxFreeAmbiguous {
		return nil
	}
	// First-degree "hashes", kept as their text: equal exactly when the
	// RDFC-1.0 first-degree hashes are.
	term := func(n ld.Node, self string) string {
		switch t := n.(type) {
		case nil:
			return "-"
		case ld.BlankNode:
			if t.Attribute == self {
				return "_:a"
			}
			return "_:z"
		case ld.IRI:
			return "<" + t.Value + ">"
		case ld.Literal:
			return `"` + t.Value + `"^^<` + t.Datatype + ">@" + t.Language
		}
		return "?"
	}
	firstDegree := map[string]string{}
	groups := map[string]int{}
	for id, quads := range mentions {
		lines := make([]string, len(quads))
		for i, q := range quads {
			lines[i] = term(q.s, id) + " " + term(q.p, id) + " " + term(q.o, id) + " " + term(q.g, id)
		}
		slices.Sort(lines)
		h := strings.Join(lines, "\n")
		firstDegree[id] = h
		groups[h]++
	}
	ambiguous := func(id string) bool { return groups[firstDegree[id]] > 1 }
	count := 0
	for id := range mentions {
		if ambiguous(id) {
			count++
		}
	}
	if count <= maxFreeAmbiguous {
		return nil
	}
	for id, quads := range mentions {
		if !ambiguous(id) {
			continue
		}
		for _, q := range quads {
			for _, n := range []ld.Node{q.s, q.o, q.g} {
				if b, ok := n.(ld.BlankNode); ok && b.Attribute != id && ambiguous(b.Attribute) {
					return ErrTooAmbiguous
				}
			}
		}
	}
	return nil
}
