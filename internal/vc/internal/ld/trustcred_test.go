package ld

import (
	"regexp"
	"testing"
)

// FuzzIgnoredKeyword holds ignoredKeyword to the regular expression it
// replaced (upstream's ignoredKeywordPattern).
func FuzzIgnoredKeyword(f *testing.F) {
	pattern := regexp.MustCompile("^@[a-zA-Z]+$")
	for _, s := range []string{"@", "@id", "@ID", "@foo1", "@fo o", "@foo\n", "id", "@[", "@`", "@\u00e9", "@Z", "@z", "@@", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ignoredKeyword(s), pattern.MatchString(s); got != want {
			t.Fatalf("ignoredKeyword(%q) = %v, the expression says %v", s, got, want)
		}
	})
}
