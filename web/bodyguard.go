package web

import (
	"bytes"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/render"
)

// refuseEncodedBodies answers 415 to a request that names any content coding
// other than identity in Content-Encoding, before anything can read its body.
//
// Fiber's c.Body() decodes every coding the request names (gzip, deflate,
// br, stacked as "gzip, gzip") and fasthttp's multipart parser gunzips
// a form, both without a bound: BodyLimit counts only the bytes on the wire,
// so a 2.6 KB request could make the server decode 1 GiB. No client of
// ours compresses what it sends (browsers never do, and the API's documents
// are at most 1 MB), so the body the handlers see is always the bytes that
// arrived, and BodyLimit bounds it. The answer names identity as the only
// coding accepted (RFC 9110 section 15.5.16).
func refuseEncodedBodies() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !identityOnly(c) {
			c.Set(fiber.HeaderAcceptEncoding, "identity")
			return &render.Problem{Status: fiber.StatusUnsupportedMediaType, Title: "Compressed request not accepted",
				Detail: "This server does not accept compressed requests: send the body without Content-Encoding."}
		}
		return c.Next()
	}
}

// identityOnly reports whether every Content-Encoding header of the request
// (there may be several lines) lists only identity, or nothing.
func identityOnly(c *fiber.Ctx) bool {
	ok := true
	c.Request().Header.VisitAll(func(k, v []byte) {
		if !ok || !bytes.EqualFold(k, []byte(fiber.HeaderContentEncoding)) {
			return
		}
		for _, coding := range bytes.Split(v, []byte{','}) {
			coding = bytes.Trim(coding, " \t")
			if len(coding) > 0 && !bytes.EqualFold(coding, []byte("identity")) {
				ok = false
				return
			}
		}
	})
	return ok
}
