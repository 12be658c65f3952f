package web_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/url"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/dnstest"
	"github.com/trustcred/trustcred/internal/dnsverify"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// validProfile is a complete, valid profile form for the organization slug.
func validProfile(slug string) url.Values {
	return url.Values{
		"name": {"Acme University"}, "slug": {slug}, "type": {"educational"}, "domain": {"Acme.Example."},
		"description": {"Line one\r\nline two"}, "website": {"HTTPS://acme.example/about"},
		"metadata_uri": {"https://acme.example/issuer.json"}, "contact_email": {"registrar@acme.example"},
	}
}

func withField(v url.Values, key, value string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	out.Set(key, value)
	return out
}

func orgByID(t *testing.T, env *webtest.Env, id string) *store.Organization {
	t.Helper()
	o, err := env.DB.OrganizationByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegImage(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Every profile, logo, domain and category route for every role: org A's
// six roles, the platform operator (no organization: 404), an anonymous
// visitor and org B's admin, who changes only org B and gets 404 for org
// A's category ids.
func TestProfileRouteTable(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a, b := env.Org("acme"), env.Org("bolt")
		ctx := context.Background()
		catA, err := env.DB.Scoped(a.ID).AddIssuerCategory(ctx, "Engineering", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		keepA, err := env.DB.Scoped(a.ID).AddIssuerCategory(ctx, "Medicine", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		clients := env.RoleClients(a, b)
		only := func(m map[string]int) map[string]int {
			out := map[string]int{webtest.AsSuperAdmin: 404, webtest.AsIssuer: 403, webtest.AsReviewer: 403, webtest.AsVerifier: 403, webtest.AsRecipient: 403, webtest.AsAnonymous: 303}
			for k, v := range m {
				out[k] = v
			}
			return out
		}
		webtest.RouteTable(t, clients, []webtest.Route{
			{Method: "GET", Path: "/settings/profile", Want: only(map[string]int{webtest.AsAdmin: 200, webtest.AsOtherAdmin: 200})},
			{Method: "POST", Path: "/settings/profile", Form: url.Values{"name": {""}}, Want: only(map[string]int{webtest.AsAdmin: 422, webtest.AsOtherAdmin: 422})},
			{Method: "POST", Path: "/settings/profile/logo", Want: only(map[string]int{webtest.AsAdmin: 422, webtest.AsOtherAdmin: 422})},
			{Method: "POST", Path: "/settings/profile/logo/delete", Want: only(map[string]int{webtest.AsAdmin: 303, webtest.AsOtherAdmin: 303})},
			{Method: "POST", Path: "/settings/profile/verify-domain", Want: only(map[string]int{webtest.AsAdmin: 303, webtest.AsOtherAdmin: 303})},
			{Method: "POST", Path: "/settings/categories", Form: url.Values{"category": {"Science"}}, Htmx: true,
				Want: only(map[string]int{webtest.AsAdmin: 200, webtest.AsOtherAdmin: 200, webtest.AsAnonymous: 204})},
			{Method: "POST", Path: "/settings/categories/" + catA.ID + "/delete", Htmx: true,
				Want: only(map[string]int{webtest.AsAdmin: 200, webtest.AsOtherAdmin: 404, webtest.AsAnonymous: 204})},
			{Method: "POST", Path: "/settings/categories/not-an-id/delete", Htmx: true,
				Want: only(map[string]int{webtest.AsAdmin: 404, webtest.AsOtherAdmin: 404, webtest.AsAnonymous: 204})},
			{Method: "GET", Path: "/orgs/acme/logo", Want: webtest.All(404)},
		})
		// Org B's admin cannot remove org A's category that still exists,
		// and their "Science" went to org B.
		if r := clients[webtest.AsOtherAdmin].Htmx("POST", "/settings/categories/"+keepA.ID+"/delete", nil); r.Status != 404 {
			t.Errorf("org B's admin removing org A's category: %d", r.Status)
		}
		for o, want := range map[string]string{a.ID: "Medicine,Science", b.ID: "Science"} {
			cs, err := env.DB.Scoped(o).IssuerCategories(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range cs {
				names = append(names, c.Category)
			}
			if got := strings.Join(names, ","); got != want {
				t.Errorf("categories of %s: %s, want %s", o, got, want)
			}
		}
		// The profile page shows only the caller's organization.
		if r := clients[webtest.AsOtherAdmin].Get("/settings/profile"); strings.Contains(r.Body, "Medicine") || !strings.Contains(r.Body, "did:web:localhost%3A8080:orgs:bolt") {
			t.Error("org B's admin sees org A's profile")
		}
	})
}

// Each field is checked and refused next to it, with nothing written.
func TestProfileValidation(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		env.Org("bolt")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))
		ok := validProfile("acme")
		long := func(n int) string { return strings.Repeat("a", n) }
		cases := []struct {
			field, value, want string
		}{
			{"name", "", "Enter the organization’s name"},
			{"name", "  ", "Enter the organization’s name"},
			{"name", long(201), "at most 200 characters"},
			{"name", "Acme\x01University", "contains a control character"},
			{"name", "BOLT ORG", "Another organization is registered under this name"},
			{"slug", "", "The address must be 3 to 63 characters"},
			{"slug", "ab", "The address must be 3 to 63 characters"},
			{"slug", "Acme Uni", "For example: acme-uni."},
			{"slug", "acme--uni", "The address must be"},
			{"slug", "-acme", "The address must be"},
			{"slug", long(64), "The address must be"},
			{"slug", "admin", "The address is reserved; choose another."},
			{"slug", "bolt", "Another organization uses this address"},
			{"type", "", "Choose a type from the list."},
			{"type", "university", "Choose a type from the list."},
			{"domain", "https://acme.example/", "Enter a domain name such as example.edu"},
			{"domain", "localhost", "Enter a domain name"},
			{"domain", "acme..example", "Enter a domain name"},
			{"domain", "192.0.2.1", "Enter a domain name"},
			{"domain", "acme.example.1a", "Enter a domain name such as example.edu."}, // ParseDomain accepts it; the model's fqdn does not
			{"description", long(2001), "at most 2000 characters"},
			{"description", "bell\x07", "contains a control character"},
			{"website", "acme.example", "starting with https:// or http://"},
			{"website", "ftp://acme.example", "starting with https:// or http://"},
			{"website", "javascript:alert(1)", "starting with https:// or http://"},
			{"website", "https://", "such as https://example.org"},
			{"website", "https://a b.example", "such as https://example.org"},
			{"website", "https://user:secret@acme.example", "Remove the user name and password"},
			{"website", "https://acme.example/" + long(2040), "at most 2048 characters"},
			{"metadata_uri", "file:///etc/passwd", "starting with https:// or http://"},
			{"metadata_uri", "data:text/html,<script>alert(1)</script>", "starting with https:// or http://"},
			{"contact_email", "registrar", "Enter an email address"},
			{"contact_email", "registrar@acme", "Enter an email address"},
			{"contact_email", "Registrar <registrar@acme.example>", "Enter an email address"},
			{"contact_email", long(250) + "@acme.example", "Enter an email address"},
		}
		before := audits(t, env, "organization.profile_updated")
		for _, tc := range cases {
			r := cl.Post("/settings/profile", withField(ok, tc.field, tc.value))
			if r.Status != 422 || !r.Has("error-"+tc.field) || !strings.Contains(r.Body, tc.want) {
				t.Errorf("%s = %.40q: %d, error shown %v, want %q", tc.field, tc.value, r.Status, r.Has("error-"+tc.field), tc.want)
				continue
			}
			// The other fields keep what was typed.
			if tc.field != "name" && !strings.Contains(r.Body, `value="Acme University"`) {
				t.Errorf("%s: the form lost the name", tc.field)
			}
		}
		if o := orgByID(t, env, a.ID); o.Name != "Acme Org" || o.Domain != nil || audits(t, env, "organization.profile_updated") != before {
			t.Fatalf("a refused form changed the organization: %+v", o)
		}
		// Several mistakes are all shown at once.
		r := cl.Post("/settings/profile", url.Values{"slug": {"x"}, "type": {"x"}, "website": {"x"}, "contact_email": {"x"}})
		for _, f := range []string{"name", "slug", "type", "website", "contact_email"} {
			if !r.Has("error-" + f) {
				t.Errorf("all at once: no error for %s", f)
			}
		}
		// The valid form is stored, normalised.
		r = cl.Post("/settings/profile", ok)
		if r.Status != 303 || r.Location() != "/settings/profile" {
			t.Fatalf("valid form: %d\n%.500s", r.Status, r.Body)
		}
		o := orgByID(t, env, a.ID)
		if o.Name != "Acme University" || o.Type != store.OrganizationEducational || *o.Domain != "acme.example" ||
			*o.Description != "Line one\nline two" || *o.Website != "https://acme.example/about" ||
			*o.MetadataURI != "https://acme.example/issuer.json" || *o.ContactEmail != "registrar@acme.example" {
			t.Fatalf("stored %+v", o)
		}
		if r := cl.Get("/settings/profile"); !r.Has("flash-success") || !strings.Contains(r.Body, "Profile saved.") {
			t.Error("no success message")
		}
		// Saving again changes nothing and writes no audit entry.
		n := audits(t, env, "organization.profile_updated")
		cl.Post("/settings/profile", ok)
		if r := cl.Get("/settings/profile"); !strings.Contains(r.Body, "Nothing changed.") || audits(t, env, "organization.profile_updated") != n {
			t.Error("an unchanged save was written")
		}
		// Blank optional fields clear them.
		cl.Post("/settings/profile", url.Values{"name": {"Acme University"}, "slug": {"acme"}, "type": {"educational"}})
		if o := orgByID(t, env, a.ID); o.Domain != nil || o.Description != nil || o.Website != nil || o.MetadataURI != nil || o.ContactEmail != nil {
			t.Fatalf("blank fields not cleared: %+v", o)
		}
	})
}

