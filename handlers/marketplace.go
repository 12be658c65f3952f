package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/authz"
	"github.com/trustcred/trustcred/internal/branding"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/jobs"
	mkt "github.com/trustcred/trustcred/internal/marketplace"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/marketplace"
	"github.com/trustcred/trustcred/views/verification"
)

// Marketplace serves the template marketplace: the public catalogue, a
// template's page, and "Use this template".
type Marketplace struct {
	DB       *store.DB
	Events   jobs.Enqueuer    // template.published and template.adopted are published through it
	Issuer   *issuance.Issuer // signs published versions (their provenance); nil: unsigned
	PageSize int              // 0: store.DefaultMarketplacePage
	// ReviewPageSize is the reviews a template's page shows at once (0:
	// store.DefaultReviewPage).
	ReviewPageSize int
}

// Index renders GET /marketplace: anyone, signed in (the staff shell) or
// not (the public top bar). Every filter is a query parameter; a bad one
// is a 422 with its message next to the field, never a 500.
func (h *Marketplace) Index(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f, sf, page := parseMarketplaceQuery(c)
	cats, err := h.DB.CrossOrg().TemplateCategories(ctx)
	if err != nil {
		return err
	}
	m := marketplace.Index{Filter: f, AllURL: marketplaceURL(f, "category", "")}
	m.Filtered = f.Query != "" || f.Category != "" || f.Kind != "" || f.IssuerType != "" || f.MinRating != "" || f.Verified != "" || f.Alignment != ""
	if f.Alignments, err = alignmentOptions(ctx, h.DB, f.Alignment); err != nil {
		return err
	}
	for _, cat := range cats {
		m.Categories = append(m.Categories, marketplace.Category{ID: cat.ID, Name: cat.Name, Child: cat.ParentCategoryID != nil,
			URL: marketplaceURL(f, "category", cat.ID), Current: cat.ID == f.Category})
	}
	if len(f.Errors) == 0 {
		page.Limit = h.PageSize
		l, err := h.DB.CrossOrg().Marketplace(ctx, sf, page)
		var fe store.FieldErrors
		switch {
		case errors.Is(err, store.ErrBadCursor):
			f.Errors[""] = badPageLink
		case errors.As(err, &fe):
			for k, v := range fe {
				f.Errors[k] = v
			}
		case err != nil:
			return err
		}
		for i := range l.Entries {
			m.Cards = append(m.Cards, marketplaceCard(&l.Entries[i]))
		}
		if l.Next != nil {
			m.Next = marketplaceURL(f, "after", l.Next.String())
		}
		if page.After != nil {
			m.First = marketplaceURL(f, "", "")
		}
	}
	status := fiber.StatusOK
	if len(f.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
		m.Cards, m.Next = nil, ""
		// The results say what is wrong too: with htmx only they are swapped in.
		var msgs []string
		for _, k := range []string{"", "q", "category", "kind", "issuer_type", "min_rating", "alignment", "sort"} {
			if msg := f.Errors[k]; msg != "" {
				msgs = append(msgs, msg)
			}
		}
		f.Errors[""] = strings.Join(msgs, " ")
	}
	m.Filter = f
	render.SetTitle(c, "Template marketplace")
	if render.IsPartial(c) {
		return render.Page(c, status, marketplace.Results(m))
	}
	return render.Page(c, status, marketplace.IndexPage(m))
}

// parseMarketplaceQuery reads the query string. Each value must be one the
// form offers; the search is checked by the store's rules (length,
// control characters).
func parseMarketplaceQuery(c *fiber.Ctx) (marketplace.Filter, store.MarketplaceFilter, store.MarketplacePage) {
	f := marketplace.Filter{Query: strings.TrimSpace(c.Query("q")), Category: c.Query("category"), Kind: c.Query("kind"),
		MinRating: c.Query("min_rating"), Verified: c.Query("verified"), Sort: c.Query("sort"), Alignment: strings.TrimSpace(c.Query("alignment")),
		IssuerType: c.Query("issuer_type"), Errors: marketplace.Errors{}}
	sf := store.MarketplaceFilter{Query: f.Query, CategoryID: f.Category, Kind: store.TemplateType(f.Kind), Sort: store.MarketplaceSort(f.Sort),
		Alignment: f.Alignment, IssuerType: store.OrganizationType(f.IssuerType)}
	if f.MinRating != "" {
		n, err := strconv.Atoi(f.MinRating)
		if err != nil || n < 1 || n > store.MaxMarketplaceMinRating {
			f.Errors["min_rating"] = "Choose a rating from the list."
		}
		sf.MinRating = n
	}
	switch f.Verified {
	case "":
	case "yes":
		sf.VerifiedOnly = true
	default:
		f.Errors["verified"] = "Tick the box for verified issuers only, or leave it empty."
	}
	if fe := sf.Validate(); fe != nil {
		for k, v := range fe {
			if f.Errors[k] == "" {
				f.Errors[k] = v + "."
			}
		}
	}
	if f.Sort == "" {
		f.Sort = string(store.SortRelevance)
	}
	var page store.MarketplacePage
	if tok := c.Query("after"); tok != "" {
		cur, err := store.ParseCursor(tok)
		if err != nil {
			f.Errors[""] = badPageLink
		}
		page.After = cur
	}
	if f.Errors["q"] != "" && len(f.Query) > 4*store.MaxMarketplaceQuery {
		f.Query = "" // not echoed back whole
	}
	if f.Errors["alignment"] != "" {
		f.Alignment = ""
	}
	return f, sf, page
}

