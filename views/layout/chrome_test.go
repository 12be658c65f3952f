package layout

import "testing"

// The current item is the longest sidebar link holding the path: one item
// at most, never a prefix that is not a path segment.
func TestCurrent(t *testing.T) {
	c := Chrome{User: &User{Nav: []NavGroup{
		{Label: "Overview", Items: []NavItem{{Href: "/"}}},
		{Label: "Credentials", Items: []NavItem{{Href: "/credentials/issue"}, {Href: "/credentials/bulk"}, {Href: "/credentials"}}},
		{Label: "Organization", Items: []NavItem{{Href: "/settings/keys"}}},
	}}}
	for path, want := range map[string]string{
		"/": "/", "/credentials": "/credentials", "/credentials/issue": "/credentials/issue",
		"/credentials/bulk/0190a0a0/review": "/credentials/bulk", "/credentials/0190a0a0": "/credentials",
		"/credentialsx": "", "/account": "", "/settings/keysmith": "",
	} {
		c.Path = path
		var got []string
		for _, g := range c.User.Nav {
			for _, it := range g.Items {
				if c.Current(it) {
					got = append(got, it.Href)
				}
			}
		}
		if want == "" && len(got) != 0 || want != "" && (len(got) != 1 || got[0] != want) {
			t.Errorf("%s: current %v, want %q", path, got, want)
		}
	}
	if (Chrome{Path: "/"}).Current(NavItem{Href: "/"}) {
		t.Error("a signed-out page marks a sidebar item")
	}
}
