package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/accept"
	"github.com/trustcred/trustcred/static"
)

// serveStatic serves the embedded assets. A URL carrying the file's current
// content hash (?v=…, as static.Path writes it) is cached for a year; any
// other is revalidated with its ETag. CSS, JS and SVG go out as compressed
// once (static.Asset.Encoded) to clients that accept brotli or gzip; each
// coding is its own representation, with its own ETag.
func serveStatic(c *fiber.Ctx) error {
	name := strings.TrimPrefix(c.Path(), "/static/")
	a, ok := static.Lookup(name)
	if !ok {
		return fiber.ErrNotFound
	}
	body, coding := a.Body, ""
	if a.Encoded("gzip") != nil {
		c.Vary(fiber.HeaderAcceptEncoding)
		if coding = accept.Pick(c.Get(fiber.HeaderAcceptEncoding), "br", "gzip"); coding != "" {
			body = a.Encoded(coding)
		}
	}
	etag := `"` + a.Hash + `"`
	if coding != "" {
		etag = `"` + a.Hash + "-" + coding + `"`
	}
	c.Set(fiber.HeaderETag, etag)
	if c.Query("v") == a.Hash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, no-cache")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	if coding != "" {
		c.Set(fiber.HeaderContentEncoding, coding)
	}
	return c.Send(body)
}