// alignmentOptions are the "Aligned to" filter's choices: the frameworks
// and target names of listed templates, and the current value when no
// listed template has it (a shared link from before), so that the form
// shows the state it answers.
func alignmentOptions(ctx context.Context, db *store.DB, current string) ([]marketplace.Option, error) {
	a, err := db.CrossOrg().MarketplaceAlignments(ctx)
	if err != nil {
		return nil, err
	}
	var out []marketplace.Option
	for _, f := range a.Frameworks {
		out = append(out, marketplace.Option{Value: f, Label: "Framework: " + f})
	}
	for _, t := range a.Targets {
		if !slices.Contains(a.Frameworks, t) {
			out = append(out, marketplace.Option{Value: t, Label: t})
		}
	}
	if current != "" && !slices.ContainsFunc(out, func(o marketplace.Option) bool { return o.Value == current }) {
		out = append(out, marketplace.Option{Value: current, Label: current})
	}
	return out, nil
}

// marketplaceURL is the catalogue with the filter, key set to value (a
// page cursor, a category) unless key is "", and the default order left
// out.
func marketplaceURL(f marketplace.Filter, key, value string) string {
	q := url.Values{}
	for k, v := range map[string]string{"q": f.Query, "category": f.Category, "kind": f.Kind, "issuer_type": f.IssuerType, "min_rating": f.MinRating, "verified": f.Verified, "alignment": f.Alignment} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Sort != "" && f.Sort != string(store.SortRelevance) {
		q.Set("sort", f.Sort)
	}
	if key != "" {
		if value == "" {
			q.Del(key)
		} else {
			q.Set(key, value)
		}
	}
	if len(q) == 0 {
		return marketplace.Path
	}
	return marketplace.Path + "?" + q.Encode()
}

// marketplaceCard is a catalogue entry as its card shows it.
func marketplaceCard(e *store.MarketplaceEntry) marketplace.Card {
	card := marketplace.Card{ID: e.TemplateID, Name: e.Name, Summary: e.Summary, Kind: marketplace.KindLabel(string(e.Kind)),
		IssuerName: e.IssuerName, IssuerSlug: e.IssuerSlug, IssuerVerified: e.IssuerVerified, Category: e.CategoryName,
		RatingCount: e.RatingCount, Adoptions: e.Adoptions, URL: marketplace.Path + "/" + e.TemplateID}
	if e.RatingCount > 0 {
		card.Rating = strconv.FormatFloat(e.Rating(), 'f', 1, 64)
	}
	snap := e.Snapshot.Data()
	card.Preview = samplePreview(snap, e.IssuerName, e.IssuerVerified)
	if a := snap.Data.Achievement; a != nil {
		for _, al := range a.Alignment {
			link := marketplace.Alignment{Name: al.TargetName, URL: al.TargetURL, Code: al.TargetCode, Framework: al.TargetFramework,
				NameFilter: marketplace.Path + "?" + url.Values{"alignment": {al.TargetName}}.Encode()}
			if al.TargetFramework != "" {
				link.FrameworkFilter = marketplace.Path + "?" + url.Values{"alignment": {al.TargetFramework}}.Encode()
			}
			card.Alignments = append(card.Alignments, link)
		}
	}
	if c, ok := (branding.Palette{Accent: deref(e.IssuerAccent)}).Applied(branding.Accent); ok {
		card.Accent = c.Hex()
	}
	return card
}

// samplePreview is the credential a template issues, as its public page
// shows it, filled with sample data: what a template looks like before
// anyone uses it.
func samplePreview(s store.TemplateSnapshot, issuer string, verified bool) verification.Human {
	d := s.Data
	h := verification.Human{Title: s.Name, Description: s.Description, IssuerName: issuer, IssuerVerified: verified,
		RecipientName: "Alex Sample", IssuedAt: sampleDay.Format("2 January 2006"), Nested: true}
	if d.Display.Title != "" {
		h.Title = d.Display.Title
	}
	if d.Display.Description != "" {
		h.Description = d.Display.Description
	}
	if a := d.Achievement; a != nil {
		if a.Name != "" {
			h.Title = a.Name
		}
		if a.Description != "" {
			h.Description = a.Description
		}
		h.Achievement = a.Criteria
	} else if d.Display.Criteria != "" {
		h.Achievement = d.Display.Criteria
	}
	if d.ValidityDays > 0 {
		h.ValidUntil = sampleDay.AddDate(0, 0, d.ValidityDays).Format("2 January 2006")
	}
	for _, f := range s.Schema.Fields {
		label := f.Label
		if label == "" {
			label = humanize(f.Name)
		}
		h.Fields = append(h.Fields, verification.Field{Label: label, Value: sampleValue(f)})
	}
	return h
}

