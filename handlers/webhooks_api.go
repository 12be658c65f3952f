package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/webhook"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
)

// WebhooksAPI serves /api/v1/webhooks (scope webhooks:manage): the
// organization's webhooks, their secrets (returned on creation and
// rotation only) and their delivery logs, through webhook.Service, the
// door the settings pages use too.
type WebhooksAPI struct {
	Hooks *webhook.Service
	Jobs  jobs.Enqueuer // redeliveries are queued through it
}

// maxWebhookBody bounds the body of a webhook's create, change or rotate.
const maxWebhookBody = 16 << 10

// APIWebhook is a webhook as the API shows it. Secret is set only in the
// answers of creation and rotation.
type APIWebhook struct {
	ID                  string     `json:"id"`
	Name                string     `json:"name"`
	URL                 string     `json:"url"`
	Events              []string   `json:"events"`
	Active              bool       `json:"active"` // the admin's switch; state says whether events go out
	State               string     `json:"state"`  // active, paused (switched off) or disabled (by TrustCred: 410 or failures)
	SignWithIssuerKey   bool       `json:"signWithIssuerKey"`
	DisabledAt          *time.Time `json:"disabledAt"`
	DisabledReason      *string    `json:"disabledReason"`
	FailingSince        *time.Time `json:"failingSince"`
	LastTriggeredAt     *time.Time `json:"lastTriggeredAt"`
	PreviousSecretUntil *time.Time `json:"previousSecretUntil"` // during a rotation's overlap: until when the previous secret also signs
	CreatedAt           time.Time  `json:"createdAt"`
	UpdatedAt           time.Time  `json:"updatedAt"`
	Secret              string     `json:"secret,omitempty"`
}

func apiWebhook(w *store.Webhook, now time.Time) APIWebhook {
	ev := make([]string, len(w.Events))
	for i, e := range w.Events {
		ev[i] = string(e)
	}
	out := APIWebhook{ID: w.ID, Name: w.Name, URL: w.URL, Events: ev, Active: w.Active, State: w.State(),
		SignWithIssuerKey: w.SignWithIssuerKey, DisabledAt: w.DisabledAt, DisabledReason: w.DisabledReason,
		FailingSince: w.FailingSince, LastTriggeredAt: w.LastTriggered, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	if w.PreviousSecretUntil != nil && now.Before(*w.PreviousSecretUntil) {
		out.PreviousSecretUntil = w.PreviousSecretUntil
	}
	return out
}

// APIWebhookList is GET /api/v1/webhooks.
type APIWebhookList struct {
	Webhooks []APIWebhook `json:"webhooks"`
	Next     *string      `json:"next"`
}

// APIRotated answers POST /api/v1/webhooks/{id}/rotate.
type APIRotated struct {
	Webhook APIWebhook `json:"webhook"`
	Secret  string     `json:"secret"`
}

// APIDelivery is one attempt of a webhook's delivery log; the detail adds
// what was sent and what came back.
type APIDelivery struct {
	ID             string              `json:"id"`
	WebhookID      string              `json:"webhookId"`
	EventID        string              `json:"eventId"` // webhook-id: the same on every attempt of the event
	EventType      string              `json:"eventType"`
	Attempt        int                 `json:"attempt"`
	Cause          store.DeliveryCause `json:"cause"` // event, retry, redeliver or test
	Success        bool                `json:"success"`
	ResponseStatus *int                `json:"responseStatus"`
	DurationMs     *int                `json:"durationMs"`
	Error          *string             `json:"error"`
	CreatedAt      time.Time           `json:"createdAt"`

	RequestHeaders map[string]string     `json:"requestHeaders,omitempty"`
	Payload        *store.WebhookPayload `json:"payload,omitempty"`
	ResponseBody   *string               `json:"responseBody,omitempty"`
}

func apiDelivery(d *store.WebhookDelivery, detail bool) APIDelivery {
	out := APIDelivery{ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, EventType: string(d.EventType), Attempt: d.Attempt,
		Cause: d.Cause, Success: d.Success, ResponseStatus: d.ResponseStatus, DurationMs: d.DeliveryTimeMs, Error: d.ErrorMessage,
		CreatedAt: d.CreatedAt}
	if detail {
		p := d.Payload.Data()
		out.Payload, out.ResponseBody = &p, d.ResponseBody
		out.RequestHeaders = d.RequestHeaders.Data()
		if out.RequestHeaders == nil {
			out.RequestHeaders = map[string]string{}
		}
	}
	return out
}

// APIDeliveryList is GET /api/v1/webhooks/{id}/deliveries.
type APIDeliveryList struct {
	Deliveries []APIDelivery `json:"deliveries"`
	Next       *string       `json:"next"`
}

// APITestResult answers POST /api/v1/webhooks/{id}/test: what the
// receiver answered to the test event.
type APITestResult struct {
	EventType      string  `json:"eventType"`
	Success        bool    `json:"success"`
	ResponseStatus *int    `json:"responseStatus"`
	ResponseBody   *string `json:"responseBody"`
	DurationMs     int     `json:"durationMs"`
	Error          *string `json:"error"`
}

// APIQueued answers a redelivery: how many deliveries were queued.
type APIQueued struct {
	Queued int `json:"queued"`
}

func webhookNotFound() error {
	return problem(fiber.StatusNotFound, "Webhook not found", "Your organization has no webhook with this id.")
}

func deliveryNotFound() error {
	return problem(fiber.StatusNotFound, "Delivery not found", "This webhook has no delivery with this id.")
}

// notFoundAs turns the store's not-found into the API's own 404.
func notFoundAs(err error, nf func() error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nf()
	}
	return err
}

