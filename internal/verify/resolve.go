package verify

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/trustcred/trustcred/internal/vc"
)

// ErrResolve is returned when a verification method cannot be resolved
// to a key its DID document authorizes.
var ErrResolve = errors.New("the signing key could not be resolved")

// LocalDID resolves DID documents this server publishes itself (its
// organizations' did:web) without a network round trip; ok is false for
// any other DID.
type LocalDID func(ctx context.Context, did string) (doc map[string]any, ok bool, err error)

// Resolver resolves did:key locally and did:web through its Fetcher (or
// Local, for this server's own DIDs).
type Resolver struct {
	Fetcher *Fetcher
	Local   LocalDID
}

// WebDIDURL is where a did:web's document lives: did:web:example.com →
// https://example.com/.well-known/did.json, did:web:example.com:a:b →
// https://example.com/a/b/did.json; the host's port is percent-encoded
// (%3A). A loopback host with a port is fetched over plain http, as test
// harnesses serve (the Fetcher only allows that when private addresses
// are).
func WebDIDURL(did string) (string, error) {
	rest, ok := strings.CutPrefix(did, "did:web:")
	if !ok || rest == "" {
		return "", fmt.Errorf("%w: %s is not a did:web", ErrResolve, did)
	}
	parts := strings.Split(rest, ":")
	host, err := url.PathUnescape(parts[0])
	if err != nil || host == "" || strings.ContainsAny(host, "/?#@") {
		return "", fmt.Errorf("%w: %s has an invalid host", ErrResolve, did)
	}
	path := "/.well-known"
	if len(parts) > 1 {
		segs := make([]string, 0, len(parts)-1)
		for _, p := range parts[1:] {
			s, err := url.PathUnescape(p)
			if err != nil || s == "" || strings.ContainsAny(s, "/?#") || s == ".." || s == "." {
				return "", fmt.Errorf("%w: %s has an invalid path", ErrResolve, did)
			}
			segs = append(segs, url.PathEscape(s))
		}
		path = "/" + strings.Join(segs, "/")
	}
	scheme := "https"
	if h, port, found := strings.Cut(host, ":"); found && port != "" && (h == "127.0.0.1" || h == "localhost" || h == "[::1]") {
		scheme = "http"
	}
	return scheme + "://" + host + path + "/did.json", nil
}

// Document resolves a DID to its DID document.
func (r *Resolver) Document(ctx context.Context, did string) (map[string]any, error) {
	switch {
	case strings.HasPrefix(did, "did:key:"):
		d, err := vc.ResolveDIDKey(did)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrResolve, err)
		}
		return didKeyDocument(d), nil
	case strings.HasPrefix(did, "did:web:"):
		if r.Local != nil {
			doc, ok, err := r.Local(ctx, did)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrResolve, err)
			}
			if ok {
				return doc, nil
			}
		}
		u, err := WebDIDURL(did)
		if err != nil {
			return nil, err
		}
		if r.Fetcher == nil {
			return nil, fmt.Errorf("%w: %s: fetching DID documents is off", ErrResolve, did)
		}
		body, err := r.Fetcher.Get(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrResolve, err)
		}
		v, err := vc.ParseJSON(body)
		if err != nil {
			return nil, fmt.Errorf("%w: the DID document of %s is not JSON", ErrResolve, did)
		}
		doc, ok := v.(map[string]any)
		if !ok || doc["id"] != did {
			return nil, fmt.Errorf("%w: the document at %s is not the DID document of %s", ErrResolve, u, did)
		}
		return doc, nil
	}
	method, _, _ := strings.Cut(strings.TrimPrefix(did, "did:"), ":")
	return nil, fmt.Errorf("%w: the DID method %q is not supported (did:key and did:web are)", ErrResolve, method)
}

func didKeyDocument(d *vc.DIDDocument) map[string]any {
	vms := make([]any, 0, len(d.VerificationMethod))
	for _, m := range d.VerificationMethod {
		vms = append(vms, map[string]any{"id": m.ID, "type": m.Type, "controller": m.Controller, "publicKeyMultibase": m.PublicKeyMultibase})
	}
	refs := func(ids []string) []any {
		out := make([]any, len(ids))
		for i, s := range ids {
			out[i] = s
		}
		return out
	}
	return map[string]any{"id": d.ID, "verificationMethod": vms, "assertionMethod": refs(d.AssertionMethod),
		"authentication": refs(d.Authentication)}
}

// Key resolves a verification method id (did#fragment) to its Ed25519 key,
// requiring that the DID document lists it under purpose
// (assertionMethod for credentials, authentication for presentations). It
// returns the DID (the method's controller) with the key.
func (r *Resolver) Key(ctx context.Context, vmID, purpose string) (ed25519.PublicKey, string, error) {
	did, frag, ok := strings.Cut(vmID, "#")
	if !ok || frag == "" {
		return nil, "", fmt.Errorf("%w: %s is not a DID URL with a fragment", ErrResolve, vmID)
	}
	doc, err := r.Document(ctx, did)
	if err != nil {
		return nil, "", err
	}
	abs := func(id string) string {
		if strings.HasPrefix(id, "#") {
			return did + id
		}
		return id
	}
	var method map[string]any
	find := func(list any) {
		items, _ := list.([]any)
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				if id, _ := m["id"].(string); abs(id) == vmID && method == nil {
					method = m
				}
			}
		}
	}
	find(doc["verificationMethod"])
	authorized := false
	items, _ := doc[purpose].([]any)
	for _, it := range items {
		switch v := it.(type) {
		case string:
			authorized = authorized || abs(v) == vmID
		case map[string]any:
			if id, _ := v["id"].(string); abs(id) == vmID {
				authorized = true
				if method == nil {
					method = v
				}
			}
		}
	}
	if method == nil {
		return nil, "", fmt.Errorf("%w: %s is not in the DID document of %s", ErrResolve, vmID, did)
	}
	if !authorized {
		return nil, "", fmt.Errorf("%w: %s is not authorized for %s by %s", ErrResolve, vmID, purpose, did)
	}
	if c, _ := method["controller"].(string); c != "" && c != did {
		return nil, "", fmt.Errorf("%w: %s is controlled by %s, not %s", ErrResolve, vmID, c, did)
	}
	typ, _ := method["type"].(string)
	if !slices.Contains([]string{"Multikey", "Ed25519VerificationKey2020"}, typ) {
		return nil, "", fmt.Errorf("%w: %s has type %q (Multikey is supported)", ErrResolve, vmID, typ)
	}
	mb, _ := method["publicKeyMultibase"].(string)
	pub, err := vc.DecodePublicKey(mb)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s: %w", ErrResolve, vmID, err)
	}
	return pub, did, nil
}
