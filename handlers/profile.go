package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/certificate"
	"github.com/trustcred/trustcred/internal/did"
	"github.com/trustcred/trustcred/internal/dnsverify"
	"github.com/trustcred/trustcred/internal/slug"
	"github.com/trustcred/trustcred/internal/text"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/settings"
)

// MaxLogoBytes is the largest logo accepted.
const MaxLogoBytes = certificate.MaxLogoBytes

// logoCacheControl lets browsers and proxies keep a logo for five minutes,
// then revalidate it by its ETag: the URL stays the same when the logo
// changes.
const logoCacheControl = "public, max-age=300"

// Profile serves an organization's profile settings (org admins): the
// profile form, the logo, domain verification and the issuer categories;
// and, publicly, the organization's logo.
type Profile struct {
	DB      *store.DB // only for the public logo, found by slug
	Blobs   blob.Store
	BaseURL string              // public pages and did:web identifiers are under it
	DNSKey  []byte              // the key of the verification TXT values (dnsverify.Record)
	DNS     *dnsverify.Verifier // looks the TXT records up
	Log     *slog.Logger
}

// Show renders GET /settings/profile.
func (h *Profile) Show(c *fiber.Ctx) error {
	m, err := h.model(c, auth.Current(c).Org)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, m)
}

// Update handles POST /settings/profile: every field is checked and
// refused next to it; the change is one transaction with its audit entry.
func (h *Profile) Update(c *fiber.Ctx) error {
	id := auth.Current(c)
	f := settings.ProfileForm{
		Name: strings.TrimSpace(c.FormValue("name")), Slug: strings.TrimSpace(c.FormValue("slug")), Type: c.FormValue("type"),
		Domain:      strings.TrimSpace(c.FormValue("domain")),
		Description: strings.TrimSpace(strings.ReplaceAll(c.FormValue("description"), "\r\n", "\n")),
		Website:     strings.TrimSpace(c.FormValue("website")), MetadataURI: strings.TrimSpace(c.FormValue("metadata_uri")),
		ContactEmail: strings.TrimSpace(c.FormValue("contact_email")),
	}
	p, errs := parseProfile(&f)
	checkForm(c, errs)
	if len(errs) == 0 {
		var err error
		if p.DID, err = did.Web(h.BaseURL, "orgs", p.Slug); err != nil {
			return err
		}
		org, changes, err := id.Scope.UpdateProfile(c.UserContext(), p, auth.Actor(c))
		var fe store.FieldErrors
		switch {
		case errors.Is(err, store.ErrSlugTaken):
			errs["slug"] = "Another organization uses this address. Choose another."
		case errors.Is(err, store.ErrNameTaken):
			errs["name"] = "Another organization is registered under this name."
		case errors.As(err, &fe):
			for col := range fe {
				if msg, ok := profileFieldHelp[col]; ok {
					errs[col] = msg
				} else {
					errs[""] = profileFieldHelp[""]
				}
			}
		case err != nil:
			return err
		default:
			kind, msg := profileSaved(id.Org, org, changes)
			render.Flash(c, kind, msg)
			return render.Redirect(c, "/settings/profile")
		}
	}
	f.Errors = errs
	m, err := h.model(c, id.Org)
	if err != nil {
		return err
	}
	m.Form = f
	return h.render(c, fiber.StatusUnprocessableEntity, m)
}

// profileSaved says what a saved profile changed.
func profileSaved(before, after *store.Organization, changes []store.FieldChange) (layout.FlashKind, string) {
	if len(changes) == 0 {
		return layout.FlashInfo, "Nothing changed."
	}
	msg := "Profile saved."
	if before.Slug != after.Slug {
		msg += " Your public address is now /orgs/" + after.Slug + "."
		if before.DID != after.DID {
			msg += " Your DID is now " + after.DID + "."
		}
	}
	if before.Verified && !after.Verified {
		msg += " The domain changed: verify it again to get the verified badge back."
	}
	return layout.FlashSuccess, msg
}

