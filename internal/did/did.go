// Package did builds the decentralized identifiers TrustCred issues under.
package did

import (
	"fmt"
	"net/url"
	"strings"
)

// Web returns the did:web identifier for a path under the server at
// baseURL: Web("https://creds.example.org", "orgs", "acme") is
// "did:web:creds.example.org:orgs:acme". A port is percent-encoded as the
// did:web method requires ("localhost%3A8080"); a path prefix of the base URL
// becomes leading segments. Segments must be non-empty and contain no ':' or
// '/'.
func Web(baseURL string, segments ...string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("did: base URL %q has no host", baseURL)
	}
	parts := []string{"did:web:" + strings.ReplaceAll(strings.ToLower(u.Host), ":", "%3A")}
	for _, p := range strings.Split(strings.Trim(u.Path, "/"), "/") {
		if p != "" {
			parts = append(parts, url.PathEscape(p))
		}
	}
	for _, s := range segments {
		if s == "" || strings.ContainsAny(s, ":/") {
			return "", fmt.Errorf("did: invalid path segment %q", s)
		}
		parts = append(parts, url.PathEscape(s))
	}
	return strings.Join(parts, ":"), nil
}
