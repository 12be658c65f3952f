package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/vc"
	"github.com/trustcred/trustcred/store"
)

// Protocol serves what verifiers fetch, to anyone and without cookies:
// organizations' DID documents, status list credentials and TrustCred's
// JSON-LD context. Browser-based verifiers may read them (CORS *).
type Protocol struct {
	DB     *store.DB
	Issuer *issuance.Issuer
}

// DIDDocument handles GET /orgs/:slug/did.json: the did:web document of the
// organization, every signing key it has had (retired ones too, so that
// what they signed keeps verifying). A suspended organization's document
// is still served: its credentials stay checkable. Unknown, pending (no
// keys yet) and revoked organizations are 404.
func (h *Protocol) DIDDocument(c *fiber.Ctx) error {
	org, err := h.DB.OrganizationBySlug(c.UserContext(), c.Params("slug"))
	if err == nil && (org.Status == store.OrganizationPending || org.Status == store.OrganizationRevoked) {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		return problem(fiber.StatusNotFound, "DID not found", "No organization publishes a DID document at this address.")
	}
	if err != nil {
		return err
	}
	doc, err := h.Issuer.DIDDocument(c.UserContext(), org)
	if err != nil {
		return err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return public(c, "application/did+json", "public, max-age=300", b)
}

// DomainDIDDocument handles GET /.well-known/did.json: on an
// organization's verified custom domain that it issues under
// (did:web:<domain>), that DID's document with the organization's keys;
// 404 on any other host.
func (h *Protocol) DomainDIDDocument(c *fiber.Ctx) error {
	host := strings.TrimSuffix(strings.ToLower(c.Hostname()), ".")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	orgID, err := h.DB.DomainIssuer(c.UserContext(), host)
	var org *store.Organization
	if err == nil {
		org, err = h.DB.OrganizationByID(c.UserContext(), orgID)
	}
	if err == nil && (org.Status == store.OrganizationPending || org.Status == store.OrganizationRevoked) {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		return problem(fiber.StatusNotFound, "DID not found", "No organization publishes a DID document at this address.")
	}
	if err != nil {
		return err
	}
	doc, err := h.Issuer.DomainDIDDocument(c.UserContext(), org, host)
	if err != nil {
		return err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return public(c, "application/did+json", "public, max-age=300", b)
}

// StatusList handles GET /status-lists/:id: the signed
// BitstringStatusListCredential at the list's current version, with a
// strong ETag (If-None-Match answers 304) and a short cache lifetime so
// that a revocation reaches verifiers within a minute.
func (h *Protocol) StatusList(c *fiber.Ctx) error {
	sl, err := h.Issuer.StatusListCredential(c.UserContext(), c.Params("id"))
	if errors.Is(err, store.ErrNotFound) {
		return problem(fiber.StatusNotFound, "Status list not found", "There is no status list at this address.")
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, sl.ETag)
	return public(c, "application/vc", "public, max-age=60, must-revalidate", sl.JSON)
}

// trustCredContext is the embedded TrustCred context as served, and its ETag.
var trustCredContext = sync.OnceValues(func() ([]byte, error) {
	d, err := vc.OfflineLoader{}.LoadDocument(vc.ContextTrustCred)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(d.Document, "", "  ")
})

// Context handles GET /ns/credentials/v1: TrustCred's JSON-LD context
// (vc.ContextTrustCred names it at https://trustcred.org/ns/credentials/v1;
// every server serves the same document). Verifiers should pin it, so it
// may be cached for a day.
func (h *Protocol) Context(c *fiber.Ctx) error {
	b, err := trustCredContext()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	c.Set(fiber.HeaderETag, `"`+hex.EncodeToString(sum[:16])+`"`)
	return public(c, "application/ld+json", "public, max-age=86400", b)
}

// public sends a public protocol document; a request whose If-None-Match
// holds the ETag set before gets 304 without the body. (Fiber's c.Fresh is
// not used: it answers 304 to an If-Modified-Since alone.)
func public(c *fiber.Ctx, contentType, cacheControl string, body []byte) error {
	c.Set(fiber.HeaderCacheControl, cacheControl)
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	c.Vary(fiber.HeaderAccept)
	if etag := string(c.Response().Header.Peek(fiber.HeaderETag)); etag != "" && matches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, contentType)
	return c.Send(body)
}

// matches reports whether an If-None-Match list holds etag, by the weak
// comparison RFC 9110 §13.1.2 prescribes, or is "*". Our tags hold no
// commas, so splitting at commas is exact for them.
func matches(ifNoneMatch, etag string) bool {
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}
