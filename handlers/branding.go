package handlers

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/branding"
	"github.com/trustcred/trustcred/internal/notify"
	"github.com/trustcred/trustcred/internal/text"
	"github.com/trustcred/trustcred/internal/verify"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	brandingview "github.com/trustcred/trustcred/views/branding"
	"github.com/trustcred/trustcred/views/layout"
	verificationview "github.com/trustcred/trustcred/views/verification"
)

// Branding serves the branding editor (/settings/branding, branding.manage).
type Branding struct {
	// AllowJS offers the custom JavaScript field (TRUSTCRED_ALLOW_CUSTOM_JS); without
	// it the field is not shown and a saved script is kept as it is, unserved.
	AllowJS bool
	Blobs   blob.Store // the favicon's sized PNGs
}

// maxCustomJS bounds an organization's script (organization_branding.custom_js).
const maxCustomJS = 65536

// colourFields are the editor's colour inputs, in order, with what each is used for.
var colourFields = []struct {
	role        branding.Role
	name, label string
	hint        string
	get         func(store.BrandingLook) *string
	set         func(*store.BrandingLook, *string)
}{
	{branding.Primary, "primary_color", "Primary colour", "Header band and buttons, under white text.",
		func(l store.BrandingLook) *string { return l.PrimaryColor }, func(l *store.BrandingLook, v *string) { l.PrimaryColor = v }},
	{branding.Secondary, "secondary_color", "Secondary colour", "Headings and links, on the page and on the credential card.",
		func(l store.BrandingLook) *string { return l.SecondaryColor }, func(l *store.BrandingLook, v *string) { l.SecondaryColor = v }},
	{branding.Accent, "accent_color", "Accent colour", "Borders, focus rings and icons.",
		func(l store.BrandingLook) *string { return l.AccentColor }, func(l *store.BrandingLook, v *string) { l.AccentColor = v }},
}

// Show renders GET /settings/branding with the saved look.
func (h Branding) Show(c *fiber.Ctx) error {
	id := auth.Current(c)
	b, err := id.Scope.Branding(c.UserContext())
	if err != nil {
		return err
	}
	look := b.Look()
	f := h.form(id.Org.ID, look, nil, nil)
	f.HasPrevious = b.PreviousVersion != nil
	f.Favicon = deref(b.FaviconURL)
	render.SetTitle(c, "Branding")
	return render.Page(c, fiber.StatusOK, brandingview.Page(f))
}

// parsedLook is the editor's form as typed: the look, the field errors, and the CSS
// problems from the sanitizer (by line).
func (h Branding) parseLook(c *fiber.Ctx, orgID string) (store.BrandingLook, map[string]string, []branding.Problem) {
	var look store.BrandingLook
	errs := map[string]string{}
	for _, cf := range colourFields {
		v := strings.TrimSpace(c.FormValue(cf.name))
		if v == "" {
			continue
		}
		if _, err := branding.ParseHex(v); err != nil {
			errs[cf.name] = cf.label + " must be a colour like #1a2b3c (a # and six hexadecimal digits), or empty for TrustCred's default."
		}
		cf.set(&look, &v)
	}
	if v := strings.TrimSpace(c.FormValue("display_font")); v != "" {
		if !branding.IsFont(v) {
			errs["display_font"] = "Display font must be one of " + strings.Join(branding.Fonts, ", ") + ", or TrustCred's font."
		}
		look.DisplayFont = &v
	}
	css := c.FormValue("custom_css")
	var problems []branding.Problem
	if err := text.Check(css, text.MultiLine); err != nil {
		errs["custom_css"] = "Custom CSS " + err.Error() + "."
	} else if strings.TrimSpace(css) != "" {
		opts, err := auth.Current(c).Scope.AssetCSSOptions(c.UserContext()) // url() only for images of the library
		if err != nil {
			opts = store.CSSOptions(orgID) // the save checks the library again
		}
		res := branding.Sanitize(css, opts)
		problems = res.Problems
		look.CustomCSS = &css
	}
	if h.AllowJS {
		js := c.FormValue("custom_js")
		// Format characters too (text.Name): a bidi override in code shows
		// one thing and runs another ("Trojan Source").
		switch err := text.Check(js, text.MultiLine|text.Name); {
		case err != nil:
			errs["custom_js"] = "Custom JavaScript " + err.Error() + "."
		case len(js) > maxCustomJS:
			errs["custom_js"] = "Custom JavaScript must be at most 64 KB."
		}
		look.CustomJS = &js
	}
	return look, errs, problems
}

