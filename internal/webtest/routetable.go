package webtest

import (
	"maps"
	"net/url"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/store"
)

// Who asks, in the role × route tables: the platform operator, each role in
// organization A, an anonymous visitor, and organization B's admin (the
// "other organization" row, which must get 404 for A's objects).
const (
	AsSuperAdmin = "super_admin"
	AsAdmin      = "admin"
	AsIssuer     = "issuer"
	AsReviewer   = "reviewer"
	AsVerifier   = "verifier"
	AsRecipient  = "recipient"
	AsAnonymous  = "anonymous"
	AsOtherAdmin = "admin of org B"
)

// Everyone is every asker of a route table; each Route says what each gets.
var Everyone = []string{AsSuperAdmin, AsAdmin, AsIssuer, AsReviewer, AsVerifier, AsRecipient, AsAnonymous, AsOtherAdmin}

// RoleClients signs in one client per asker of Everyone, in organization a
// (and b for AsOtherAdmin).
func (e *Env) RoleClients(a, b *store.Organization) map[string]*Client {
	e.T.Helper()
	users := map[string]*store.User{
		AsSuperAdmin: e.User(store.RoleSuperAdmin, nil),
		AsAdmin:      e.User(store.RoleAdmin, a),
		AsIssuer:     e.User(store.RoleIssuer, a),
		AsReviewer:   e.User(store.RoleReviewer, a),
		AsVerifier:   e.User(store.RoleVerifier, a),
		AsRecipient:  e.User(store.RoleRecipient, a),
		AsOtherAdmin: e.User(store.RoleAdmin, b),
	}
	clients := map[string]*Client{AsAnonymous: e.Client()}
	for who, u := range users {
		cl := e.Client()
		cl.Login(u)
		clients[who] = cl
	}
	return clients
}

// Route is one row of a role × route table: a request and the status each
// asker of Everyone gets. An anonymous visitor answered 303 or 204 must be
// sent to sign in (303, or 204 with HX-Redirect for htmx).
type Route struct {
	Method, Path string
	Form         url.Values
	FormFor      func(who string) url.Values // a form per asker (e.g. a unique email each), instead of Form
	Htmx         bool                        // sent as htmx (HX-Request), which answers 204 + HX-Redirect instead of 303
	Want         map[string]int
}

// All is the same status for every asker.
func All(status int) map[string]int {
	m := make(map[string]int, len(Everyone))
	for _, who := range Everyone {
		m[who] = status
	}
	return m
}

// AdminOnly is the row of a page only an organization's admin may open:
// organization A's admin gets admin, organization B's admin gets other (the
// status for A's objects, usually 404, or the admin's for B's own page),
// the platform operator 404 (no organization), the other roles 403 and an
// anonymous visitor the sign-in page.
func AdminOnly(admin, other int) map[string]int {
	return map[string]int{AsSuperAdmin: 404, AsAdmin: admin, AsIssuer: 403, AsReviewer: 403,
		AsVerifier: 403, AsRecipient: 403, AsAnonymous: 303, AsOtherAdmin: other}
}

// RouteTable sends every route as every asker and reports each status
// that differs from the row's Want. A row without an expectation for some
// asker is a mistake in the table, reported as such.
func RouteTable(t testing.TB, clients map[string]*Client, routes []Route) {
	t.Helper()
	for _, rc := range routes {
		for _, who := range Everyone {
			want, ok := rc.Want[who]
			if !ok {
				t.Errorf("%s %s: no expectation for %s", rc.Method, rc.Path, who)
				continue
			}
			cl := clients[who]
			if cl == nil {
				t.Errorf("%s %s: no client for %s (see Env.RoleClients)", rc.Method, rc.Path, who)
				continue
			}
			var r *Response
			form := maps.Clone(rc.Form)
			if rc.FormFor != nil {
				form = rc.FormFor(who)
			}
			if form == nil {
				form = url.Values{}
			}
			switch {
			case rc.Htmx:
				r = cl.Htmx(rc.Method, rc.Path, form)
			case rc.Method == "POST":
				r = cl.Post(rc.Path, form)
			default:
				r = cl.Get(rc.Path)
			}
			if r.Status != want {
				t.Errorf("%s %s as %s: %d, want %d\n%.300s", rc.Method, rc.Path, who, r.Status, want, r.Body)
				continue
			}
			if who == AsAnonymous && (want == 303 || want == 204) && !strings.HasPrefix(r.Location(), "/login") {
				t.Errorf("%s %s as anonymous: sent to %q, want the sign-in page", rc.Method, rc.Path, r.Location())
			}
		}
	}
}