// A new slug changes the public address and the did:web identifier; a
// taken one is refused; a new domain clears verified, and the page says so.
func TestProfileSlugAndDomain(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		env.Org("bolt")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))

		r := cl.Get("/settings/profile")
		if !r.Has("slug-warning") || !strings.Contains(r.Body, "did:web:localhost%3A8080:orgs:acme") || !r.Has("org-did") ||
			!strings.Contains(r.Body, "http://localhost:8080/orgs/acme") || !r.Has("domain-none") {
			t.Fatalf("profile page:\n%s", r.Body)
		}
		r = cl.Post("/settings/profile", validProfile("acme-university"))
		if r.Status != 303 {
			t.Fatalf("new slug: %d\n%.500s", r.Status, r.Body)
		}
		o := orgByID(t, env, a.ID)
		if o.Slug != "acme-university" || o.DID != "did:web:localhost%3A8080:orgs:acme-university" {
			t.Fatalf("slug %q did %q", o.Slug, o.DID)
		}
		if r := cl.Get("/settings/profile"); !strings.Contains(r.Body, "Your public address is now /orgs/acme-university") ||
			!strings.Contains(r.Body, `data-testid="org-did">did:web:localhost%3A8080:orgs:acme-university<`) {
			t.Errorf("after the slug change:\n%s", r.Body)
		}
		var changes []string
		for _, c := range lastAuditDetails(t, env, "organization.profile_updated").Changes {
			changes = append(changes, c.Field)
		}
		if got := strings.Join(changes, ","); !strings.Contains(got, "slug,did") || !strings.Contains(got, "domain") {
			t.Errorf("audited changes %s", got)
		}
		// Another organization's slug: refused, nothing changed.
		if r := cl.Post("/settings/profile", validProfile("bolt")); r.Status != 422 || !strings.Contains(r.Body, "Another organization uses this address") {
			t.Fatalf("taken slug: %d", r.Status)
		}
		if o := orgByID(t, env, a.ID); o.Slug != "acme-university" {
			t.Fatalf("slug after refusal %q", o.Slug)
		}

		// Verified; editing anything else keeps it; a new domain clears it.
		if _, err := env.DB.Scoped(a.ID).MarkDomainVerified(context.Background(), "acme.example", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if r := cl.Get("/settings/profile"); !r.Has("domain-verified") || !strings.Contains(r.Body, "acme.example is verified. Changing or removing the domain") {
			t.Fatal("verified domain not shown, or no warning that changing it clears verification")
		}
		cl.Post("/settings/profile", withField(validProfile("acme-university"), "description", "New text"))
		if !orgByID(t, env, a.ID).Verified {
			t.Fatal("an unrelated edit cleared verified")
		}
		cl.Post("/settings/profile", withField(validProfile("acme-university"), "domain", "acme.example.org"))
		if o := orgByID(t, env, a.ID); o.Verified || *o.Domain != "acme.example.org" {
			t.Fatalf("new domain: verified %v", o.Verified)
		}
		r = cl.Get("/settings/profile")
		if !strings.Contains(r.Body, "verify it again to get the verified badge back") || r.Has("domain-verified") || !r.Has("verify-domain") {
			t.Error("the page does not say that the new domain needs verifying")
		}
	})
}

