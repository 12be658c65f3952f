package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/form"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/webhook"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	view "github.com/trustcred/trustcred/views/webhooks"
)

// Webhooks serves /settings/webhooks: an organization's webhooks (org
// admins, webhooks.manage), their secrets, test events and delivery logs.
// Every rule is the webhook door's (webhook.Service); the pages word its
// answers.
type Webhooks struct {
	Svc  *webhook.Service
	Jobs jobs.Enqueuer // redeliveries are queued through it
}

// Index renders GET /settings/webhooks.
func (h *Webhooks) Index(c *fiber.Ctx) error {
	sc := auth.Current(c).Scope
	ctx := c.UserContext()
	hooks, err := sc.Webhooks(ctx)
	if err != nil {
		return err
	}
	m := view.Index{Max: webhook.MaxWebhooks, Full: len(hooks) >= webhook.MaxWebhooks}
	for i := range hooks {
		w := &hooks[i]
		r := view.Row{ID: w.ID, Name: w.Name, URL: w.URL, Events: len(w.Events), State: hookState(w)}
		// An organization has at most MaxWebhooks: one short query each.
		p, err := sc.WebhookDeliveries(ctx, w.ID, store.DeliveryFilter{Limit: 1})
		if err != nil {
			return err
		}
		if len(p.Deliveries) == 1 {
			d := p.Deliveries[0]
			r.Last = view.Last{Success: d.Success, Status: responseStatus(&d), Time: stamp(d.CreatedAt), TimeISO: iso(d.CreatedAt)}
		}
		m.Rows = append(m.Rows, r)
	}
	render.SetTitle(c, "Webhooks")
	return render.Page(c, fiber.StatusOK, view.IndexPage(m))
}

// New renders GET /settings/webhooks/new.
func (h *Webhooks) New(c *fiber.Ctx) error {
	render.SetTitle(c, "New webhook")
	return render.Page(c, fiber.StatusOK, view.NewPage(h.form(view.Form{Active: true, Errors: view.Errors{}})))
}

// form adds the choices to a form.
func (h *Webhooks) form(f view.Form) view.Form {
	f.Groups, f.AllowHTTP = eventGroups(), h.Svc.AllowPrivate
	return f
}

// eventGroups are the events' checkboxes, grouped as the catalogue groups
// them, in its order.
func eventGroups() []view.EventGroup {
	var out []view.EventGroup
	index := map[events.Group]int{}
	for _, s := range events.Catalogue {
		i, ok := index[s.Group]
		if !ok {
			i = len(out)
			index[s.Group] = i
			out = append(out, view.EventGroup{ID: slugOf(string(s.Group)), Label: string(s.Group)})
		}
		out[i].Events = append(out[i].Events, view.Event{Type: string(s.Type), Description: s.Description})
	}
	return out
}

// slugOf is a group's label as an element id ("API keys" → "api-keys").
func slugOf(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), "-")
}

// parse reads the create/edit form.
func (h *Webhooks) parse(c *fiber.Ctx) (view.Form, webhook.Settings) {
	f := view.Form{Name: c.FormValue("name"), URL: c.FormValue("url"), Active: c.FormValue("active") == "on",
		SignWithIssuerKey: c.FormValue("sign_with_issuer_key") == "on", Errors: view.Errors{}}
	for _, v := range c.Context().PostArgs().PeekMulti("events") {
		f.Events = append(f.Events, string(v))
	}
	return f, webhook.Settings{Name: f.Name, URL: f.URL, Events: f.Events, Active: f.Active, SignWithIssuerKey: f.SignWithIssuerKey}
}

// refused puts the door's answer into the form's errors: true when it was
// a refusal the form shows, false for any other error.
func refused(err error, f *view.Form) bool {
	var fe store.FieldErrors
	switch {
	case errors.As(err, &fe):
		for k, v := range fe {
			if k == "events" || k == "name" || k == "url" {
				f.Errors[k] = v
			} else {
				f.Errors[""] = v
			}
		}
		return true
	case errors.Is(err, webhook.ErrTooMany):
		f.Errors[""] = fmt.Sprintf("Your organization already has %d webhooks, the most it can have. Delete one to add another.", webhook.MaxWebhooks)
		return true
	}
	return false
}

