// Package static embeds the built CSS, the vendored htmx, the images and the
// display fonts (fonts/<font>/<weight>.woff2, each with its LICENSE), and
// names each file by a content hash so that browsers may cache it forever.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"sync"

	"github.com/andybalholm/brotli"
)

//go:embed css js img fonts
var files embed.FS

// Asset is one embedded file.
type Asset struct {
	Body        []byte
	Hash        string // first 16 hex digits of the SHA-256 of Body
	ContentType string
	name        string
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
		if path.Ext(p) == ".woff2" { // not in every system's MIME table
			ct = "font/woff2"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		m[p] = Asset{Body: body, Hash: hex.EncodeToString(sum[:8]), ContentType: ct, name: p}
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

// Encoded is the file compressed in coding ("br" or "gzip"), at the best
// level, done once for every text file on first use; nil for an image or
// another coding. Serving these bytes costs no CPU per request.
func (a Asset) Encoded(coding string) []byte {
	return encoded()[a.name][coding]
}

var encoded = sync.OnceValue(func() map[string]map[string][]byte {
	m := map[string]map[string][]byte{}
	for name, a := range assets() {
		switch path.Ext(name) {
		case ".css", ".js", ".svg":
		default:
			continue
		}
		var gz, br bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // a valid level: no error
		bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
		for _, w := range []interface {
			Write([]byte) (int, error)
			Close() error
		}{zw, bw} {
			if _, err := w.Write(a.Body); err != nil {
				panic("static: compressing " + name + ": " + err.Error()) // writes to memory do not fail
			}
			if err := w.Close(); err != nil {
				panic("static: compressing " + name + ": " + err.Error())
			}
		}
		m[name] = map[string][]byte{"gzip": gz.Bytes(), "br": br.Bytes()}
	}
	return m
})