func lastAuditDetails(t *testing.T, env *webtest.Env, action string) store.AuditDetails {
	t.Helper()
	page, err := env.DB.AllAuditLogs(context.Background(), store.AuditFilter{Action: action})
	if err != nil || len(page.Entries) == 0 {
		t.Fatalf("no %s entry: %v", action, err)
	}
	return page.Entries[0].Details.Data()
}

// Uploads that are not a PNG, JPEG, GIF or WebP of at most 1 MB are
// refused with the reason; an image is stored, served back with headers
// that keep browsers from running it, and replaced or removed with its
// blob.
func TestLogoUpload(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		cl := env.Client()
		admin := env.User(store.RoleAdmin, a)
		cl.Login(admin)
		anon := env.Client()

		big := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 1<<20)...)
		for _, tc := range []struct {
			name, file string
			data       []byte
			want       string
		}{
			{"text file", "notes.txt", []byte("just some text\n"), "not a PNG, JPEG, GIF or WebP"},
			{"svg with script", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "SVG images are not accepted"},
			{"svg named png", "logo.png", []byte(`<?xml version="1.0"?><svg onload="alert(1)"/>`), "SVG images are not accepted"},
			{"html disguised as png", "logo.png", []byte(`<!DOCTYPE html><html><script>alert(document.cookie)</script></html>`), "not a PNG, JPEG, GIF or WebP"},
			{"png signature then html", "logo.png", append([]byte("\x89PNG\r\n\x1a\n"), "<html><script>alert(1)</script>"...), "not a PNG, JPEG, GIF or WebP"},
			{"truncated png", "logo.png", pngImage(t, 8, 8)[:60], "not a PNG, JPEG, GIF or WebP"},
			{"too big", "logo.png", big, "too large: the limit is 1 MB"},
			{"too many pixels", "logo.png", pngImage(t, 5000, 1), "too large"},
			{"empty", "logo.png", nil, "The file is empty"},
		} {
			r := cl.Upload("/settings/profile/logo", "logo", tc.file, tc.data)
			if r.Status != 422 || !r.Has("error-logo") || !strings.Contains(r.Body, tc.want) {
				t.Errorf("%s: %d, want 422 with %q\n%.300s", tc.name, r.Status, tc.want, r.Body)
			}
		}
		if r := cl.Upload("/settings/profile/logo", "other", "logo.png", pngImage(t, 8, 8)); r.Status != 422 || !strings.Contains(r.Body, "Choose an image file") {
			t.Errorf("no logo field: %d", r.Status)
		}
		if o := orgByID(t, env, a.ID); o.LogoKey != nil || audits(t, env, "organization.logo_changed") != 0 {
			t.Fatal("a refused upload was stored")
		}
		if r := anon.Get("/orgs/acme/logo"); r.Status != 404 {
			t.Fatalf("no logo yet: %d", r.Status)
		}

		// A PNG is accepted and served back as it was.
		img := pngImage(t, 32, 16)
		if r := cl.Upload("/settings/profile/logo", "logo", "anything.gif", img); r.Status != 303 {
			t.Fatalf("upload: %d\n%.500s", r.Status, r.Body)
		}
		first := *orgByID(t, env, a.ID).LogoKey
		if !strings.HasPrefix(first, "orgs/"+a.ID+"/logo-") || len(first) != len("orgs/"+a.ID+"/logo-")+64 || audits(t, env, "organization.logo_changed") != 1 {
			t.Fatalf("logo key %q", first)
		}
		r := anon.Get("/orgs/acme/logo")
		if r.Status != 200 || r.Body != string(img) {
			t.Fatalf("served: %d, %d bytes", r.Status, len(r.Body))
		}
		for h, want := range map[string]string{
			"Content-Type": "image/png", "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'",
			"Cache-Control": "public, max-age=300",
		} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: %q, want %q", h, got, want)
			}
		}
		etag := r.Header.Get("ETag")
		if len(etag) < 3 || etag[0] != '"' || r.Header.Get("Last-Modified") == "" || r.Header.Get("Set-Cookie") != "" {
			t.Errorf("ETag %q Last-Modified %q Set-Cookie %q", etag, r.Header.Get("Last-Modified"), r.Header.Get("Set-Cookie"))
		}
		if r := anon.Do("GET", "/orgs/acme/logo", nil, map[string]string{"If-None-Match": `"x", W/` + etag}); r.Status != 304 || r.Body != "" {
			t.Errorf("revalidation: %d", r.Status)
		}
		if r := cl.Get("/settings/profile"); !r.Has("logo-image") || !strings.Contains(r.Body, `src="/orgs/acme/logo?v=`) {
			t.Error("the profile page does not show the logo")
		}

		// A JPEG replaces it; the old blob is deleted.
		jpg := jpegImage(t)
		if r := cl.Upload("/settings/profile/logo", "logo", "logo.jpg", jpg); r.Status != 303 {
			t.Fatalf("replace: %d", r.Status)
		}
		if _, _, err := env.Blobs.Get(context.Background(), first); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("old blob: %v", err)
		}
		r = anon.Get("/orgs/acme/logo")
		if r.Status != 200 || r.Header.Get("Content-Type") != "image/jpeg" || r.Body != string(jpg) || r.Header.Get("ETag") == etag {
			t.Fatalf("after replacing: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		// A revoked organization's logo is not served; unknown ones neither.
		if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "UPDATE organizations SET status = 'revoked' WHERE id = ?"), a.ID); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/orgs/acme/logo", "/orgs/nobody/logo", "/orgs/Acme/logo", "/orgs/a/logo"} {
			if r := anon.Get(path); r.Status != 404 {
				t.Errorf("%s: %d", path, r.Status)
			}
		}
		if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "UPDATE organizations SET status = 'suspended' WHERE id = ?"), a.ID); err != nil {
			t.Fatal(err)
		}
		if r := anon.Get("/orgs/acme/logo"); r.Status != 200 {
			t.Errorf("suspended organization's logo: %d", r.Status)
		}
		// Members of a suspended organization are signed out; reactivate it
		// and sign in again to remove the logo.
		if _, err := env.DB.SQL().Exec(storetest.Rebind(env.DB.Dialect(), "UPDATE organizations SET status = 'active' WHERE id = ?"), a.ID); err != nil {
			t.Fatal(err)
		}
		cl.Login(admin)
		// Removing it deletes the blob.
		second := *orgByID(t, env, a.ID).LogoKey
		if r := cl.Post("/settings/profile/logo/delete", nil); r.Status != 303 {
			t.Fatalf("remove: %d", r.Status)
		}
		if _, _, err := env.Blobs.Get(context.Background(), second); !errors.Is(err, blob.ErrNotFound) || orgByID(t, env, a.ID).LogoKey != nil {
			t.Errorf("after removing: blob %v", err)
		}
		if r := anon.Get("/orgs/acme/logo"); r.Status != 404 || audits(t, env, "organization.logo_removed") != 1 {
			t.Errorf("removed logo: %d", r.Status)
		}
	})
}

