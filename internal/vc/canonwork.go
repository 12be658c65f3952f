package vc

import (
	"errors"

	"github.com/trustcred/trustcred/internal/vc/internal/ld"
)

// ErrTooAmbiguous is returned for a document whose blank nodes are so
// alike and so interlinked that canonicalizing it would take exponential
// time (a "poison graph": a handful of mutually linked, identical blank
// nodes make RDFC-1.0 try every permutation of them). json-gold has no
// work limit of its own; canonicalize applies workBound.
var ErrTooAmbiguous = errors.New("vc: the document's blank nodes are too many and too alike to canonicalize")

// workBound is the work one canonicalization may do, counted as RDFC-1.0
// does it (internal/ld's WorkBound): Hash N-Degree Quads at most n^4 times
// for n blank nodes that share their first-degree hash (rdf-canonize's
// maxWorkFactor 4), and at most 10,000 times, 20,000 permutations and
// 50,000 related hashes whatever n.
//
// The W3C RDFC-1.0 suite's evaluation tests need at most 468 deep
// iterations, 2,880 permutations and 2,808 related hashes (12 "evil" blank
// nodes, 10 ms); its poison-graph negative test (a 10-node clique) is
// refused. Identical, mutually linked blank nodes: 4 need 76 deep
// iterations, 5 need 485 (55 ms) and canonicalize; 6 need 3,606, past 6^4,
// and are refused, as are more. A ring of 12 needs 144. Refusing a clique
// of 120 (14,000 statements, inside the public endpoints' limits) takes
// 0.2 s of CPU, most of it copying identifier issuers for the 20,000
// permutations (go test -cpuprofile, on the 2-core machine). rdf-canonize's
// default maxWorkFactor of 1 refuses some of the suite's evaluation tests
// (and 4 linked blank nodes); TrustCred accepts every document it accepts
// that stays within the three absolute caps.
var workBound = ld.WorkBound{WorkFactor: 4, MaxDeepIterations: 10_000, MaxPermutations: 20_000, MaxRelatedHashes: 50_000}
