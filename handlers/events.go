package handlers

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/views/docs"
)

// Events serves what receivers of webhooks read: the JSON Schema of every
// event's body (public, cacheable, CORS *) and the events docs page. The
// documents come from events.Catalogue and are encoded once.
type Events struct {
	list    cached
	schemas map[events.Type]cached
	docs    docs.EventsModel
}

type cached struct {
	body []byte
	etag string
}

func cache(v any) cached {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic("events: encode schema: " + err.Error()) // the catalogue is code: a test covers every entry
	}
	sum := sha256.Sum256(b)
	return cached{body: b, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}
}

// APIEventSchema is one entry of GET /api/v1/events/schemas.
type APIEventSchema struct {
	Type        events.Type    `json:"type"`
	Version     int            `json:"version"`
	Description string         `json:"description"`
	Group       events.Group   `json:"group"`
	Schema      map[string]any `json:"schema"`
}

// APIEventSchemas is GET /api/v1/events/schemas.
type APIEventSchemas struct {
	Schemas []APIEventSchema `json:"schemas"`
}

// NewEvents encodes the catalogue's schemas.
func NewEvents() *Events {
	h := &Events{schemas: map[events.Type]cached{}}
	var list APIEventSchemas
	for _, s := range events.Catalogue {
		schema := events.Schema(s)
		list.Schemas = append(list.Schemas, APIEventSchema{Type: s.Type, Version: s.Version, Description: s.Description, Group: s.Group, Schema: schema})
		h.schemas[s.Type] = cache(schema)
	}
	h.list = cache(list)
	h.docs = eventsDocs()
	return h
}

// maxAgeSchemas: the schemas change only with a new release.
const maxAgeSchemas = "public, max-age=3600"

func (h *Events) send(c *fiber.Ctx, doc cached, contentType string) error {
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	c.Set(fiber.HeaderCacheControl, maxAgeSchemas)
	c.Set(fiber.HeaderETag, doc.etag)
	c.Vary(fiber.HeaderAcceptEncoding)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatches(inm, doc.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, contentType)
	return c.Send(doc.body)
}

// Schemas handles GET /api/v1/events/schemas: every event type with its
// version, description, group and the JSON Schema of its body.
func (h *Events) Schemas(c *fiber.Ctx) error {
	return h.send(c, h.list, fiber.MIMEApplicationJSON)
}

// Schema handles GET /api/v1/events/schemas/:type: the JSON Schema
// (draft 2020-12) of one event type's body.
func (h *Events) Schema(c *fiber.Ctx) error {
	doc, ok := h.schemas[events.Type(c.Params("type"))]
	if !ok {
		return &render.Problem{Status: fiber.StatusNotFound, Title: "Unknown event type",
			Detail: "TrustCred sends no event of this type; GET /api/v1/events/schemas lists those it does."}
	}
	return h.send(c, doc, "application/schema+json")
}

// Docs handles GET /docs/events: every event type, grouped, with its
// fields and an example, and how a receiver verifies a delivery.
func (h *Events) Docs(c *fiber.Ctx) error {
	render.SetTitle(c, "Events and webhooks")
	return render.Page(c, fiber.StatusOK, docs.EventsPage(h.docs))
}