// Domain verification against a real DNS server: no record, a different
// value and a server failure are each explained; the right record marks
// the organization verified, once, audited.
func TestDomainVerification(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		ns := dnstest.Start(t)
		env := webtest.New(t, d, webtest.WithConfig(func(c *config.Config) { c.DNSResolver = ns.Addr() }))
		a := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))

		if r := cl.Post("/settings/profile/verify-domain", nil); r.Status != 303 {
			t.Fatalf("without a domain: %d", r.Status)
		}
		if r := cl.Get("/settings/profile"); !strings.Contains(r.Body, "Add your domain to the profile first") {
			t.Error("no message without a domain")
		}
		cl.Post("/settings/profile", validProfile("acme"))
		want := dnsverify.Record(a.ID, env.Keys.Derive("dns-verification")[0])
		r := cl.Get("/settings/profile")
		if !strings.Contains(r.Body, `data-testid="txt-name">_trustcred.acme.example<`) || !strings.Contains(r.Body, `data-testid="txt-value">`+want+`<`) {
			t.Fatalf("the record to publish is not shown:\n%s", r.Body)
		}
		name := dnsverify.Name("acme.example")
		for _, tc := range []struct {
			name  string
			setup func()
			want  string
		}{
			{"no record", func() {}, "No TXT record was found at _trustcred.acme.example"},
			{"no TXT at the name", func() { ns.SetTXT(name) }, "No TXT record was found"},
			{"another value", func() { ns.SetTXT(name, "trustcred-verify=somebodyelse", "v=spf1 -all") }, "none has the value shown here"},
			{"server failure", func() { ns.SetRcode(name, dns.RcodeServerFailure) }, "the DNS server returned an error"},
		} {
			tc.setup()
			r := cl.Post("/settings/profile/verify-domain", nil)
			if r.Status != 422 || !r.Has("domain-error") || !strings.Contains(r.Body, tc.want) {
				t.Errorf("%s: %d, want 422 with %q", tc.name, r.Status, tc.want)
			}
			if orgByID(t, env, a.ID).Verified {
				t.Fatalf("%s: verified", tc.name)
			}
		}
		ns.SetTXT(name, "v=spf1 -all", `"`+strings.ToUpper(want)+`"`)
		if r := cl.Post("/settings/profile/verify-domain", nil); r.Status != 303 {
			t.Fatalf("the right record: %d\n%.500s", r.Status, r.Body)
		}
		if !orgByID(t, env, a.ID).Verified || audits(t, env, "organization.domain_verified") != 1 {
			t.Fatal("not verified, or not audited")
		}
		r = cl.Get("/settings/profile")
		if !r.Has("domain-verified") || !strings.Contains(r.Body, "acme.example is verified.") || r.Has("verify-domain") {
			t.Error("the page does not show the domain verified")
		}
		if r := cl.Post("/settings/profile/verify-domain", nil); r.Status != 303 || audits(t, env, "organization.domain_verified") != 1 {
			t.Error("verifying again wrote again")
		}
	})
}

