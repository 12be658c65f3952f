package notify

import (
	"context"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/branding"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// Emails about an organization, and the credential email to its recipients, carry its
// look in the base layout (a band and the button in its primary colour, links in its
// secondary, inline styles); a failing colour is sent as its nearest passing one; the
// text part is unchanged; another organization's emails keep TrustCred's colours.
func TestEmailsCarryTheOrganizationsLook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := &fakeMailer{}
		f := newFixture(t, db, m, store.UserProfile{})
		org := &store.Organization{Name: "Acme Academy", Slug: "acme-academy", Type: store.OrganizationEducational, Status: store.OrganizationActive,
			DID: "did:web:x:orgs:acme-academy"}
		other := &store.Organization{Name: "Bolt", Slug: "bolt", Type: store.OrganizationCorporate, Status: store.OrganizationActive,
			DID: "did:web:x:orgs:bolt"}
		for _, o := range []*store.Organization{org, other} {
			if err := db.CreateOrganization(ctx, o, store.Actor{}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Scoped(org.ID).SaveBrandingLook(ctx, store.BrandingLook{PrimaryColor: new("#7a1f1f"), SecondaryColor: new("#60a5fa"),
			DisplayFont: new("Playfair Display")},
			store.Actor{}); err != nil {
			t.Fatal(err)
		}
		b := brand(ctx, db, "https://tc.example/", org.ID)
		sec := branding.Check(branding.Secondary, branding.RGB{R: 0x60, G: 0xa5, B: 0xfa}).Suggestion.Hex()
		if b.Primary != "#7a1f1f" || b.Secondary != sec {
			t.Fatalf("brand %+v, want primary #7a1f1f and secondary %s", b, sec)
		}
		if b.Font != `"Playfair Display", Georgia, "Times New Roman", serif` {
			t.Errorf("brand font %q, want the display font's safe stack", b.Font)
		}
		if o := brand(ctx, db, "https://tc.example/", other.ID); o.Primary != "" || o.Secondary != "" || o.Font != "" {
			t.Errorf("another organization's brand has colours: %+v", o)
		}

		// A notification about the organization.
		msg, err := notificationMessage(ctx, b, f.user, &store.Notification{ID: "n1", Title: "Credential revoked", Message: "Something."})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`data-email="brand-band"`, "background:#7a1f1f;", "background:#7a1f1f;color:#ffffff;",
			`font-size:20px;font-family:&#34;Playfair Display&#34;, Georgia, &#34;Times New Roman&#34;, serif;`} {
			if !strings.Contains(msg.HTML, want) {
				t.Errorf("notification HTML lacks %q:\n%s", want, msg.HTML)
			}
		}
		if strings.Contains(msg.HTML, "#60a5fa") || strings.Contains(msg.HTML, "ZgotmplZ") {
			t.Errorf("notification HTML:\n%s", msg.HTML)
		}
		plain, _ := notificationMessage(ctx, brand(ctx, db, "https://tc.example/", other.ID), f.user, &store.Notification{ID: "n1",
			Title: "Credential revoked", Message: "Something."})
		if strings.Contains(plain.HTML, "brand-band") || strings.Contains(plain.HTML, "Playfair") || !strings.Contains(plain.HTML, "background:#1d4ed8;") || plain.Text != strings.ReplaceAll(msg.Text, "Acme Academy", "Bolt") {
			t.Errorf("another organization's email: %s\n%s", plain.HTML, plain.Text)
		}

		// The credential email to a recipient: text as before, HTML in the look.
		cred := &store.Credential{PublicID: "abcdefghijklmnopqrstuvwxyz", RecipientAddress: "ada@example.org", RecipientName: new("Ada Lovelace"),
			Template: &store.CredentialTemplate{Name: "BSc Physics"}}
		w := &CredentialEmailWorker{DB: db, BaseURL: "https://tc.example/"}
		text := w.message(cred, org).Text
		html, err := w.html(ctx, cred, org)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(text, "Hello Ada Lovelace,\n\nAcme Academy has issued you “BSc Physics”.\n\nView and share it here: https://tc.example/v/abcdefghijklmnopqrstuvwxyz\n") {
			t.Errorf("text part: %q", text)
		}
		for _, want := range []string{`data-email="brand-band"`, `href="https://tc.example/v/abcdefghijklmnopqrstuvwxyz"`,
			"background:#7a1f1f;color:#ffffff;", "Acme Academy has issued you “BSc Physics”.", "Hello Ada Lovelace,"} {
			if !strings.Contains(html, want) {
				t.Errorf("credential HTML lacks %q:\n%s", want, html)
			}
		}
	})
}
