package webtest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
)

// recorder keeps what RouteTable reports instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// The runner that every role × route table uses passes a true table and
// reports each asker a wrong one gets wrong, and a row missing an asker.
func TestRouteTableReportsEachWrongStatus(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	clients := env.RoleClients(env.Org("acme"), env.Org("bolt"))

	right := &recorder{TB: t}
	webtest.RouteTable(right, clients, []webtest.Route{{Method: "GET", Path: "/register", Want: webtest.All(200)}})
	if len(right.errs) != 0 {
		t.Fatalf("a true table failed: %q", right.errs)
	}

	wrong := &recorder{TB: t}
	missing := webtest.All(200)
	delete(missing, webtest.AsOtherAdmin)
	webtest.RouteTable(wrong, clients, []webtest.Route{
		{Method: "GET", Path: "/register", Want: webtest.All(403)},
		{Method: "GET", Path: "/register", Want: missing},
	})
	if len(wrong.errs) != len(webtest.Everyone)+1 {
		t.Fatalf("%d reports, want one per asker and one for the missing row: %q", len(wrong.errs), wrong.errs)
	}
	for _, who := range webtest.Everyone {
		if !strings.Contains(strings.Join(wrong.errs, "\n"), "GET /register as "+who+": 200, want 403") {
			t.Errorf("no report for %s: %q", who, wrong.errs)
		}
	}
	if !strings.Contains(wrong.errs[len(wrong.errs)-1], "no expectation for "+webtest.AsOtherAdmin) {
		t.Errorf("the row without org B's admin is not reported: %q", wrong.errs[len(wrong.errs)-1])
	}
}