// Categories are added and removed inline (htmx returns the chips), unique
// per organization in any case.
func TestCategories(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		a := env.Org("acme")
		cl := env.Client()
		cl.Login(env.User(store.RoleAdmin, a))

		if r := cl.Get("/settings/profile"); !r.Has("categories-empty") || !r.Has("category-form") {
			t.Fatal("no empty chips")
		}
		r := cl.Htmx("POST", "/settings/categories", url.Values{"category": {"  Computer   Science "}})
		if r.Status != 200 || !strings.HasPrefix(strings.TrimSpace(r.Body), `<div id="categories"`) || !strings.Contains(r.Body, `data-category="Computer Science"`) {
			t.Fatalf("add: %d\n%s", r.Status, r.Body)
		}
		if strings.Contains(r.Body, "<html") {
			t.Error("the htmx answer is a whole page")
		}
		for _, tc := range []struct{ value, want string }{
			{"computer science", "already has this category"},
			{"x", "at least 2 characters"},
			{strings.Repeat("é", 51), "at most 50 characters"},
			{"", "at least 2 characters"},
		} {
			r := cl.Htmx("POST", "/settings/categories", url.Values{"category": {tc.value}})
			if r.Status != 422 || !r.Has("error-category") || !strings.Contains(r.Body, tc.want) || !r.Has("category-chip") {
				t.Errorf("%q: %d, want 422 with %q", tc.value, r.Status, tc.want)
			}
		}
		// Without JavaScript: a redirect, or the whole page with the error.
		if r := cl.Post("/settings/categories", url.Values{"category": {"Medicine"}}); r.Status != 303 || r.Location() != "/settings/profile" {
			t.Fatalf("plain add: %d", r.Status)
		}
		if r := cl.Post("/settings/categories", url.Values{"category": {"MEDICINE"}}); r.Status != 422 || !r.Has("profile-page") || !r.Has("error-category") {
			t.Fatalf("plain duplicate: %d", r.Status)
		}
		cs, err := env.DB.Scoped(a.ID).IssuerCategories(context.Background())
		if err != nil || len(cs) != 2 || audits(t, env, "organization.category_added") != 2 {
			t.Fatalf("%d categories (%v)", len(cs), err)
		}
		r = cl.Htmx("POST", "/settings/categories/"+cs[0].ID+"/delete", nil)
		if r.Status != 200 || strings.Contains(r.Body, "Computer Science") || !strings.Contains(r.Body, `data-category="Medicine"`) {
			t.Fatalf("remove: %d\n%s", r.Status, r.Body)
		}
		if r := cl.Htmx("POST", "/settings/categories/"+cs[0].ID+"/delete", nil); r.Status != 404 {
			t.Errorf("remove twice: %d", r.Status)
		}
		if r := cl.Post("/settings/categories/"+cs[1].ID+"/delete", nil); r.Status != 303 || audits(t, env, "organization.category_removed") != 2 {
			t.Errorf("plain remove: %d", r.Status)
		}
	})
}
