package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// A brand-new organization's lists say what they will hold and offer the
// first step to whoever may take it, instead of an empty table: schemas,
// templates, bulk issuance, signing keys; a search that finds no member
// offers to show them all. Someone who may only look gets the sentence
// without the button.
func TestListsOfANewOrganizationHaveEmptyStates(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("fresh")
		admin := env.Client()
		admin.Login(env.User(store.RoleAdmin, org))
		for _, tc := range []struct{ path, testID, action string }{
			{"/schemas", "schemas-empty", `href="/schemas/new"`},
			{"/templates", "templates-empty", `href="/templates/new"`},
			{"/credentials/bulk", "bulk-empty", `href="/credentials/bulk/new"`},
			{"/members?q=" + url.QueryEscape("nobody-by-this-name"), "members-empty", `href="/members"`},
		} {
			r := admin.Get(tc.path)
			empty := between(r.Body, `data-testid="`+tc.testID+`"`, "</div>")
			if r.Status != 200 || empty == "" || !strings.Contains(empty, "<h2") || !strings.Contains(empty, tc.action) ||
				!strings.Contains(empty, `data-testid="empty-action"`) || strings.Contains(r.Body, "<table") {
				t.Errorf("%s: %d, empty state %q, a table shown %v", tc.path, r.Status, empty, strings.Contains(r.Body, "<table"))
			}
		}
		if r := admin.Get("/settings/keys"); r.Status != 200 || !r.Has("keys-empty") || !strings.Contains(r.Body, "No signing key yet") {
			t.Errorf("/settings/keys of a new organization: %d, empty state %v", r.Status, r.Has("keys-empty"))
		}
		// A reviewer reads schemas and templates but does not write them:
		// the sentence, no call to action.
		reviewer := env.Client()
		reviewer.Login(env.User(store.RoleReviewer, org))
		for _, tc := range []struct{ path, testID string }{{"/schemas", "schemas-empty"}, {"/templates", "templates-empty"}} {
			r := reviewer.Get(tc.path)
			if r.Status != 200 || !r.Has(tc.testID) || r.Has("empty-action") {
				t.Errorf("reviewer %s: %d, empty state %v, call to action %v", tc.path, r.Status, r.Has(tc.testID), r.Has("empty-action"))
			}
		}
	})
}
