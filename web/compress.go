package web

import (
	"bytes"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/trustcred/trustcred/internal/accept"
)

// minCompress is the smallest body worth compressing: below it the coding's
// own header and the CPU cost outweigh the bytes saved.
const minCompress = 1024

// compress encodes responses for clients that accept it: brotli (level 4,
// about gzip's cost for a smaller body) or gzip, by the client's
// Accept-Encoding with its quality values. It leaves alone a body that
// already has a Content-Encoding (the cached public credential pages and the
// precompressed static files are sent as stored, never encoded twice), one
// under minCompress bytes, a streamed one, and any type that is already
// compressed (PNG, octet-stream…). Every response of a compressible type says
// Vary: Accept-Encoding, compressed or not, so that a shared cache keeps the
// versions apart. It sits outside requestLog, so error pages are compressed
// too.
func compress() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := c.Next(); err != nil {
			return err
		}
		resp := c.Response()
		if !compressible(resp.Header.ContentType()) {
			return nil
		}
		c.Vary(fiber.HeaderAcceptEncoding)
		if len(resp.Header.ContentEncoding()) > 0 || resp.IsBodyStream() {
			return nil
		}
		body := resp.Body()
		if len(body) < minCompress {
			return nil
		}
		var out []byte
		coding := accept.Pick(c.Get(fiber.HeaderAcceptEncoding), "br", "gzip")
		switch coding {
		case "br":
			out = fasthttp.AppendBrotliBytesLevel(nil, body, fasthttp.CompressBrotliDefaultCompression)
		case "gzip":
			out = fasthttp.AppendGzipBytesLevel(nil, body, fasthttp.CompressDefaultCompression)
		default:
			return nil
		}
		resp.SetBodyRaw(out)
		resp.Header.Set(fiber.HeaderContentEncoding, coding)
		return nil
	}
}

// compressible reports whether a body of this type shrinks when encoded:
// text, JSON, JavaScript, XML and SVG; not images, archives or binaries.
func compressible(contentType []byte) bool {
	ct, _, _ := bytes.Cut(contentType, []byte(";"))
	t := strings.ToLower(strings.TrimSpace(string(ct)))
	switch {
	case strings.HasPrefix(t, "text/"):
		return true
	case t == "image/svg+xml", t == "application/javascript", t == "application/json", t == "application/xml",
		strings.HasSuffix(t, "+json"), strings.HasSuffix(t, "+xml"):
		return true
	}
	return false
}