// profileFieldHelp is what to say about a field the store's validation
// refused after the form's own checks passed (rare: e.g. a domain whose
// top-level label is not a name).
var profileFieldHelp = map[string]string{
	"":              "The profile could not be saved. Check the fields and try again.",
	"name":          "Enter the organization’s name, at most 200 characters.",
	"slug":          "Use 3 to 63 lower-case letters, digits and single hyphens.",
	"did":           "This address cannot be turned into a DID. Choose another.",
	"type":          "Choose a type from the list.",
	"domain":        "Enter a domain name such as example.edu.",
	"description":   "Use at most 2000 characters.",
	"website":       "Enter an address starting with https:// or http://.",
	"metadata_uri":  "Enter an address starting with https:// or http://.",
	"contact_email": "Enter an email address such as office@example.org.",
}

// parseProfile checks every field of the form, normalising f (the domain
// in lower case, URLs in canonical form), and returns the profile or the
// errors by field.
func parseProfile(f *settings.ProfileForm) (store.OrganizationProfile, settings.Errors) {
	errs := settings.Errors{}
	p := store.OrganizationProfile{Name: f.Name, Slug: f.Slug, Type: store.OrganizationType(f.Type)}

	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		errs["name"] = "Enter the organization’s name."
	case n > 200:
		errs["name"] = "Use at most 200 characters (this is " + strconv.Itoa(n) + ")."
	case hasControl(f.Name, false):
		errs["name"] = "Use a single line without control characters."
	}

	if err := slug.Valid(f.Slug); err != nil {
		msg := "The address " + err.Error() + "."
		if s := slug.From(f.Slug); s != f.Slug && slug.Valid(s) == nil {
			msg += " For example: " + s + "."
		}
		errs["slug"] = msg
	}

	if !p.Type.Valid() {
		errs["type"] = "Choose a type from the list."
	}

	if f.Domain != "" {
		d, err := dnsverify.ParseDomain(f.Domain)
		if err != nil {
			errs["domain"] = "Enter a domain name such as example.edu, without https:// or a path."
		} else {
			f.Domain, p.Domain = d, &d
		}
	}

	if f.Description != "" {
		switch n := utf8.RuneCountInString(f.Description); {
		case n > 2000:
			errs["description"] = "Use at most 2000 characters (this is " + strconv.Itoa(n) + ")."
		case hasControl(f.Description, true):
			errs["description"] = "Remove the control characters: plain text and line breaks only."
		default:
			p.Description = &f.Description
		}
	}

	for _, u := range []struct {
		name  string
		value *string
		into  **string
	}{{"website", &f.Website, &p.Website}, {"metadata_uri", &f.MetadataURI, &p.MetadataURI}} {
		if *u.value == "" {
			continue
		}
		canonical, msg := webURL(*u.value)
		if msg != "" {
			errs[u.name] = msg
			continue
		}
		*u.value = canonical
		*u.into = u.value
	}

	if f.ContactEmail != "" {
		if !validEmail(f.ContactEmail) {
			errs["contact_email"] = "Enter an email address such as office@example.org."
		} else {
			p.ContactEmail = &f.ContactEmail
		}
	}
	return p, errs
}

// webURL checks an address people are sent to: absolute http(s), a host,
// no user name or password, at most 2048 characters. It returns the URL in
// canonical form, or what is wrong with it.
func webURL(s string) (string, string) {
	if len(s) > 2048 {
		return "", "Use an address of at most 2048 characters."
	}
	u, err := url.Parse(s)
	if err != nil || strings.ContainsAny(s, " \t\n") || hasControl(s, false) {
		return "", "Enter a web address such as https://example.org."
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", "Enter an address starting with https:// or http://."
	}
	if u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return "", "Enter a web address such as https://example.org."
	}
	if u.User != nil {
		return "", "Remove the user name and password from the address."
	}
	out := u.String()
	if len(out) > 2048 {
		return "", "Use an address of at most 2048 characters."
	}
	return out, ""
}

// hasControl reports what internal/text refuses in a line, or with
// lineBreaks in a text of several lines.
func hasControl(s string, lineBreaks bool) bool {
	rule := text.SingleLine
	if lineBreaks {
		rule = text.MultiLine
	}
	return text.Check(s, rule) != nil
}