// List handles GET /api/v1/webhooks?limit=&cursor=: the organization's
// webhooks newest first. An organization has at most webhook.MaxWebhooks,
// so the page is cut from the whole list by the same (created_at, id)
// cursor every list uses.
func (h *WebhooksAPI) List(c *fiber.Ctx) error {
	cl := auth.API(c)
	limit, err := apiLimit(c, store.DefaultAPIPage, store.MaxAPIPage)
	if err != nil {
		return err
	}
	after, err := apiCursor(c)
	if err != nil {
		return err
	}
	hooks, err := cl.Scope.Webhooks(c.UserContext())
	if err != nil {
		return err
	}
	now := time.Now()
	out := APIWebhookList{Webhooks: []APIWebhook{}}
	for i := range hooks {
		w := &hooks[i]
		if after != nil && !before(w.CreatedAt, w.ID, after) {
			continue
		}
		if len(out.Webhooks) == limit {
			last := out.Webhooks[limit-1]
			next := store.Cursor{At: last.CreatedAt, ID: last.ID}.String()
			out.Next = &next
			break
		}
		out.Webhooks = append(out.Webhooks, apiWebhook(w, now))
	}
	return c.JSON(out)
}

// before reports whether the row (at, id) comes after the cursor in a
// newest-first list.
func before(at time.Time, id string, c *store.Cursor) bool {
	if !at.Equal(c.At) {
		return at.Before(c.At)
	}
	return id < c.ID
}

// Show handles GET /api/v1/webhooks/:id.
func (h *WebhooksAPI) Show(c *fiber.Ctx) error {
	w, err := auth.API(c).Scope.Webhook(c.UserContext(), c.Params("id"))
	if err != nil {
		return notFoundAs(err, webhookNotFound)
	}
	return c.JSON(apiWebhook(w, time.Now()))
}