// sampleDay is the date the previews are issued on: fixed, so that a
// preview is the same for every visitor and every day.
var sampleDay = time.Date(2026, time.June, 30, 0, 0, 0, 0, time.UTC)

// sampleValue is a plausible value of a field, as the public page would
// show it.
func sampleValue(f store.SchemaField) string {
	switch f.Type {
	case store.SchemaFieldNumber:
		if f.Validation.Min != nil {
			return strconv.FormatFloat(*f.Validation.Min, 'f', -1, 64)
		}
		return "40"
	case store.SchemaFieldDate:
		return sampleDay.Format("2 January 2006")
	case store.SchemaFieldEmail:
		return "alex.sample@example.com"
	case store.SchemaFieldURL:
		return "https://example.com"
	case store.SchemaFieldBoolean:
		return "Yes"
	case store.SchemaFieldSelect:
		if len(f.Options) > 0 {
			return f.Options[0].Label
		}
	}
	return "Sample " + strings.ToLower(f.Label)
}

// Show renders GET /marketplace/:id: a listed template's page with its
// reviews; anything else is the 404 page. An htmx request (the reviews'
// tabs and pager) gets the reviews section alone.
func (h *Marketplace) Show(c *fiber.Ctx) error {
	return h.show(c, fiber.StatusOK, pageState{})
}

// pageState is what a refused form post puts back on the page: the typed
// review or report with its errors.
type pageState struct {
	review    *marketplace.ReviewForm
	reportFor string // "template" or a review's id
	report    marketplace.ReportForm
}

func (h *Marketplace) show(c *fiber.Ctx, status int, st pageState) error {
	e, err := h.DB.CrossOrg().MarketplaceTemplate(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	snap := e.Snapshot.Data()
	d := marketplace.Detail{Card: marketplaceCard(e), Description: e.Description, Licence: e.Licence.Title(), Version: e.Version,
		Published: e.PublishedAt.Format("2 January 2006"), SchemaName: snap.Schema.Name + " " + snap.Schema.Version}
	d.Preview.IssuerURL = "/orgs/" + e.IssuerSlug
	for _, f := range snap.Schema.Fields {
		d.Fields = append(d.Fields, marketplace.Field{Label: f.Label, Type: fieldTypeLabel(f.Type), Required: f.Required})
	}
	d.Alignments = d.Card.Alignments
	versions, err := h.DB.CrossOrg().MarketplaceVersions(c.UserContext(), e.TemplateID)
	if err != nil {
		return err
	}
	for _, v := range versions {
		d.History = append(d.History, fmt.Sprintf("Version %d, %s", v.Version, v.PublishedAt.Format("2 January 2006")))
	}
	page := marketplace.Path + "/" + e.TemplateID
	switch id := auth.Current(c); {
	case id == nil:
		d.Adopt.SignIn = "/login?next=" + url.QueryEscape(page)
	case id.Org != nil && id.Org.ID == e.IssuerID:
		d.Adopt.Own = true
	case id.Scope != nil && authz.Can(id.User.Role, authz.SchemasWrite):
		d.Adopt.Action = page + "/adopt"
	default:
		d.Adopt.NotAllowed = true
	}
	if d.Reviews, err = h.reviews(c, e, st); err != nil {
		return err
	}
	if canReview(c) && auth.Current(c).Org.ID != e.IssuerID {
		d.Report.Action = page + "/report"
		if st.reportFor == "template" {
			d.Report = st.report
		}
	}
	if render.IsPartial(c) && c.Method() == fiber.MethodGet {
		return render.Page(c, status, marketplace.ReviewsSection(e.TemplateID, d.Reviews))
	}
	render.SetTitle(c, e.Name+" · Template marketplace")
	return render.Page(c, status, marketplace.DetailPage(d))
}

func fieldTypeLabel(t store.SchemaFieldType) string {
	switch t {
	case store.SchemaFieldURL:
		return "Web address"
	case store.SchemaFieldBoolean:
		return "Yes or no"
	case store.SchemaFieldSelect:
		return "Choice"
	}
	return strings.ToUpper(string(t[:1])) + string(t[1:])
}

// Adopt handles POST /marketplace/:id/adopt (schemas.write): the copy is
// made in one transaction and opened, its page saying where it came from.
func (h *Marketplace) Adopt(c *fiber.Ctx) error {
	s := auth.Current(c).Scope
	t, err := mkt.Adopt(c.UserContext(), s, h.Events, c.Params("id"), auth.Actor(c))
	switch {
	case errors.Is(err, store.ErrAdoptOwn):
		render.Flash(c, layout.FlashError, "This template is already your organization's.")
		return render.Redirect(c, marketplace.Path+"/"+c.Params("id"))
	case err != nil:
		return err // not listed (any more): the 404 page
	}
	render.Flash(c, layout.FlashSuccess, fmt.Sprintf("%q is now one of your templates: adjust it to your needs.", t.Name))
	return render.Redirect(c, "/templates/"+t.ID+"/edit")
}
