package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/jobs"
	mkt "github.com/trustcred/trustcred/internal/marketplace"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
)

// MarketplaceAPI serves /api/v1/marketplace: the catalogue of public
// templates (any key: the catalogue is public on the web too) and adopting
// one into the key's organization (templates:write). What it shows of a
// template is its published version's snapshot, which never holds the
// publisher's default values, design or recipients.
type MarketplaceAPI struct {
	DB     *store.DB
	Events jobs.Enqueuer // template.adopted is published through it (marketplace.Adopt)
}

// APIMarketTemplate is a template of the catalogue as the API lists it.
type APIMarketTemplate struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Summary     string             `json:"summary"`
	Description string             `json:"description"`
	Kind        store.TemplateType `json:"kind"`
	Licence     store.Licence      `json:"licence"`
	Version     int                `json:"version"`
	PublishedAt time.Time          `json:"publishedAt"`
	Category    *APIMarketCategory `json:"category"`
	Issuer      APIMarketIssuer    `json:"issuer"`
	Adoptions   int                `json:"adoptions"`
	Rating      APIMarketRating    `json:"rating"`
	// The skills and frameworks a badge aligns to (Open Badges
	// alignment), as in the template's achievement; [] when none.
	Alignments []store.Alignment `json:"alignments"`
}

// APIMarketCategory is a template's category.
type APIMarketCategory struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// APIMarketIssuer is the publishing organization.
type APIMarketIssuer struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	Verified bool   `json:"verified"`
}

// APIMarketRating is the reviews' aggregate: the average (0 without
// reviews) and how many.
type APIMarketRating struct {
	Average float64 `json:"average"`
	Count   int     `json:"count"`
}

// APIMarketTemplateX is what GET /api/v1/marketplace/templates/{id} adds:
// the published version's credential settings and schema.
type APIMarketTemplateX struct {
	APIMarketTemplate
	Cryptosuite  string             `json:"cryptosuite"`
	ValidityDays int                `json:"validityDays"`
	Achievement  *store.Achievement `json:"achievement,omitempty"`
	Schema       APIMarketSchema    `json:"schema"`
}

// APIMarketSchema is the published version's schema: its fields and its
// JSON Schema document.
type APIMarketSchema struct {
	Name       string              `json:"name"`
	Version    string              `json:"version"`
	Fields     []store.SchemaField `json:"fields"`
	Definition json.RawMessage     `json:"definition,omitempty"`
}

// APIMarketList is GET /api/v1/marketplace/templates.
type APIMarketList struct {
	Templates []APIMarketTemplate `json:"templates"`
	Next      *string             `json:"next"`
}

// APIAdopted answers POST /api/v1/marketplace/templates/{id}/adopt: the
// organization's new template and where it came from.
type APIAdopted struct {
	Template APITemplateCopy `json:"template"`
}

// APITemplateCopy is an adopted copy: a private, active template of the
// key's organization, editable like any other.
type APITemplateCopy struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Version     int          `json:"version"`
	DerivedFrom APIDerivedOf `json:"derivedFrom"`
}

// APIDerivedOf is a copy's provenance.
type APIDerivedOf struct {
	TemplateID string `json:"templateId"`
	Version    int    `json:"version"`
	Name       string `json:"name"`
	Issuer     string `json:"issuer"`
}

func apiMarketTemplate(e *store.MarketplaceEntry) APIMarketTemplate {
	out := APIMarketTemplate{ID: e.TemplateID, Name: e.Name, Summary: e.Summary, Description: e.Description, Kind: e.Kind,
		Licence: e.Licence, Version: e.Version, PublishedAt: e.PublishedAt.UTC(), Adoptions: e.Adoptions,
		Issuer: APIMarketIssuer{ID: e.IssuerID, Name: e.IssuerName, Slug: e.IssuerSlug, Verified: e.IssuerVerified},
		Rating: APIMarketRating{Average: e.Rating(), Count: e.RatingCount}, Alignments: []store.Alignment{}}
	if a := e.Snapshot.Data().Data.Achievement; a != nil && len(a.Alignment) > 0 {
		out.Alignments = a.Alignment
	}
	if e.CategoryID != nil {
		out.Category = &APIMarketCategory{ID: *e.CategoryID, Name: e.CategoryName}
	}
	return out
}

// marketParams are the list's query parameters, in the order their
// errors are reported.
var marketParams = []string{"q", "category", "kind", "issuer_type", "min_rating", "verified", "alignment", "sort", "limit", "cursor"}

