package nav

import (
	"slices"
	"testing"

	"github.com/trustcred/trustcred/store"
)

func hrefs(role store.Role, orgActive bool) []string {
	var out []string
	for _, g := range For(role, orgActive) {
		if len(g.Items) == 0 {
			panic("empty group " + g.Label)
		}
		for _, it := range g.Items {
			out = append(out, it.Href)
		}
	}
	return out
}

func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Table {
		if seen[e.Href] || seen["nav-"+e.TestID] {
			t.Errorf("%q: its href or test id is used twice", e.Label)
		}
		seen[e.Href], seen["nav-"+e.TestID] = true, true
		if !slices.Contains(Groups, e.Group) {
			t.Errorf("%q is in the group %q, which Groups does not list", e.Label, e.Group)
		}
	}
}

// A person sees only what their role opens; an organization that is not
// active has no pages yet.
func TestFor(t *testing.T) {
	for _, c := range []struct {
		role   store.Role
		active bool
		want   []string
	}{
		{store.RoleRecipient, true, []string{"/", "/verify", "/marketplace"}},
		{store.RoleVerifier, true, []string{"/", "/verify", "/marketplace"}},
		{store.RoleReviewer, true, []string{"/", "/credentials", "/verifications", "/verify", "/approvals", "/schemas", "/templates", "/marketplace"}},
		{store.RoleIssuer, true, []string{"/", "/credentials/issue", "/credentials/bulk", "/credentials", "/verifications", "/verify", "/schemas", "/templates", "/settings/fields", "/marketplace"}},
		{store.RoleAdmin, false, []string{"/", "/verify", "/marketplace"}},
		{store.RoleSuperAdmin, false, []string{"/", "/verify", "/marketplace", "/admin/organizations", "/admin/audit", "/admin/marketplace"}},
	} {
		if got := hrefs(c.role, c.active); !slices.Equal(got, c.want) {
			t.Errorf("%s (organization active %v): %v, want %v", c.role, c.active, got, c.want)
		}
	}
	if got := len(hrefs(store.RoleAdmin, true)); got != len(Table)-3 {
		t.Errorf("an admin of an active organization sees %d links, want every one but the platform's three", got)
	}
}