// What readUpload refuses, for the page to say in its own words.
var (
	errUploadMissing  = errors.New("no file uploaded")
	errUploadTooLarge = errors.New("file too large")
	errUploadEmpty    = errors.New("empty file")
)

// readUpload reads the multipart file of field whole, at most limit bytes
// (the declared size is checked before reading, the bytes read after):
// errUploadMissing, errUploadTooLarge or errUploadEmpty say what the person
// has to fix; any other error is the server's.
func readUpload(c *fiber.Ctx, field string, limit int) ([]byte, error) {
	fh, err := c.FormFile(field)
	if err != nil {
		return nil, errUploadMissing
	}
	if fh.Size > int64(limit) {
		return nil, errUploadTooLarge
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	_ = f.Close()
	switch {
	case err != nil:
		return nil, err
	case len(data) == 0:
		return nil, errUploadEmpty
	case len(data) > limit:
		return nil, errUploadTooLarge
	}
	return data, nil
}

// UploadLogo handles POST /settings/profile/logo (multipart, field "logo"):
// the image is sniffed and size-limited, stored under a key named by its
// SHA-256, then the organization points at it; the old logo is deleted
// after the change commits.
func (h *Profile) UploadLogo(c *fiber.Ctx) error {
	id := auth.Current(c)
	data, err := readUpload(c, "logo", MaxLogoBytes)
	switch {
	case errors.Is(err, errUploadMissing):
		return h.logoRefused(c, "Choose an image file to upload.")
	case errors.Is(err, errUploadTooLarge):
		return h.logoRefused(c, "The image is too large: the limit is 1 MB.")
	case errors.Is(err, errUploadEmpty):
		return h.logoRefused(c, "The file is empty. Choose an image file to upload.")
	case err != nil:
		return err
	}
	contentType, err := blob.SniffImage(data, MaxLogoBytes)
	if err != nil {
		return h.logoRefused(c, sentence(err.Error()))
	}
	sum := sha256.Sum256(data)
	key := "orgs/" + id.Org.ID + "/logo-" + hex.EncodeToString(sum[:])
	if err := h.Blobs.Put(c.UserContext(), key, bytes.NewReader(data), contentType); err != nil {
		return err
	}
	// If this fails, the new blob stays unreferenced: deleting it could
	// remove a logo that another request has just pointed at (same
	// content, same key).
	previous, err := id.Scope.SetLogo(c.UserContext(), key, auth.Actor(c))
	if err != nil {
		return err
	}
	if previous != "" && previous != key {
		h.deleteBlob(c, previous)
	}
	render.Flash(c, layout.FlashSuccess, "Logo updated.")
	return render.Redirect(c, "/settings/profile")
}

// DeleteLogo handles POST /settings/profile/logo/delete.
func (h *Profile) DeleteLogo(c *fiber.Ctx) error {
	previous, err := auth.Current(c).Scope.SetLogo(c.UserContext(), "", auth.Actor(c))
	if err != nil {
		return err
	}
	if previous == "" {
		render.Flash(c, layout.FlashInfo, "There was no logo to remove.")
	} else {
		h.deleteBlob(c, previous)
		render.Flash(c, layout.FlashSuccess, "Logo removed.")
	}
	return render.Redirect(c, "/settings/profile")
}

// deleteBlob removes a blob nothing refers to any more; a failure leaves
// an orphan file, which is logged, not shown.
func (h *Profile) deleteBlob(c *fiber.Ctx, key string) {
	if err := h.Blobs.Delete(auth.WithoutCancel(c), key); err != nil {
		h.Log.Warn("logo: old blob not deleted", "key", key, "error", err)
	}
}

func (h *Profile) logoRefused(c *fiber.Ctx, why string) error {
	m, err := h.model(c, auth.Current(c).Org)
	if err != nil {
		return err
	}
	m.Logo.Error = why
	return h.render(c, fiber.StatusUnprocessableEntity, m)
}

// sentence turns an error written for people ("the image is too large: …")
// into a sentence.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// Logo serves GET /orgs/:slug/logo, publicly: the stored bytes with the
// content type decided when they were sniffed, never sniffed by the
// browser, in a document that may run nothing; 404 for an unknown or
// revoked organization or one without a logo.
func (h *Profile) Logo(c *fiber.Ctx) error {
	s := c.Params("slug")
	if slug.Valid(s) != nil {
		return store.ErrNotFound
	}
	o, err := h.DB.OrganizationBySlug(c.UserContext(), s)
	if err != nil {
		return err
	}
	if o.Status == store.OrganizationRevoked || o.LogoKey == nil {
		return store.ErrNotFound
	}
	r, info, err := h.Blobs.Get(c.UserContext(), *o.LogoKey)
	if errors.Is(err, blob.ErrNotFound) {
		h.Log.Warn("logo: blob missing", "organization_id", o.ID, "key", *o.LogoKey)
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	defer r.Close()
	etag := `"` + info.ETag + `"`
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'")
	c.Set(fiber.HeaderCacheControl, logoCacheControl)
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderLastModified, info.ModTime.UTC().Format(http.TimeFormat))
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	data, err := io.ReadAll(io.LimitReader(r, info.Size))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, info.ContentType)
	return c.Send(data)
}

