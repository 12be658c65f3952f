package web_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/trustcred/trustcred/internal/branding"
	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// A marketplace card carries its publisher's brand accent as it is applied on the
// publisher's public pages (a colour saved while failing as its nearest passing one),
// as a stripe; a publisher without one has none. The catalogue itself keeps
// TrustCred's look: no publisher's stylesheet or custom CSS, signed out or in.
func TestMarketplaceCardAccent(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		pub, plain := env.Org("pubco"), env.Org("plain")
		cat := seedCategory(t, env, "Health", nil)
		branded := seedPublished(t, env, pub, cat, "First Aid Course", "Basic life support")
		unbranded := seedPublished(t, env, plain, cat, "Python Course", "Programming in Python")
		const saved = "#ffd700" // gold: fails 3:1 on white, so pages apply the nearest passing colour
		css := "h2 { color: #ff0000; }"
		if _, err := env.DB.Scoped(pub.ID).SaveBrandingLook(context.Background(),
			store.BrandingLook{AccentColor: new(saved), CustomCSS: &css}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		applied, ok := branding.Palette{Accent: saved}.Applied(branding.Accent)
		if !ok || applied.Hex() == saved {
			t.Fatalf("the test's colour should fail and be replaced: %v %s", ok, applied.Hex())
		}
		signedIn := env.Client()
		signedIn.Login(env.User(store.RoleIssuer, plain))
		for name, cl := range map[string]*webtest.Client{"signed out": env.Client(), "signed in": signedIn} {
			r := cl.Get("/marketplace")
			if r.Status != 200 {
				t.Fatalf("%s: %d", name, r.Status)
			}
			card := func(id string) string {
				return regexp.MustCompile(`(?s)data-testid="mp-card-` + id + `".*?</article>`).FindString(r.Body)
			}
			stripe := regexp.MustCompile(`data-testid="mp-card-accent"[^>]*>\s*<rect[^>]*fill="([^"]*)"`)
			if m := stripe.FindStringSubmatch(card(branded.ID)); m == nil || m[1] != applied.Hex() {
				t.Errorf("%s: the publisher's card stripe is %v, want %s", name, m, applied.Hex())
			}
			if c := card(unbranded.ID); c == "" || stripe.MatchString(c) {
				t.Errorf("%s: a publisher without a look has a stripe (or no card)", name)
			}
			if r.Has("brand-stylesheet") || regexp.MustCompile(`/brand/`).MatchString(r.Body) || regexp.MustCompile(`#ff0000`).MatchString(r.Body) {
				t.Errorf("%s: the catalogue links a publisher's stylesheet or CSS", name)
			}
		}
	})
}