// Create handles POST /api/v1/webhooks: {name, url, events, active?
// (true), signWithIssuerKey? (false)} → 201 with the webhook and its
// secret, which is never shown again.
func (h *WebhooksAPI) Create(c *fiber.Ctx) error {
	cl, ctx := auth.API(c), c.UserContext()
	body, err := object(c, maxWebhookBody)
	if err != nil {
		return err
	}
	in := webhook.Settings{Active: true}
	if err := readSettings(body, &in, true); err != nil {
		return err
	}
	w, secret, err := h.Hooks.Create(ctx, cl.Scope, in, auth.Actor(c))
	if err != nil {
		return settingsProblem(err, in)
	}
	out := apiWebhook(w, time.Now())
	out.Secret = secret
	c.Location("/api/v1/webhooks/" + w.ID)
	return c.Status(fiber.StatusCreated).JSON(out)
}

// Update handles PATCH /api/v1/webhooks/:id: the members sent change,
// the others keep their values.
func (h *WebhooksAPI) Update(c *fiber.Ctx) error {
	cl, ctx := auth.API(c), c.UserContext()
	w, err := cl.Scope.Webhook(ctx, c.Params("id"))
	if err != nil {
		return notFoundAs(err, webhookNotFound)
	}
	body, err := object(c, maxWebhookBody)
	if err != nil {
		return err
	}
	in := webhook.Settings{Name: w.Name, URL: w.URL, Active: w.Active, SignWithIssuerKey: w.SignWithIssuerKey}
	for _, e := range w.Events {
		in.Events = append(in.Events, string(e))
	}
	if err := readSettings(body, &in, false); err != nil {
		return err
	}
	w, err = h.Hooks.Update(ctx, cl.Scope, w.ID, in, auth.Actor(c))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return webhookNotFound()
		}
		return settingsProblem(err, in)
	}
	return c.JSON(apiWebhook(w, time.Now()))
}