// etagMatches reports whether an If-None-Match header matches etag (weak
// comparison, as RFC 9110 asks for If-None-Match).
func etagMatches(header, etag string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}

// VerifyDomain handles POST /settings/profile/verify-domain: it looks up
// the TXT record and, when it matches, marks the organization verified.
// A failure is shown next to the record, saying which of no record, a
// different value or a DNS error it was.
func (h *Profile) VerifyDomain(c *fiber.Ctx) error {
	id := auth.Current(c)
	if id.Org.Domain == nil {
		render.Flash(c, layout.FlashError, "Add your domain to the profile first, then verify it.")
		return render.Redirect(c, "/settings/profile")
	}
	if id.Org.Verified {
		render.Flash(c, layout.FlashInfo, *id.Org.Domain+" is already verified.")
		return render.Redirect(c, "/settings/profile")
	}
	domain := *id.Org.Domain
	if err := h.DNS.Verify(c.UserContext(), domain, dnsverify.Record(id.Org.ID, h.DNSKey)); err != nil {
		h.Log.Info("domain verification failed", "organization_id", id.Org.ID, "domain", domain, "error", err)
		m, merr := h.model(c, id.Org)
		if merr != nil {
			return merr
		}
		m.Domain.Error = dnsFailure(err, domain)
		return h.render(c, fiber.StatusUnprocessableEntity, m)
	}
	_, err := id.Scope.MarkDomainVerified(c.UserContext(), domain, auth.Actor(c))
	if errors.Is(err, store.ErrDomainChanged) {
		render.Flash(c, layout.FlashError, "The domain was changed while it was being checked. Verify the new domain.")
		return render.Redirect(c, "/settings/profile")
	}
	if err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, domain+" is verified.")
	return render.Redirect(c, "/settings/profile")
}

// dnsFailure says why verification failed, without internals.
func dnsFailure(err error, domain string) string {
	name := dnsverify.Name(domain)
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, dnsverify.ErrNotFound):
		return "No TXT record was found at " + name + ". Publish the record shown here and try again; new DNS records can take a while to appear."
	case errors.Is(err, dnsverify.ErrMismatch):
		return "There is a TXT record at " + name + ", but none has the value shown here. Check that you copied the whole value, then try again."
	case errors.Is(err, dnsverify.ErrInvalidDomain):
		return "The domain in your profile is not a valid domain name. Correct it, then verify it."
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &dnsErr) && dnsErr.IsTimeout:
		return "The DNS lookup of " + name + " did not finish in time. Try again in a few minutes."
	}
	return "The DNS lookup of " + name + " failed: the DNS server returned an error. Try again in a few minutes."
}

