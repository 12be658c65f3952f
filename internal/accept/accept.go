// Package accept reads a request's Accept-Encoding (RFC 9110 §12.5.3):
// which content codings a client takes, with their quality values, so that
// "gzip;q=0" means no and "*" means any coding not named.
package accept

import (
	"strconv"
	"strings"
)

// Encoding reports whether a client sending header accepts coding
// (lower-case, e.g. "gzip"): named with a quality above zero, or not named
// while "*" is. An empty header accepts none but identity.
func Encoding(header, coding string) bool {
	return quality(header, coding) > 0
}

// Pick returns the first of offers that the client accepts with the highest
// quality, or "" when it accepts none of them.
func Pick(header string, offers ...string) string {
	best, bestQ := "", 0.0
	for _, o := range offers {
		if q := quality(header, o); q > bestQ {
			best, bestQ = o, q
		}
	}
	return best
}

// quality is the q value header gives coding: its own entry's, else
// the "*" entry's, else 0.
func quality(header, coding string) float64 {
	own, wild := -1.0, -1.0
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != coding && name != "*" {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
				continue
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				f = 0 // a malformed weight is no consent to the coding
			}
			q = f
		}
		if name == coding {
			own = max(own, q)
		} else {
			wild = max(wild, q)
		}
	}
	switch {
	case own >= 0:
		return own
	case wild >= 0:
		return wild
	}
	return 0
}
