package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/static"
)

// serveStatic serves the embedded assets. A URL carrying the file's current
// content hash (?v=…, as static.Path writes it) is cached for a year; any
// other is revalidated with its ETag.
func serveStatic(c *fiber.Ctx) error {
	name := strings.TrimPrefix(c.Path(), "/static/")
	a, ok := static.Lookup(name)
	if !ok {
		return fiber.ErrNotFound
	}
	etag := `"` + a.Hash + `"`
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
	return c.Send(a.Body)
}
