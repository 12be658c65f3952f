package handlers

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/apikey"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/apikeys"
	"github.com/trustcred/trustcred/views/layout"
)

// APIKeys serves an organization's API keys page (org admins).
type APIKeys struct {
	BaseURL string        // for the usage example shown with a new key
	Events  jobs.Enqueuer // api_key.created and api_key.revoked are published through it
}

// scopeHelp says what each scope allows, for the form.
var scopeHelp = map[store.APIScope]string{
	store.ScopeCredentialsRead:   "Read issued credentials.",
	store.ScopeCredentialsIssue:  "Issue credentials.",
	store.ScopeCredentialsRevoke: "Revoke and suspend credentials.",
	store.ScopeWebhooksManage:    "Manage webhooks: create, change, rotate secrets, read delivery logs, redeliver.",
	store.ScopeTemplatesWrite:    "Adopt marketplace templates into your organization.",
}

// Index renders GET /api-keys.
func (h *APIKeys) Index(c *fiber.Ctx) error {
	return h.page(c, fiber.StatusOK, apikeys.Form{Expiry: apikeys.ExpiryNever})
}

func (h *APIKeys) page(c *fiber.Ctx, status int, f apikeys.Form) error {
	keys, err := auth.Current(c).Scope.APIKeys(c.UserContext())
	if err != nil {
		return err
	}
	now := time.Now()
	m := apikeys.Index{Form: f, BaseURL: h.BaseURL}
	for i := range keys {
		m.Rows = append(m.Rows, row(&keys[i], now))
	}
	for _, s := range store.APIScopes() {
		m.AllScopes = append(m.AllScopes, apikeys.Scope{Value: string(s), Help: scopeHelp[s]})
	}
	render.SetTitle(c, "API keys")
	return render.Page(c, status, apikeys.IndexPage(m))
}

// Create handles POST /api-keys: the new key is shown on the response,
// once; only its hash is stored.
func (h *APIKeys) Create(c *fiber.Ctx) error {
	now := time.Now().UTC()
	f := apikeys.Form{Name: strings.TrimSpace(c.FormValue("name")), Expiry: c.FormValue("expiry"),
		Date: strings.TrimSpace(c.FormValue("date")), Errors: apikeys.Errors{}}
	for _, v := range c.Context().PostArgs().PeekMulti("scopes") {
		f.Scopes = append(f.Scopes, string(v))
	}
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		f.Errors["name"] = "Enter a name that says what uses the key."
	case n > 100:
		f.Errors["name"] = "Use at most 100 characters."
	}
	var scopes []store.APIScope
	for _, s := range f.Scopes {
		sc := store.APIScope(s)
		if !sc.Offered() {
			f.Errors["scopes"] = "Choose scopes from the list."
			break
		}
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	if len(scopes) == 0 && f.Errors["scopes"] == "" {
		f.Errors["scopes"] = "Choose at least one scope."
	}
	expires, ok := expiry(f, now)
	switch {
	case !ok && f.Expiry == apikeys.ExpiryDate:
		f.Errors["date"] = "Enter a date after today, such as " + now.AddDate(0, 0, 30).Format(time.DateOnly) + "."
	case !ok:
		f.Errors["expiry"] = "Choose when the key expires."
	}
	checkForm(c, f.Errors)
	if len(f.Errors) > 0 {
		return h.page(c, fiber.StatusUnprocessableEntity, f)
	}

	key, visible, hash := apikey.New()
	k := &store.APIKey{Name: f.Name, KeyHash: hash, Prefix: visible, Permissions: datatypes.NewJSONSlice(scopes), ExpiresAt: expires}
	ctx := c.UserContext()
	if err := events.Change(ctx, auth.Current(c).Scope, h.Events, func(tx *store.Scoped) ([]events.Event, error) {
		if err := tx.CreateAPIKey(ctx, k, auth.Actor(c)); err != nil {
			return nil, err
		}
		e, err := events.New(tx.OrganizationID(), events.APIKeyCreated, now, events.APIKeyOf(k, now))
		return []events.Event{e}, err
	}); err != nil {
		return err
	}
	// The key is in this response only: no cache may keep it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	render.SetTitle(c, "API key created")
	return render.Page(c, fiber.StatusCreated, apikeys.CreatedPage(apikeys.Created{Key: key, Row: row(k, now), BaseURL: h.BaseURL}))
}

// expiry reads the form's expiry: nil for never; ok false if invalid.
func expiry(f apikeys.Form, now time.Time) (*time.Time, bool) {
	switch f.Expiry {
	case apikeys.ExpiryNever, "":
		return nil, true
	case "30", "90", "365":
		days, _ := strconv.Atoi(f.Expiry)
		t := now.AddDate(0, 0, days)
		return &t, true
	case apikeys.ExpiryDate:
		d, err := time.Parse(time.DateOnly, f.Date)
		if err != nil || !d.After(now) {
			return nil, false
		}
		return &d, true
	}
	return nil, false
}

// Revoke handles POST /api-keys/:id/revoke: the updated row for htmx, or
// back to the list.
func (h *APIKeys) Revoke(c *fiber.Ctx) error {
	ctx := c.UserContext()
	var k *store.APIKey
	if err := events.Change(ctx, auth.Current(c).Scope, h.Events, func(tx *store.Scoped) ([]events.Event, error) {
		before, err := tx.APIKey(ctx, c.Params("id"))
		if err != nil {
			return nil, err
		}
		if k, err = tx.RevokeAPIKey(ctx, before.ID, auth.Actor(c)); err != nil || !before.Active {
			return nil, err // revoking a revoked key changes nothing: no event
		}
		now := time.Now()
		e, err := events.New(tx.OrganizationID(), events.APIKeyRevoked, now, events.APIKeyOf(k, now))
		return []events.Event{e}, err
	}); err != nil {
		return err
	}
	if render.IsPartial(c) {
		return render.Component(c, fiber.StatusOK, apikeys.RowView(row(k, time.Now())))
	}
	render.Flash(c, layout.FlashSuccess, "The key “"+k.Name+"” is revoked. Programs using it can no longer call the API.")
	return render.Redirect(c, "/api-keys")
}

// row is how a key is listed.
func row(k *store.APIKey, now time.Time) apikeys.Row {
	r := apikeys.Row{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Status: string(k.Status(now)),
		Created: when(k.CreatedAt), CreatedISO: k.CreatedAt.UTC().Format(time.RFC3339), LastUsed: "Never", Expires: "Never"}
	for _, s := range k.Permissions {
		r.Scopes = append(r.Scopes, string(s))
	}
	if k.LastUsed != nil {
		r.LastUsed, r.LastUsedISO = when(*k.LastUsed), k.LastUsed.UTC().Format(time.RFC3339)
	}
	if k.ExpiresAt != nil {
		r.Expires = when(*k.ExpiresAt)
	}
	return r
}

// when formats a time for lists: UTC, to the minute.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
