// Package migrations embeds the versioned SQL that builds TrustCred's schema,
// one folder per dialect. Both folders hold the same versions: a migration is
// written twice, once in each dialect, and a test checks they stay paired.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed postgres sqlite
var files embed.FS

// FS returns the migrations of one dialect ("postgres" or "sqlite").
func FS(dialect string) (fs.FS, error) {
	switch dialect {
	case "postgres", "sqlite":
		return fs.Sub(files, dialect)
	}
	return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
}
