package auth

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/apikey"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
)

// APIClient is who an /api/v1 request acts for: the organization of the
// API key it presented, reached only through that organization's handle.
type APIClient struct {
	Key   *store.APIKey
	Org   *store.Organization
	Scope *store.Scoped
}

// API returns the request's API client; nil outside routes guarded by APIKey.
func API(c *fiber.Ctx) *APIClient {
	cl, _ := c.Locals(keyAPIClient).(*APIClient)
	return cl
}

// realm is the WWW-Authenticate realm of the API.
const realm = `Bearer realm="TrustCred API"`

// APIKey guards an API route: the request must carry "Authorization:
// Bearer <key>" with an active, unexpired key of an active organization
// (else 401), holding every scope listed (else 403). Both answers are
// Problem Details with a WWW-Authenticate challenge (RFC 6750). Cookies are
// never looked at. The key's use is recorded at most once a minute.
func (m *Manager) APIKey(scopes ...store.APIScope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-store")
		scheme, key, _ := strings.Cut(strings.TrimSpace(c.Get(fiber.HeaderAuthorization)), " ")
		key = strings.TrimSpace(key)
		switch {
		case scheme == "":
			c.Set(fiber.HeaderWWWAuthenticate, realm)
			return &render.Problem{Status: fiber.StatusUnauthorized, Title: "API key required",
				Detail: "Send an API key of your organization in the Authorization header: Authorization: Bearer tcs_…"}
		case !strings.EqualFold(scheme, "Bearer") || !apikey.WellFormed(key):
			return invalidKey(c, "The Authorization header does not hold a TrustCred API key: send Authorization: Bearer tcs_…")
		}
		now := m.now()
		k, org, err := m.db.ActiveAPIKey(c.UserContext(), apikey.Hash(key), now)
		if errors.Is(err, store.ErrNotFound) {
			return invalidKey(c, "The API key is unknown, revoked or expired, or its organization is not active.")
		}
		if err != nil {
			return err
		}
		for _, s := range scopes {
			if !k.Has(s) {
				c.Set(fiber.HeaderWWWAuthenticate, realm+`, error="insufficient_scope", scope="`+string(s)+`"`)
				return &render.Problem{Status: fiber.StatusForbidden, Title: "Scope missing",
					Detail: "This API key lacks the scope " + string(s) + ". An administrator of your organization can create a key that has it."}
			}
		}
		if k.LastUsed == nil || now.Sub(*k.LastUsed) >= time.Minute {
			if err := m.db.TouchAPIKey(c.UserContext(), k.ID, now); err != nil {
				m.log.Warn("api key: record use", "error", err)
			}
		}
		c.Locals(keyAPIClient, &APIClient{Key: k, Org: org, Scope: m.db.Scoped(org.ID)})
		return c.Next()
	}
}

func invalidKey(c *fiber.Ctx, detail string) error {
	c.Set(fiber.HeaderWWWAuthenticate, realm+`, error="invalid_token"`)
	return &render.Problem{Status: fiber.StatusUnauthorized, Title: "Invalid API key", Detail: detail}
}