// AddCategory handles POST /settings/categories: the chips partial for
// htmx (422 with the reason next to the field), otherwise back to the
// profile page.
func (h *Profile) AddCategory(c *fiber.Ctx) error {
	id := auth.Current(c)
	name := strings.Join(strings.Fields(c.FormValue("category")), " ")
	why := ""
	switch n := utf8.RuneCountInString(name); {
	case text.Check(name, text.Name) != nil:
		why = "This category " + text.Check(name, text.Name).Error() + "."
	case n < 2:
		why = "Use at least 2 characters."
	case n > 50:
		why = "Use at most 50 characters (this is " + strconv.Itoa(n) + ")."
	}
	if why == "" {
		_, err := id.Scope.AddIssuerCategory(c.UserContext(), name, auth.Actor(c))
		switch {
		case errors.Is(err, store.ErrCategoryTaken):
			why = "Your organization already has this category."
		case errors.Is(err, store.ErrTooManyCategories):
			why = "You have " + strconv.Itoa(store.MaxIssuerCategories) + " categories, the most allowed. Remove one first."
		case err != nil:
			return err
		default:
			return h.categoriesDone(c, "Category “"+name+"” added.")
		}
	}
	cats, err := h.categories(c)
	if err != nil {
		return err
	}
	cats.Name, cats.Error = name, why
	if render.IsPartial(c) {
		return render.Page(c, fiber.StatusUnprocessableEntity, settings.CategoryChips(cats))
	}
	m, err := h.model(c, id.Org)
	if err != nil {
		return err
	}
	m.Categories = cats
	return h.render(c, fiber.StatusUnprocessableEntity, m)
}

// RemoveCategory handles POST /settings/categories/:id/delete. Another
// organization's category is 404.
func (h *Profile) RemoveCategory(c *fiber.Ctx) error {
	cat, err := auth.Current(c).Scope.RemoveIssuerCategory(c.UserContext(), c.Params("id"), auth.Actor(c))
	if err != nil {
		return err
	}
	return h.categoriesDone(c, "Category “"+cat.Category+"” removed.")
}

// categoriesDone answers a category change: the chips for htmx, otherwise
// back to the profile page with a message.
func (h *Profile) categoriesDone(c *fiber.Ctx, msg string) error {
	if render.IsPartial(c) {
		cats, err := h.categories(c)
		if err != nil {
			return err
		}
		return render.Page(c, fiber.StatusOK, settings.CategoryChips(cats))
	}
	render.Flash(c, layout.FlashSuccess, msg)
	return render.Redirect(c, "/settings/profile")
}

func (h *Profile) categories(c *fiber.Ctx) (settings.Categories, error) {
	cs, err := auth.Current(c).Scope.IssuerCategories(c.UserContext())
	if err != nil {
		return settings.Categories{}, err
	}
	out := settings.Categories{Max: store.MaxIssuerCategories}
	for _, x := range cs {
		out.Items = append(out.Items, settings.Category{ID: x.ID, Name: x.Category})
	}
	return out, nil
}

// model is the profile page for the saved organization o, its form filled
// with the saved values.
func (h *Profile) model(c *fiber.Ctx, o *store.Organization) (settings.Profile, error) {
	cats, err := h.categories(c)
	if err != nil {
		return settings.Profile{}, err
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	m := settings.Profile{
		Form: settings.ProfileForm{Name: o.Name, Slug: o.Slug, Type: string(o.Type), Domain: deref(o.Domain),
			Description: deref(o.Description), Website: deref(o.Website), MetadataURI: deref(o.MetadataURI),
			ContactEmail: deref(o.ContactEmail)},
		Name: o.Name, Slug: o.Slug, DID: o.DID, Status: string(o.Status),
		PublicURL:  h.BaseURL + "/orgs/" + o.Slug,
		Logo:       settings.Logo{MaxSize: "1 MB"},
		Categories: cats,
	}
	if o.LogoKey != nil {
		// The key names the content, so the query changes with the logo
		// and the page never shows a cached old one.
		v := *o.LogoKey
		v = v[len(v)-min(len(v), 12):]
		m.Logo.URL = "/orgs/" + o.Slug + "/logo?v=" + url.QueryEscape(v)
	}
	if o.Domain != nil {
		m.Domain = settings.Domain{Name: *o.Domain, Verified: o.Verified, TXTName: dnsverify.Name(*o.Domain),
			TXTValue: dnsverify.Record(o.ID, h.DNSKey)}
	}
	return m, nil
}

func (h *Profile) render(c *fiber.Ctx, status int, m settings.Profile) error {
	render.SetTitle(c, "Organization profile")
	return render.Page(c, status, settings.ProfilePage(m))
}