func (h Branding) form(orgID string, look store.BrandingLook, errs map[string]string, problems []branding.Problem) brandingview.Form {
	opts := store.CSSOptions(orgID)
	f := brandingview.Form{ScopeClass: opts.Scope, AssetPrefix: opts.AssetPrefix, CSSProblems: problems,
		CSS: deref(look.CustomCSS), CSSError: errs["custom_css"], AllowJS: h.AllowJS, JS: deref(look.CustomJS), JSError: errs["custom_js"],
		Font: deref(look.DisplayFont), FontError: errs["display_font"]}
	for _, cf := range colourFields {
		col := brandingview.Colour{Name: cf.name, Label: cf.label, Hint: cf.hint, Value: deref(cf.get(look)), Error: errs[cf.name]}
		if rgb, err := branding.ParseHex(col.Value); err == nil {
			v := branding.Check(cf.role, rgb)
			col.Verdict = &v
		}
		f.Colours = append(f.Colours, col)
	}
	return f
}

// Check answers the editor's htmx POST /settings/branding/check as the admin types:
// each colour's verdict and the CSS problems, swapped in out of band.
func (h Branding) Check(c *fiber.Ctx) error {
	id := auth.Current(c)
	look, errs, problems := h.parseLook(c, id.Org.ID)
	return render.Component(c, fiber.StatusOK, brandingview.Checks(h.form(id.Org.ID, look, errs, problems)))
}

// Update saves the look (POST /settings/branding): every field valid and every CSS rule
// accepted, or the page again with each problem next to its field (422).
func (h Branding) Update(c *fiber.Ctx) error {
	id := auth.Current(c)
	look, errs, problems := h.parseLook(c, id.Org.ID)
	if !h.AllowJS { // the field is not offered: the saved script stays as it is
		b, err := id.Scope.Branding(c.UserContext())
		if err != nil {
			return err
		}
		look.CustomJS = b.CustomJS
	}
	if len(errs) == 0 && len(problems) == 0 {
		_, err := id.Scope.SaveBrandingLook(c.UserContext(), look, auth.Actor(c))
		var fe store.FieldErrors
		switch {
		case errors.As(err, &fe):
			for col, msg := range fe {
				errs[col] = "This " + strings.ReplaceAll(col, "_", " ") + " was refused: " + msg + "."
			}
		case err != nil:
			return err
		default:
			render.Flash(c, layout.FlashSuccess, "Branding saved. Your public pages use it now.")
			return render.Redirect(c, "/settings/branding")
		}
	}
	f := h.form(id.Org.ID, look, errs, problems)
	if b, err := id.Scope.Branding(c.UserContext()); err == nil {
		f.HasPrevious = b.ID != ""
		f.Favicon = deref(b.FaviconURL)
	}
	render.SetTitle(c, "Branding")
	return render.Page(c, fiber.StatusUnprocessableEntity, brandingview.Page(f))
}

// Revert brings back the look saved before the current one (POST /settings/branding/revert).
func (Branding) Revert(c *fiber.Ctx) error {
	id := auth.Current(c)
	_, err := id.Scope.RevertBrandingLook(c.UserContext(), auth.Actor(c))
	switch {
	case errors.Is(err, store.ErrNothingToRevert):
		render.Flash(c, layout.FlashInfo, "There is no earlier branding to go back to.")
	case err != nil:
		return err
	default:
		render.Flash(c, layout.FlashSuccess, "Branding reverted to the version saved before.")
	}
	return render.Redirect(c, "/settings/branding")
}

// previewCSP: the preview document may use TrustCred's stylesheet and its own inline
// style (the look being typed, sanitized); no script, no connection, no form; it may be
// framed only by TrustCred's own pages, and is sandboxed even when opened on its own.
const previewCSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"