// Delete handles DELETE /api/v1/webhooks/:id: the webhook and its
// delivery log; 204.
func (h *WebhooksAPI) Delete(c *fiber.Ctx) error {
	cl := auth.API(c)
	if err := cl.Scope.DeleteWebhook(c.UserContext(), c.Params("id"), auth.Actor(c)); err != nil {
		return notFoundAs(err, webhookNotFound)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// Rotate handles POST /api/v1/webhooks/:id/rotate: {"overlapHours": 1..168}
// (24 when absent or with no body) → the new secret, once; the previous
// one keeps signing beside it for the overlap.
func (h *WebhooksAPI) Rotate(c *fiber.Ctx) error {
	cl, ctx := auth.API(c), c.UserContext()
	if _, err := cl.Scope.Webhook(ctx, c.Params("id")); err != nil {
		return notFoundAs(err, webhookNotFound)
	}
	overlap := webhook.RotationOverlap
	if len(strings.TrimSpace(string(c.Body()))) > 0 {
		body, err := object(c, maxWebhookBody)
		if err != nil {
			return err
		}
		maxHours := int(webhook.MaxOverlap / time.Hour)
		var fe []render.FieldError
		for k, v := range body {
			if k != "overlapHours" {
				fe = append(fe, render.FieldError{Pointer: pointer(k), Detail: "Unknown member: a rotation takes only overlapHours."})
				continue
			}
			num, _ := v.(json.Number) // vc.ParseJSON keeps numbers as written
			n, err := strconv.Atoi(string(num))
			if err != nil || n < 1 || n > maxHours {
				fe = append(fe, render.FieldError{Pointer: "/overlapHours",
					Detail: fmt.Sprintf("overlapHours must be a whole number of hours from 1 to %d: how long the previous secret keeps signing.", maxHours)})
				continue
			}
			overlap = time.Duration(n) * time.Hour
		}
		if fe != nil {
			return invalidRequest("Invalid rotation", fe)
		}
	}
	w, secret, err := h.Hooks.Rotate(ctx, cl.Scope, c.Params("id"), overlap, auth.Actor(c))
	if err != nil {
		return notFoundAs(err, webhookNotFound)
	}
	return c.JSON(APIRotated{Webhook: apiWebhook(w, time.Now()), Secret: secret})
}

// Test handles POST /api/v1/webhooks/:id/test: sends a test event now
// (whatever the webhook's state; a success turns a disabled webhook back
// on) and answers what the receiver did. A receiver that refused is still
// 200: the request worked, the delivery did not (success false).
func (h *WebhooksAPI) Test(c *fiber.Ctx) error {
	cl := auth.API(c)
	r, err := h.Hooks.SendTest(c.UserContext(), cl.Scope, c.Params("id"))
	if err != nil {
		return notFoundAs(err, webhookNotFound)
	}
	outcome := "delivered"
	if !r.OK() {
		outcome = "failed"
	}
	if err := h.audit(c, "webhook.test_sent", fmt.Sprintf("Sent a test event (%s) to the webhook: %s", r.EventType, outcome)); err != nil {
		return err
	}
	out := APITestResult{EventType: string(r.EventType), Success: r.OK(), DurationMs: int(r.Duration.Milliseconds())}
	if r.Status != 0 {
		st, body := r.Status, r.Response
		out.ResponseStatus, out.ResponseBody = &st, &body
	}
	if !r.OK() {
		msg := "HTTP " + strconv.Itoa(r.Status)
		if r.Err != nil {
			msg = r.Err.Error()
		}
		out.Error = &msg
	}
	return c.JSON(out)
}

// Deliveries handles GET /api/v1/webhooks/:id/deliveries?eventType=&
// success=&limit=&cursor=: the delivery log, newest first.
func (h *WebhooksAPI) Deliveries(c *fiber.Ctx) error {
	cl := auth.API(c)
	limit, err := apiLimit(c, store.DefaultDeliveryPage, store.MaxDeliveryPage)
	if err != nil {
		return err
	}
	f := store.DeliveryFilter{Limit: limit}
	var fe []render.FieldError
	if t := c.Query("eventType"); t != "" {
		if !events.Known(events.Type(t)) {
			fe = append(fe, render.FieldError{Parameter: "eventType", Detail: fmt.Sprintf("%q is not an event TrustCred sends (see /api/v1/events/schemas).", truncateRunes(t, 64))})
		}
		f.EventType = store.WebhookEvent(t)
	}
	switch c.Query("success") {
	case "":
	case "true":
		f.Success = new(true)
	case "false":
		f.Success = new(false)
	default:
		fe = append(fe, render.FieldError{Parameter: "success", Detail: "success must be true or false."})
	}
	if f.Before, err = apiCursor(c); err != nil {
		return err
	}
	if fe != nil {
		return &render.Problem{Status: fiber.StatusBadRequest, Title: "Invalid filter", Detail: joinDetails(fe), Errors: fe}
	}
	page, err := cl.Scope.WebhookDeliveries(c.UserContext(), c.Params("id"), f)
	if errors.Is(err, store.ErrBadCursor) {
		return badCursor()
	}
	if err != nil {
		return notFoundAs(err, webhookNotFound)
	}
	out := APIDeliveryList{Deliveries: make([]APIDelivery, 0, len(page.Deliveries))}
	for i := range page.Deliveries {
		out.Deliveries = append(out.Deliveries, apiDelivery(&page.Deliveries[i], false))
	}
	if page.Next != nil {
		next := page.Next.String()
		out.Next = &next
	}
	return c.JSON(out)
}

// Delivery handles GET /api/v1/webhooks/:id/deliveries/:deliveryId: one
// attempt with its request headers, body and the receiver's answer.
func (h *WebhooksAPI) Delivery(c *fiber.Ctx) error {
	cl, ctx := auth.API(c), c.UserContext()
	if _, err := cl.Scope.Webhook(ctx, c.Params("id")); err != nil {
		return notFoundAs(err, webhookNotFound)
	}
	d, err := cl.Scope.WebhookDelivery(ctx, c.Params("id"), c.Params("deliveryId"))
	if err != nil {
		return notFoundAs(err, deliveryNotFound)
	}
	return c.JSON(apiDelivery(d, true))
}

// Redeliver handles POST /api/v1/webhooks/:id/deliveries/:deliveryId/redeliver:
// the delivery's event is queued again under the same webhook-id; 202.
func (h *WebhooksAPI) Redeliver(c *fiber.Ctx) error {
	cl, ctx := auth.API(c), c.UserContext()
	if _, err := cl.Scope.Webhook(ctx, c.Params("id")); err != nil {
		return notFoundAs(err, webhookNotFound)
	}
	if err := h.Hooks.Redeliver(ctx, cl.Scope, h.Jobs, c.Params("id"), c.Params("deliveryId")); err != nil {
		return notFoundAs(err, deliveryNotFound)
	}
	if err := h.audit(c, "webhook.redelivered", "Queued delivery "+c.Params("deliveryId")+" to be sent again"); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(APIQueued{Queued: 1})
}

// RedeliverFailed handles POST
// /api/v1/webhooks/:id/deliveries/redeliver-failed?since=<RFC 3339 time>:
// every event that failed since then and has not arrived since is queued
// again (at most webhook.MaxRedeliver); 202 with how many.
func (h *WebhooksAPI) RedeliverFailed(c *fiber.Ctx) error {
	cl, ctx := auth.API(c), c.UserContext()
	if _, err := cl.Scope.Webhook(ctx, c.Params("id")); err != nil {
		return notFoundAs(err, webhookNotFound)
	}
	raw := c.Query("since")
	since, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		since, err = time.Parse(time.DateOnly, raw)
	}
	if err != nil || since.After(time.Now()) {
		d := "since must be a past time in RFC 3339 (2026-06-01T09:30:00Z) or a date (2026-06-01, from midnight UTC)."
		if raw == "" {
			d = "since is required: the time from which failed deliveries are sent again, in RFC 3339 (2026-06-01T09:30:00Z) or a date (2026-06-01)."
		}
		return &render.Problem{Status: fiber.StatusBadRequest, Title: "Invalid since", Detail: d,
			Errors: []render.FieldError{{Parameter: "since", Detail: d}}}
	}
	n, err := h.Hooks.RedeliverFailedSince(ctx, cl.Scope, h.Jobs, c.Params("id"), since)
	if err != nil {
		return notFoundAs(err, webhookNotFound)
	}
	if err := h.audit(c, "webhook.redelivered", fmt.Sprintf("Queued %d failed deliveries since %s to be sent again", n, since.UTC().Format(time.RFC3339))); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(APIQueued{Queued: n})
}

// audit records a test send or a redelivery of the webhook :id (the
// settings' changes are audited by the store in their transactions), with
// the API key that asked. It runs after the action: the event was sent or
// queued either way, and a redelivery repeats the event's webhook-id, so a
// client retrying after a failed entry does no harm.
func (h *WebhooksAPI) audit(c *fiber.Ctx, action, summary string) error {
	cl := auth.API(c)
	return h.Hooks.DB.Audit(c.UserContext(), auth.Actor(c), action, "webhook", c.Params("id"), store.AuditDetails{Summary: summary,
		Extra: map[string]string{"api_key": cl.Key.Prefix, "api_key_name": cl.Key.Name}})
}

// readSettings applies a body's members to in: with create, name, url and
// events are required. Each member of the wrong type, and each unknown
// member, is a field error at its JSON pointer.
func readSettings(body map[string]any, in *webhook.Settings, create bool) error {
	var fe []render.FieldError
	str := func(k string, dst *string) {
		v, ok := body[k]
		if !ok {
			return
		}
		s, ok := v.(string)
		if !ok {
			fe = append(fe, render.FieldError{Pointer: pointer(k), Detail: k + " must be a string."})
			return
		}
		*dst = s
	}
	boolean := func(k string, dst *bool) {
		v, ok := body[k]
		if !ok {
			return
		}
		b, ok := v.(bool)
		if !ok {
			fe = append(fe, render.FieldError{Pointer: pointer(k), Detail: k + " must be true or false."})
			return
		}
		*dst = b
	}
	for k := range body {
		switch k {
		case "name", "url", "events", "active", "signWithIssuerKey":
		default:
			fe = append(fe, render.FieldError{Pointer: pointer(k),
				Detail: "Unknown member: a webhook has name, url, events, active and signWithIssuerKey."})
		}
	}
	if create {
		for _, k := range []string{"name", "url", "events"} {
			if _, ok := body[k]; !ok {
				fe = append(fe, render.FieldError{Pointer: pointer(k), Detail: k + " is required."})
			}
		}
	}
	str("name", &in.Name)
	str("url", &in.URL)
	boolean("active", &in.Active)
	boolean("signWithIssuerKey", &in.SignWithIssuerKey)
	if v, ok := body["events"]; ok {
		list, ok := v.([]any)
		if !ok {
			fe = append(fe, render.FieldError{Pointer: "/events", Detail: "events must be an array of event types, such as [\"credential.issued\"]."})
		} else {
			in.Events = make([]string, 0, len(list))
			for i, e := range list {
				s, ok := e.(string)
				if !ok {
					fe = append(fe, render.FieldError{Pointer: "/events/" + strconv.Itoa(i), Detail: "An event type is a string, such as \"credential.issued\"."})
					continue
				}
				in.Events = append(in.Events, s)
			}
		}
	}
	if fe != nil {
		slices.SortFunc(fe, func(a, b render.FieldError) int { return strings.Compare(a.Pointer, b.Pointer) })
		return invalidRequest("Invalid webhook", fe)
	}
	return nil
}

// settingsProblem words what webhook.Service refused: field errors at
// their JSON pointers (an unknown or repeated event at its index), 422;
// too many webhooks, 409; anything else as it is.
func settingsProblem(err error, in webhook.Settings) error {
	var fields store.FieldErrors
	switch {
	case errors.As(err, &fields):
		var fe []render.FieldError
		for _, k := range []string{"name", "url", "events"} {
			msg, ok := fields[k]
			if !ok {
				continue
			}
			p := pointer(k)
			if k == "events" {
				seen := map[string]bool{}
				for i, e := range in.Events {
					if !events.Known(events.Type(e)) || seen[e] {
						p = "/events/" + strconv.Itoa(i)
						break
					}
					seen[e] = true
				}
			}
			fe = append(fe, render.FieldError{Pointer: p, Detail: msg})
		}
		for k, msg := range fields {
			if k != "name" && k != "url" && k != "events" {
				fe = append(fe, render.FieldError{Pointer: pointer(k), Detail: msg})
			}
		}
		return invalidRequest("Invalid webhook", fe)
	case errors.Is(err, webhook.ErrTooMany):
		return problem(fiber.StatusConflict, "Too many webhooks", sentence(err.Error())+" Delete one you no longer use first.")
	}
	return err
}

// invalidRequest is a 422 whose detail lists each field's problem.
func invalidRequest(title string, fe []render.FieldError) error {
	return &render.Problem{Status: fiber.StatusUnprocessableEntity, Title: title, Detail: joinDetails(fe), Errors: fe}
}

func joinDetails(fe []render.FieldError) string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		where := e.Pointer
		if e.Parameter != "" {
			where = "?" + e.Parameter
		}
		parts[i] = where + ": " + e.Detail
	}
	return strings.Join(parts, " ")
}

// pointer is the JSON pointer (RFC 6901) of a top-level member.
func pointer(member string) string {
	return "/" + strings.ReplaceAll(strings.ReplaceAll(member, "~", "~0"), "/", "~1")
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