// List handles GET /api/v1/marketplace/templates: ?q= (words, each a
// prefix), ?category=, ?kind=, ?min_rating=1..5, ?verified=true|false,
// ?alignment= (an Open Badges alignment framework or target name, exactly),
// ?sort=relevance|rating|adopted|newest|trending, ?limit=1..100 (24),
// ?cursor=. A bad parameter is 422 with its error by parameter, as the
// catalogue's page words them; nothing reaches a query language unchecked.
func (h *MarketplaceAPI) List(c *fiber.Ctx) error {
	fe := store.FieldErrors{}
	f := store.MarketplaceFilter{Query: strings.TrimSpace(c.Query("q")), CategoryID: c.Query("category"),
		Kind: store.TemplateType(c.Query("kind")), Sort: store.MarketplaceSort(c.Query("sort")), Alignment: strings.TrimSpace(c.Query("alignment")),
		IssuerType: store.OrganizationType(c.Query("issuer_type"))}
	if s := c.Query("min_rating"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxMarketplaceMinRating {
			fe["min_rating"] = "min_rating must be a whole number of stars from 1 to 5"
		}
		f.MinRating = n
	}
	switch c.Query("verified") {
	case "", "false":
	case "true":
		f.VerifiedOnly = true
	default:
		fe["verified"] = "verified must be true or false"
	}
	page := store.MarketplacePage{Limit: store.DefaultMarketplacePage}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxMarketplacePage {
			fe["limit"] = fmt.Sprintf("limit must be a whole number from 1 to %d", store.MaxMarketplacePage)
		}
		page.Limit = n
	}
	if tok := c.Query("cursor"); tok != "" {
		cur, err := store.ParseCursor(tok)
		if err != nil {
			fe["cursor"] = "cursor must be the next value of a previous page, as it was given"
		}
		page.After = cur
	}
	for k, v := range f.Validate() {
		if fe[k] == "" {
			fe[k] = v
		}
	}
	var l store.MarketplaceList
	if len(fe) == 0 {
		var err error
		l, err = h.DB.CrossOrg().Marketplace(c.UserContext(), f, page)
		var sfe store.FieldErrors
		switch {
		case errors.Is(err, store.ErrBadCursor):
			fe["cursor"] = "cursor is not one of this order's pages: start again without it"
		case errors.As(err, &sfe):
			for k, v := range sfe {
				fe[k] = v
			}
		case err != nil:
			return err
		}
	}
	if len(fe) > 0 {
		p := &render.Problem{Status: fiber.StatusUnprocessableEntity, Title: "Invalid catalogue query"}
		var details []string
		for _, k := range marketParams {
			if msg := fe[k]; msg != "" {
				p.Errors = append(p.Errors, render.FieldError{Parameter: k, Detail: msg})
				details = append(details, msg)
			}
		}
		p.Detail = strings.Join(details, "; ") + "."
		return p
	}
	out := APIMarketList{Templates: make([]APIMarketTemplate, 0, len(l.Entries))}
	for i := range l.Entries {
		out.Templates = append(out.Templates, apiMarketTemplate(&l.Entries[i]))
	}
	if l.Next != nil {
		next := l.Next.String()
		out.Next = &next
	}
	return c.JSON(out)
}

func marketTemplateNotFound() error {
	return problem(fiber.StatusNotFound, "Template not found", "The marketplace lists no template with this id.")
}

// Show handles GET /api/v1/marketplace/templates/{id}: a listed
// template with its published version's settings and schema; 404 for one
// not listed (never published, unpublished, inactive, or its
// organization not active).
func (h *MarketplaceAPI) Show(c *fiber.Ctx) error {
	e, err := h.DB.CrossOrg().MarketplaceTemplate(c.UserContext(), c.Params("id"))
	if err != nil {
		return notFoundAs(err, marketTemplateNotFound)
	}
	snap := e.Snapshot.Data()
	fields := slices.Clone(snap.Schema.Fields)
	if fields == nil {
		fields = []store.SchemaField{}
	}
	return c.JSON(APIMarketTemplateX{APIMarketTemplate: apiMarketTemplate(e), Cryptosuite: snap.Data.Cryptosuite,
		ValidityDays: snap.Data.ValidityDays, Achievement: snap.Data.Achievement,
		Schema: APIMarketSchema{Name: snap.Schema.Name, Version: snap.Schema.Version, Fields: fields, Definition: snap.Schema.Definition}})
}

// Adopt handles POST /api/v1/marketplace/templates/{id}/adopt
// (templates:write): the listed version is copied into the key's
// organization (store.AdoptTemplate: a schema, an active private template,
// the provenance, audited) → 201 with the copy. One's own template is 409;
// one not listed 404.
func (h *MarketplaceAPI) Adopt(c *fiber.Ctx) error {
	cl := auth.API(c)
	ctx := c.UserContext()
	t, err := mkt.Adopt(ctx, cl.Scope, h.Events, c.Params("id"), auth.Actor(c))
	switch {
	case errors.Is(err, store.ErrAdoptOwn):
		return problem(fiber.StatusConflict, "Template already yours",
			"This template is your organization's own: edit it instead of adopting it.")
	case err != nil:
		return notFoundAs(err, marketTemplateNotFound)
	}
	a, err := cl.Scope.Adoption(ctx, t.ID)
	if err != nil {
		return err
	}
	out := APITemplateCopy{ID: t.ID, Name: t.Name, Version: t.Version,
		DerivedFrom: APIDerivedOf{Version: a.SourceVersion, Name: a.SourceName, Issuer: a.SourceIssuer}}
	if a.SourceTemplateID != nil {
		out.DerivedFrom.TemplateID = *a.SourceTemplateID
	}
	return c.Status(fiber.StatusCreated).JSON(APIAdopted{Template: out})
}