// Preview renders the public credential page (the same layout and view as /v/{id},
// with a sample credential of the organization) in a look, for the editor's sandboxed
// frame: GET shows the saved look, POST the look being typed (previewLook).
func (h Branding) Preview(c *fiber.Ctx) error {
	id := auth.Current(c)
	look, err := h.previewLook(c)
	if err != nil {
		return err
	}
	m := sampleCredential(id.Org)
	m.BrandScope = branding.ScopeClass(id.Org.ID)
	chrome := layout.Chrome{Title: m.Title, Brand: &layout.Brand{Preview: true, Style: lookCSS(id.Org.ID, look)}}
	setPreviewHeaders(c)
	return render.Component(c, fiber.StatusOK, layout.App(chrome, verificationview.CredentialPage(m)))
}

// EmailPreview renders the email a recipient gets for a credential (its HTML part,
// notify.CredentialHTML, the same sample credential as Preview) in a look, for the
// editor's second sandboxed frame: GET the saved look, POST the look being typed.
// Links and the logo are relative: the frame is on this site.
func (h Branding) EmailPreview(c *fiber.Ctx) error {
	id := auth.Current(c)
	look, err := h.previewLook(c)
	if err != nil {
		return err
	}
	m := sampleCredential(id.Org)
	html, err := notify.CredentialHTML(c.UserContext(), notify.OrgBrand("", id.Org, &look), id.Org.Name, m.RecipientName, m.Title, m.PublicID)
	if err != nil {
		return err
	}
	setPreviewHeaders(c)
	c.Type("html", "utf-8")
	return c.Status(fiber.StatusOK).SendString(html)
}

// previewLook is the look a preview shows: on GET the saved one, on POST the one being
// typed (what the sanitizer accepts of its CSS; colours that are not colours and a
// font that is not offered are left out).
func (h Branding) previewLook(c *fiber.Ctx) (store.BrandingLook, error) {
	id := auth.Current(c)
	if c.Method() != fiber.MethodPost {
		b, err := id.Scope.Branding(c.UserContext())
		if err != nil {
			return store.BrandingLook{}, err
		}
		return b.Look(), nil
	}
	look, errs, _ := h.parseLook(c, id.Org.ID)
	for _, cf := range colourFields {
		if errs[cf.name] != "" {
			cf.set(&look, nil)
		}
	}
	if errs["custom_css"] != "" {
		look.CustomCSS = nil
	}
	if errs["display_font"] != "" {
		look.DisplayFont = nil
	}
	return look, nil
}

// setPreviewHeaders: a preview is a document of its own, sandboxed, framed only by
// the editor, never cached.
func setPreviewHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentSecurityPolicy, previewCSP)
	c.Set(fiber.HeaderXFrameOptions, "SAMEORIGIN")
	c.Set(fiber.HeaderCacheControl, "no-store")
}

// sampleCredential is the credential the preview shows: made up, of the organization.
func sampleCredential(org *store.Organization) verificationview.Credential {
	m := verificationview.Credential{
		Human: verificationview.Human{Title: "Certificate of Completion", IssuerName: org.Name, IssuerURL: "/orgs/" + org.Slug,
			RecipientName: "Ada Lovelace", Description: "Awarded for completing the course Advanced Data Analysis.",
			Fields:   []verificationview.Field{{Label: "Course", Value: "Advanced Data Analysis"}, {Label: "Grade", Value: "Distinction"}},
			IssuedAt: time.Now().UTC().Format("2 January 2006")},
		PublicID: "preview", URL: "/v/preview", Verdict: "valid", IssuerDID: org.DID,
		Checks: []verificationview.Check{{Title: checkTitles[verify.CheckSignature], Passed: true, Detail: "The signature matches the issuer's key."},
			{Title: checkTitles[verify.CheckRevocation], Passed: true, Detail: "The issuer has not revoked it."}},
	}
	if org.LogoKey != nil {
		m.IssuerLogo = "/orgs/" + org.Slug + "/logo"
	}
	return m
}