// Create handles POST /settings/webhooks: the new webhook's secret is shown
// on the response, once.
func (h *Webhooks) Create(c *fiber.Ctx) error {
	f, in := h.parse(c)
	checkForm(c, f.Errors)
	if len(f.Errors) == 0 {
		hook, secret, err := h.Svc.Create(c.UserContext(), auth.Current(c).Scope, in, auth.Actor(c))
		if err == nil {
			return secretPage(c, view.Secret{ID: hook.ID, Name: hook.Name, URL: hook.URL, Secret: secret})
		}
		if !refused(err, &f) {
			return err
		}
	}
	summarize(&f)
	render.SetTitle(c, "New webhook")
	return render.Page(c, fiber.StatusUnprocessableEntity, view.NewPage(h.form(f)))
}

// secretPage shows a new secret: in this response only, which no cache
// may keep.
func secretPage(c *fiber.Ctx, m view.Secret) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	render.SetTitle(c, "Webhook secret")
	status := fiber.StatusCreated
	if m.Rotated {
		status = fiber.StatusOK
	}
	return render.Page(c, status, view.SecretPage(m))
}

// Edit renders GET /settings/webhooks/:id.
func (h *Webhooks) Edit(c *fiber.Ctx) error {
	w, err := auth.Current(c).Scope.Webhook(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.edit(c, fiber.StatusOK, w, h.settingsForm(w), func(*view.Edit) {})
}

func (h *Webhooks) settingsForm(w *store.Webhook) view.Form {
	f := view.Form{ID: w.ID, Name: w.Name, URL: w.URL, Active: w.Active, SignWithIssuerKey: w.SignWithIssuerKey, Errors: view.Errors{}}
	for _, e := range w.Events {
		f.Events = append(f.Events, string(e))
	}
	return f
}

// edit renders a webhook's page with the form f (as stored, or as typed
// with its errors).
func (h *Webhooks) edit(c *fiber.Ctx, status int, w *store.Webhook, f view.Form, more func(*view.Edit)) error {
	f.ID = w.ID
	m := view.Edit{Name: w.Name, Form: h.form(f), State: hookState(w), Created: stamp(w.CreatedAt), Overlap: "24h"}
	if w.PreviousSecretUntil != nil && w.PreviousSecretUntil.After(time.Now()) {
		m.Rotating = stamp(*w.PreviousSecretUntil)
	}
	more(&m)
	render.SetTitle(c, w.Name)
	return render.Page(c, status, view.EditPage(m))
}

// Update handles POST /settings/webhooks/:id.
func (h *Webhooks) Update(c *fiber.Ctx) error {
	sc, ctx := auth.Current(c).Scope, c.UserContext()
	w, err := sc.Webhook(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	f, in := h.parse(c)
	checkForm(c, f.Errors)
	if len(f.Errors) == 0 {
		saved, err := h.Svc.Update(ctx, sc, w.ID, in, auth.Actor(c))
		if err == nil {
			render.Flash(c, layout.FlashSuccess, "The webhook “"+saved.Name+"” is saved.")
			return render.Redirect(c, view.Path)
		}
		if !refused(err, &f) {
			return err
		}
	}
	summarize(&f)
	return h.edit(c, fiber.StatusUnprocessableEntity, w, f, func(*view.Edit) {})
}

// summarize puts what is wrong at the top of a refused form too: the form
// is long, and the answer comes back scrolled to its top.
func summarize(f *view.Form) {
	if f.Errors[""] == "" {
		f.Errors[""] = "The webhook was not saved. " + form.Summary(f.Errors, "name", "url", "events")
	}
}

// overlaps are the rotation overlaps the form offers.
var overlaps = map[string]time.Duration{"1h": time.Hour, "24h": 24 * time.Hour, "72h": 72 * time.Hour}

// Rotate handles POST /settings/webhooks/:id/rotate: a new secret, shown
// once; the current one keeps signing beside it for the overlap chosen.
func (h *Webhooks) Rotate(c *fiber.Ctx) error {
	sc, ctx := auth.Current(c).Scope, c.UserContext()
	w, err := sc.Webhook(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	choice := c.FormValue("overlap")
	overlap, ok := overlaps[choice]
	if !ok {
		return h.edit(c, fiber.StatusUnprocessableEntity, w, h.settingsForm(w), func(m *view.Edit) {
			m.RotateError, m.Overlap = "Choose how long the current secret keeps signing: 1, 24 or 72 hours.", ""
		})
	}
	w, secret, err := h.Svc.Rotate(ctx, sc, w.ID, overlap, auth.Actor(c))
	if err != nil {
		return err
	}
	m := view.Secret{ID: w.ID, Name: w.Name, URL: w.URL, Secret: secret, Rotated: true}
	if w.PreviousSecretUntil != nil {
		m.OverlapUntil = stamp(*w.PreviousSecretUntil)
	}
	return secretPage(c, m)
}

// Delete handles POST /settings/webhooks/:id/delete.
func (h *Webhooks) Delete(c *fiber.Ctx) error {
	sc, ctx := auth.Current(c).Scope, c.UserContext()
	w, err := sc.Webhook(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	if err := sc.DeleteWebhook(ctx, w.ID, auth.Actor(c)); err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "The webhook “"+w.Name+"” is deleted; nothing more is sent to it.")
	return render.Redirect(c, view.Path)
}

// Test handles POST /settings/webhooks/:id/test: one attempt now, its
// result shown in place (htmx) or on the webhook's page.
func (h *Webhooks) Test(c *fiber.Ctx) error {
	sc, ctx := auth.Current(c).Scope, c.UserContext()
	before, err := sc.Webhook(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	res, err := h.Svc.SendTest(ctx, sc, before.ID)
	if err != nil {
		return err
	}
	after, err := sc.Webhook(ctx, before.ID)
	if err != nil {
		return err
	}
	r := &view.TestResult{OK: res.OK(), EventType: string(res.EventType), Status: attemptStatus(res.Status), Duration: duration(res.Duration),
		Reenabled: before.DisabledAt != nil && after.DisabledAt == nil, State: hookState(after)}
	if res.Err != nil {
		r.Error = res.Err.Error()
	} else if !res.OK() {
		r.Error = "The receiver answered " + r.Status + "; only a 2xx status counts as delivered."
	}
	if render.IsPartial(c) {
		return render.Component(c, fiber.StatusOK, view.TestResultOOB(r))
	}
	return h.edit(c, fiber.StatusOK, after, h.settingsForm(after), func(m *view.Edit) { m.Test = r })
}

// Deliveries renders GET /settings/webhooks/:id/deliveries, filtered by
// event type and result, a page at a time; an htmx request gets only the
// results.
func (h *Webhooks) Deliveries(c *fiber.Ctx) error {
	sc, ctx := auth.Current(c).Scope, c.UserContext()
	w, err := sc.Webhook(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	m := view.Deliveries{HookID: w.ID, HookName: w.Name,
		Filter: view.DeliveryFilter{Event: c.Query("event"), Result: c.Query("result"), Errors: view.Errors{}}}
	for _, s := range events.Catalogue {
		m.EventTypes = append(m.EventTypes, string(s.Type))
	}
	status, err := h.fillDeliveries(c, sc, &m)
	if err != nil {
		return err
	}
	if render.IsPartial(c) {
		return render.Component(c, status, view.DeliveryResults(m))
	}
	render.SetTitle(c, "Delivery log: "+w.Name)
	return render.Page(c, status, view.DeliveriesPage(m))
}

// fillDeliveries reads the log's filter from the query and its page into m.
func (h *Webhooks) fillDeliveries(c *fiber.Ctx, sc *store.Scoped, m *view.Deliveries) (int, error) {
	f := &m.Filter
	var sf store.DeliveryFilter
	if f.Event != "" {
		if events.Known(events.Type(f.Event)) {
			sf.EventType = store.WebhookEvent(f.Event)
		} else {
			f.Errors["event"] = "Choose an event from the list."
		}
	}
	switch f.Result {
	case "":
	case "success", "failure":
		ok := f.Result == "success"
		sf.Success = &ok
	default:
		f.Errors["result"] = "Choose a result from the list."
	}
	if cur := c.Query("before"); cur != "" {
		sf.Before = form.ParseCursor(f.Errors, cur)
	}
	if len(f.Errors) > 0 && !(len(f.Errors) == 1 && f.Errors[""] != "") {
		if render.IsPartial(c) {
			f.Errors[""] = form.Summary(f.Errors, "event", "result")
		}
		return fiber.StatusUnprocessableEntity, nil
	}
	p, err := sc.WebhookDeliveries(c.UserContext(), m.HookID, sf)
	if err != nil {
		return 0, err
	}
	for i := range p.Deliveries {
		m.Rows = append(m.Rows, deliveryRow(&p.Deliveries[i]))
	}
	link := func(before string) string {
		return form.Link(view.DeliveriesURL(m.HookID), map[string]string{"event": f.Event, "result": f.Result, "before": before})
	}
	if sf.Before != nil {
		m.Newest = link("")
	}
	if p.Next != nil {
		m.Older = link(p.Next.String())
	}
	return fiber.StatusOK, nil
}

func deliveryRow(d *store.WebhookDelivery) view.DeliveryRow {
	r := view.DeliveryRow{ID: d.ID, EventID: d.EventID, EventType: string(d.EventType), Time: stamp(d.CreatedAt), TimeISO: iso(d.CreatedAt),
		Attempt: d.Attempt, Cause: string(d.Cause), Success: d.Success, Status: responseStatus(d), Duration: "—"}
	if d.DeliveryTimeMs != nil {
		r.Duration = duration(time.Duration(*d.DeliveryTimeMs) * time.Millisecond)
	}
	if d.ErrorMessage != nil {
		r.Error = *d.ErrorMessage
	}
	return r
}

// Delivery renders GET /settings/webhooks/:id/deliveries/:deliveryId.
func (h *Webhooks) Delivery(c *fiber.Ctx) error {
	sc, ctx := auth.Current(c).Scope, c.UserContext()
	w, err := sc.Webhook(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	d, err := sc.WebhookDelivery(ctx, w.ID, c.Params("deliveryId"))
	if err != nil {
		return err
	}
	m := view.Delivery{HookID: w.ID, HookName: w.Name, Row: deliveryRow(d)}
	for k, v := range d.RequestHeaders.Data() {
		m.Headers = append(m.Headers, view.Header{Name: k, Value: v})
	}
	sort.Slice(m.Headers, func(i, j int) bool { return m.Headers[i].Name < m.Headers[j].Name })
	if body, err := json.MarshalIndent(d.Payload.Data(), "", "  "); err == nil {
		m.Body = string(body)
	}
	if d.ResponseBody != nil {
		m.Response = *d.ResponseBody
		// A JSON answer is shown indented, as the request is.
		var buf bytes.Buffer
		if json.Valid([]byte(m.Response)) && json.Indent(&buf, []byte(m.Response), "", "  ") == nil {
			m.Response = buf.String()
		}
	}
	render.SetTitle(c, "Delivery of "+string(d.EventType))
	return render.Page(c, fiber.StatusOK, view.DeliveryPage(m))
}

// Redeliver handles POST /settings/webhooks/:id/deliveries/:deliveryId/redeliver:
// the event is queued again under its own id; a flash says so.
func (h *Webhooks) Redeliver(c *fiber.Ctx) error {
	sc, ctx := auth.Current(c).Scope, c.UserContext()
	w, err := sc.Webhook(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	d, err := sc.WebhookDelivery(ctx, w.ID, c.Params("deliveryId"))
	if err != nil {
		return err
	}
	if err := h.Svc.Redeliver(ctx, sc, h.Jobs, w.ID, d.ID); err != nil {
		return err
	}
	render.Flash(c, layout.FlashSuccess, "The "+string(d.EventType)+" event is queued to be delivered again, under the same webhook-id. The new attempt shows in the log.")
	if render.IsPartial(c) {
		return render.Page(c, fiber.StatusOK, templ.NopComponent)
	}
	return render.Redirect(c, view.DeliveriesURL(w.ID))
}

// sinceLayouts are what a datetime-local input sends.
var sinceLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

// RedeliverFailed handles POST /settings/webhooks/:id/redeliver-failed:
// every event that failed since the time given and has not been delivered
// since is queued again; a flash says how many.
func (h *Webhooks) RedeliverFailed(c *fiber.Ctx) error {
	sc, ctx := auth.Current(c).Scope, c.UserContext()
	w, err := sc.Webhook(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	m := view.Deliveries{HookID: w.ID, HookName: w.Name, Since: strings.TrimSpace(c.FormValue("since"))}
	errs := map[string]string{}
	checkForm(c, errs)
	now := time.Now().UTC()
	var since time.Time
	switch {
	case errs["since"] != "":
		m.SinceError = errs["since"]
	case m.Since == "":
		m.SinceError = "Enter the date and time (UTC) from which to send failed events again."
	default:
		for _, l := range sinceLayouts {
			if t, err := time.Parse(l, m.Since); err == nil {
				since = t
				break
			}
		}
		switch {
		case since.IsZero():
			m.SinceError = "Enter a date and time such as " + now.Add(-24*time.Hour).Format("2006-01-02T15:04") + "."
		case since.After(now):
			m.SinceError = "Enter a time in the past: nothing has failed after now."
		}
	}
	if m.SinceError != "" {
		if render.IsPartial(c) {
			return render.Component(c, fiber.StatusUnprocessableEntity, view.RedeliverFailedForm(m))
		}
		m.Filter.Errors = view.Errors{}
		status, err := h.fillDeliveries(c, sc, &m)
		if err != nil {
			return err
		}
		if status == fiber.StatusOK {
			status = fiber.StatusUnprocessableEntity
		}
		render.SetTitle(c, "Delivery log: "+w.Name)
		return render.Page(c, status, view.DeliveriesPage(m))
	}
	n, err := h.Svc.RedeliverFailedSince(ctx, sc, h.Jobs, w.ID, since)
	if err != nil {
		return err
	}
	when := since.Format("2 Jan 2006 15:04 UTC")
	switch n {
	case 0:
		render.Flash(c, layout.FlashInfo, "No event has failed since "+when+" without being delivered since: nothing to redeliver.")
	case 1:
		render.Flash(c, layout.FlashSuccess, "1 failed event since "+when+" is queued to be delivered again.")
	default:
		msg := strconv.Itoa(n) + " failed events since " + when + " are queued to be delivered again."
		if n == webhook.MaxRedeliver {
			msg += " That is the most one request queues: run it again for older ones once these are through."
		}
		render.Flash(c, layout.FlashSuccess, msg)
	}
	if render.IsPartial(c) {
		m.Since = ""
		return render.Page(c, fiber.StatusOK, view.RedeliverFailedForm(m))
	}
	return render.Redirect(c, view.DeliveriesURL(w.ID))
}

// hookState is how the pages show a webhook's state.
func hookState(w *store.Webhook) view.State {
	switch w.State() {
	case store.WebhookStateDisabled:
		s := view.State{Kind: view.StateDisabled, Reason: "Disabled by TrustCred"}
		if w.DisabledReason != nil && *w.DisabledReason != "" {
			s.Reason += ": " + *w.DisabledReason
		}
		return s
	case store.WebhookStatePaused:
		return view.State{Kind: view.StatePaused}
	}
	if w.FailingSince != nil {
		return view.State{Kind: view.StateFailing, Reason: "Deliveries fail since " + stamp(*w.FailingSince) + "."}
	}
	return view.State{Kind: view.StateActive}
}

func responseStatus(d *store.WebhookDelivery) string {
	if d.ResponseStatus == nil {
		return attemptStatus(0)
	}
	return attemptStatus(*d.ResponseStatus)
}

func attemptStatus(status int) string {
	if status == 0 {
		return "No response"
	}
	return "HTTP " + strconv.Itoa(status)
}

// duration is an attempt's duration as people read it.
func duration(d time.Duration) string {
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}

func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }
