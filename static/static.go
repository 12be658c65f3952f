// Package static embeds the built CSS, the vendored htmx and the images, and
// names each file by a content hash so that browsers may cache it forever.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"sync"
)

//go:embed css js img
var files embed.FS

// Asset is one embedded file.
type Asset struct {
	Body        []byte
	Hash        string // first 16 hex digits of the SHA-256 of Body
	ContentType string
}

var assets = sync.OnceValue(func() map[string]Asset {
	m := map[string]Asset{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		m[p] = Asset{Body: body, Hash: hex.EncodeToString(sum[:8]), ContentType: ct}
		return nil
	})
	if err != nil {
		panic("static: reading embedded files: " + err.Error()) // the embed is fixed at build time
	}
	return m
})

// Lookup returns the embedded file at name (e.g. "css/app.css").
func Lookup(name string) (Asset, bool) {
	a, ok := assets()[name]
	return a, ok
}

// Path is the URL of an embedded file, versioned by its content hash so a
// changed file gets a new URL. An unknown name panics: it is a programming
// error caught by any test that renders the page.
func Path(name string) string {
	a, ok := Lookup(name)
	if !ok {
		panic("static: no embedded file " + name)
	}
	return "/static/" + name + "?v=" + a.Hash
}
