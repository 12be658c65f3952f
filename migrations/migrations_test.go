package migrations_test

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trustcred/trustcred/migrations"
)

var fileName = regexp.MustCompile(`^(\d{5})_[a-z0-9_]+\.sql$`)

// versions lists the migration files of a dialect by version, failing on
// any .sql file that is not named NNNNN_name.sql or lacks an Up or a Down.
func versions(t *testing.T, dialect string) map[string]string {
	t.Helper()
	fsys, err := migrations.FS(dialect)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			t.Errorf("%s/%s: want NNNNN_lower_snake_name.sql", dialect, e.Name())
			continue
		}
		if prev, dup := out[m[1]]; dup {
			t.Errorf("%s: version %s used by %s and %s", dialect, m[1], prev, e.Name())
		}
		out[m[1]] = e.Name()
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, section := range []string{"-- +goose Up", "-- +goose Down"} {
			if !strings.Contains(string(body), section) {
				t.Errorf("%s/%s has no %q section", dialect, e.Name(), section)
			}
		}
	}
	return out
}

func TestMigrationFoldersPaired(t *testing.T) {
	pg, lite := versions(t, "postgres"), versions(t, "sqlite")
	for v, name := range pg {
		if other, ok := lite[v]; !ok {
			t.Errorf("postgres/%s has no sqlite migration of version %s", name, v)
		} else if other != name {
			t.Errorf("version %s is postgres/%s but sqlite/%s: name them alike", v, name, other)
		}
	}
	for v, name := range lite {
		if _, ok := pg[v]; !ok {
			t.Errorf("sqlite/%s has no postgres migration of version %s", name, v)
		}
	}
}

func TestUnknownDialect(t *testing.T) {
	if _, err := migrations.FS("mysql"); err == nil {
		t.Fatal("FS(mysql) succeeded")
	}
	for _, d := range []string{"postgres", "sqlite"} {
		fsys, err := migrations.FS(d)
		if err != nil {
			t.Fatal(err)
		}
		names, _ := fs.Glob(fsys, "*")
		if !slices.Contains(names, "README.md") {
			t.Errorf("%s: folder not embedded (got %v)", d, names)
		}
	}
}
