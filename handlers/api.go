package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/store"
)

// API serves /api/v1: JSON for clients that authenticate with an
// organization's API key (auth.APIKey); every query goes through the
// key's organization handle.
type API struct{}

// APIOrganization is an organization as the API shows it.
type APIOrganization struct {
	ID     string                   `json:"id"`
	Name   string                   `json:"name"`
	Slug   string                   `json:"slug"`
	DID    string                   `json:"did"`
	Type   store.OrganizationType   `json:"type"`
	Status store.OrganizationStatus `json:"status"`
}

// WhoAmI is GET /api/v1/organization: the key's organization and scopes.
type WhoAmI struct {
	Organization APIOrganization  `json:"organization"`
	Scopes       []store.APIScope `json:"scopes"`
}

// Organization handles GET /api/v1/organization: which organization the
// key acts for and what it may do, so that a client can check its key.
func (API) Organization(c *fiber.Ctx) error {
	cl := auth.API(c)
	o, err := cl.Scope.Organization(c.UserContext())
	if err != nil {
		return err
	}
	scopes := []store.APIScope(cl.Key.Permissions)
	if scopes == nil {
		scopes = []store.APIScope{}
	}
	return c.JSON(WhoAmI{
		Organization: APIOrganization{ID: o.ID, Name: o.Name, Slug: o.Slug, DID: o.DID, Type: o.Type, Status: o.Status},
		Scopes:       scopes,
	})
}
