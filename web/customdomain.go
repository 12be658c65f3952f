package web

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/customdomain"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
)

// Host routing for custom domains. A request whose Host is an
// organization's verified custom domain is served that organization's
// public pages only: its profile (and / → it), its credentials' pages
// (/v/{id}, their JSON and QR code), its DID document, its status lists, its
// brand stylesheet (/brand/{its id}/…),
// the static assets and the JSON-LD context. Anything else (staff pages,
// sign-in, the API, other organizations' credentials and profiles) answers
// 404. TrustCred's own host, IP addresses and names without a dot
// (localhost, a container's name) are served as before; any other host
// (unknown, or a domain not verified yet) gets a plain 404 page that says
// nothing of TrustCred or of any organization, except for the probes.
//
// TLS for the custom domains is a later step: the listener's certificate
// choice (uploaded certificates, or ACME's on-demand issuance allowed for
// the names store.DB.VerifiedDomainOrganization knows) goes in front of
// this, and this routing does not change with it.

// domainTTL bounds how long a lookup is kept: the generation counter
// (store.CustomDomainsGeneration) drops the cache on this process's own
// changes at once; another process's, and a changed slug, within the TTL.
const domainTTL = 30 * time.Second

// domainCacheMax bounds the cache: a client sending made-up Host headers
// empties it rather than growing it.
const domainCacheMax = 4096

// domainSite is what a host serves: the organization and its slug, or
// nothing (org == "") for a host that is not a verified custom domain.
type domainSite struct {
	org, slug string
	expires   time.Time
}

// domainSites is the cached host → site lookup.
type domainSites struct {
	db      *store.DB
	ownHost string

	mu    sync.Mutex
	gen   uint64
	sites map[string]domainSite
}

func (s *domainSites) lookup(ctx context.Context, host string, now time.Time) (domainSite, error) {
	gen := store.CustomDomainsGeneration()
	s.mu.Lock()
	if s.sites == nil || s.gen != gen || len(s.sites) >= domainCacheMax {
		s.gen, s.sites = gen, make(map[string]domainSite)
	}
	site, ok := s.sites[host]
	s.mu.Unlock()
	if ok && now.Before(site.expires) {
		return site, nil
	}
	site = domainSite{expires: now.Add(domainTTL)}
	org, err := s.db.VerifiedDomainOrganization(ctx, host)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return site, err
	default:
		o, err := s.db.OrganizationByID(ctx, org)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return site, err
		}
		if err == nil {
			site.org, site.slug = o.ID, o.Slug
		}
	}
	s.mu.Lock()
	if s.gen == gen && s.sites != nil {
		s.sites[host] = site
	}
	s.mu.Unlock()
	return site, nil
}

// requestHost is the request's host name: lower case, without port or
// trailing dot.
func requestHost(c *fiber.Ctx) string {
	h := string(c.Request().Host())
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// customDomains is the host routing middleware.
// baseURL is TrustCred's own address: its host is served as usual, and the
// pages of a custom domain link to it for everything the domain does not serve.
func customDomains(db *store.DB, baseURL string) fiber.Handler {
	if db == nil { // an app without a database (tests of the middleware) has no domains
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	sites := &domainSites{db: db, ownHost: customdomain.HostOf(baseURL)}
	return func(c *fiber.Ctx) error {
		host := requestHost(c)
		if host == "" || host == sites.ownHost || !strings.Contains(host, ".") || net.ParseIP(host) != nil {
			return c.Next()
		}
		site, err := sites.lookup(c.UserContext(), host, time.Now())
		// The health probes and the status panel answer whatever the host (a
		// load balancer may probe by an address or a name of its own) and
		// while the database, and so the lookup, is down (/readyz says so).
		probe := false
		switch c.Path() {
		case "/healthz", "/readyz", "/status":
			probe = true
		}
		if err != nil {
			if probe {
				return c.Next()
			}
			return err
		}
		if site.org == "" {
			if probe {
				return c.Next()
			}
			return unknownHost(c)
		}
		render.SetHome(c, baseURL) // its pages, and its 404 page, link TrustCred's own pages there
		ok, err := site.allows(c, db)
		if err != nil {
			return err
		}
		if !ok {
			return fiber.ErrNotFound
		}
		if c.Path() == "/" {
			return c.Redirect("/orgs/"+site.slug, fiber.StatusFound)
		}
		return c.Next()
	}
}

// allows reports whether the site serves the request's path.
func (site domainSite) allows(c *fiber.Ctx, db *store.DB) (bool, error) {
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return false, nil
	}
	path := c.Path()
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case path == "/", path == "/ns/credentials/v1", path == "/.well-known/did.json", strings.HasPrefix(path, "/static/"):
		return true, nil
	case (parts[0] == "brand" || parts[0] == "brand-assets") && len(parts) == 3:
		// its own look's stylesheet (and script), its favicon
		return parts[1] == site.org, nil
	case parts[0] == "orgs" && len(parts) >= 2 && len(parts) <= 3:
		// /orgs/{slug}, /orgs/{slug}/logo, /orgs/{slug}/did.json
		if parts[1] != site.slug {
			return false, nil
		}
		return len(parts) == 2 || parts[2] == "logo" || parts[2] == "did.json", nil
	case parts[0] == "v" && len(parts) == 2 || parts[0] == "v" && len(parts) == 3 &&
		(parts[2] == "credential.json" || parts[2] == "certificate.pdf" || strings.HasPrefix(parts[2], "qr.")):
		return owned(db.CredentialIssuerID(c.UserContext(), strings.Clone(parts[1])))(site.org)
	case parts[0] == "status-lists" && len(parts) == 2:
		return owned(db.StatusListOrganizationID(c.UserContext(), strings.Clone(parts[1])))(site.org)
	}
	return false, nil
}

// owned turns an owner lookup into "is it org's": not found is no.
func owned(owner string, err error) func(org string) (bool, error) {
	return func(org string) (bool, error) {
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil && owner == org, err
	}
}

// unknownHostPage is the whole answer to a host TrustCred does not serve:
// no TrustCred chrome, no organization, no link.
const unknownHostPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Not found</title></head>
<body><h1>Not found</h1><p>Nothing is served at this address.</p></body></html>
`

func unknownHost(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusNotFound).SendString(unknownHostPage)
}
