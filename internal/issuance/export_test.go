package issuance

import (
	"encoding/json"

	"github.com/trustcred/trustcred/internal/vc"
)

// ServedListCached reports whether the served credential of status list id
// is kept in memory (for tests of the cache's keys).
func (is *Issuer) ServedListCached(id string) bool { return is.servedLists().Contains(id) }

// Normalize is normalize, for TestNormalizeAsJSON.
var Normalize = normalize

// NormalizeByJSON is normalize's round trip through JSON, whatever the
// document.
func NormalizeByJSON(doc map[string]any) (map[string]any, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	v, err := vc.ParseJSON(b)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}
