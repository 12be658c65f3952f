package did

import "testing"

func TestWeb(t *testing.T) {
	cases := []struct {
		base string
		segs []string
		want string
	}{
		{"https://creds.example.org", []string{"orgs", "acme"}, "did:web:creds.example.org:orgs:acme"},
		{"http://localhost:8080", []string{"orgs", "northfield"}, "did:web:localhost%3A8080:orgs:northfield"},
		{"https://Example.ORG/trustcred/", []string{"orgs", "x"}, "did:web:example.org:trustcred:orgs:x"},
		{"http://127.0.0.1:9000", nil, "did:web:127.0.0.1%3A9000"},
	}
	for _, c := range cases {
		got, err := Web(c.base, c.segs...)
		if err != nil || got != c.want {
			t.Errorf("Web(%q, %v) = %q, %v; want %q", c.base, c.segs, got, err, c.want)
		}
	}
	for _, bad := range [][]string{{"a:b"}, {""}, {"a/b"}} {
		if _, err := Web("https://x.org", bad...); err == nil {
			t.Errorf("segments %q accepted", bad)
		}
	}
	if _, err := Web("not a url"); err == nil {
		t.Error("base without host accepted")
	}
}
