package web_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Pages use the component kit (views/ui) for what it has: no view outside
// it writes a raw <select> (ui.Select), <table> (ui.Table, with its
// header, rows and empty state) or its own "Older / Newest" pagination
// (ui.Pager). Email bodies are exempt: mail clients need their own tables.
func TestViewsUseTheKit(t *testing.T) {
	rules := []struct {
		pattern *regexp.Regexp
		use     string
	}{
		{regexp.MustCompile(`<select\b`), "ui.Select"},
		{regexp.MustCompile(`<table\b`), "ui.Table"},
		{regexp.MustCompile(`(?i)older\s*(→|&rarr;)|(←|&larr;)\s*newe(r|st)`), "ui.Pager"},
	}
	seen := 0
	err := filepath.WalkDir(filepath.Join("..", "views"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "ui" || name == "email" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".templ") {
			return nil
		}
		seen++
		src, err := os.ReadFile(path) // #nosec G122 -- the repository's own views
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(src), "\n") {
			for _, r := range rules {
				if r.pattern.MatchString(line) {
					t.Errorf("%s:%d writes its own %q: use %s", path, i+1, r.pattern.FindString(line), r.use)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 20 {
		t.Fatalf("only %d views found: the walk is looking in the wrong place", seen)
	}
}
