package handlers

import (
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trustcred/trustcred/auth"
	"github.com/trustcred/trustcred/form"
	"github.com/trustcred/trustcred/internal/notify"
	"github.com/trustcred/trustcred/render"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/views/layout"
	"github.com/trustcred/trustcred/views/notification"
	"github.com/trustcred/trustcred/views/ui"
)

// Notifications serves a signed-in user's own notifications: the bell's
// count and dropdown, the page, and the preferences. Every query goes
// through the user's store.Account, so another user's notification is 404.
type Notifications struct {
	PageSize     int  // 0: store.DefaultNotificationPage
	SMSAvailable bool // the operator has set up SMS: the preferences offer it
}

// latestCount is how many notifications the dropdown shows.
const latestCount = 5

// changed tells the page's bell to ask for its count again.
func changed(c *fiber.Ctx) { c.Set("HX-Trigger", "notifications-changed") }

// Count renders GET /notifications/count: the bell with the unread count,
// which htmx swaps in every 30 s.
func (h *Notifications) Count(c *fiber.Ctx) error {
	n, err := auth.Current(c).Account.UnreadNotifications(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return render.Component(c, fiber.StatusOK, layout.NotificationBell(layout.Bell{Unread: n, Known: true}))
}

// Latest renders GET /notifications/latest: the dropdown's content.
func (h *Notifications) Latest(c *fiber.Ctx) error {
	m, err := h.latest(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return render.Component(c, fiber.StatusOK, notification.LatestMenu(m))
}

func (h *Notifications) latest(c *fiber.Ctx) (notification.Latest, error) {
	acc := auth.Current(c).Account
	p, err := acc.Notifications(c.UserContext(), store.NotificationFilter{Limit: latestCount})
	if err != nil {
		return notification.Latest{}, err
	}
	n, err := acc.UnreadNotifications(c.UserContext())
	if err != nil {
		return notification.Latest{}, err
	}
	return notification.Latest{Items: items(p.Notifications), Unread: n}, nil
}

// Index renders GET /notifications: filters (unread only, type) and one
// page, newest first.
func (h *Notifications) Index(c *fiber.Ctx) error {
	acc := auth.Current(c).Account
	m := notification.Page{Types: typeNames()}
	f, sf := parseNotificationFilter(c)
	m.Filter = f
	status := fiber.StatusOK
	if len(f.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
		if msg := f.Errors["type"]; msg != "" && render.IsPartial(c) && f.Errors[""] == "" {
			m.Filter.Errors[""] = msg // only the results are swapped in: say there what is wrong
		}
	} else {
		sf.Limit = h.PageSize
		p, err := acc.Notifications(c.UserContext(), sf)
		if err != nil {
			return err
		}
		m.Items = items(p.Notifications)
		unread := ""
		if f.Unread {
			unread = "1"
		}
		link := func(before string) string {
			return form.Link("/notifications", map[string]string{"unread": unread, "type": f.Type, "before": before})
		}
		if p.Next != nil {
			m.Older = link(p.Next.String())
		}
		if sf.Before != nil {
			m.Newest = link("")
		}
	}
	n, err := acc.UnreadNotifications(c.UserContext())
	if err != nil {
		return err
	}
	m.Unread = n
	render.SetTitle(c, "Notifications")
	if render.IsPartial(c) && c.Get("HX-Target") == "notification-results" {
		return render.Page(c, status, notification.Results(m))
	}
	return render.Page(c, status, notification.IndexPage(m))
}

// History renders GET /notifications/deliveries: one page of the user's
// notifications with how each went out on each channel. A paging link
// that is not valid is 422 with the first page's link.
func (h *Notifications) History(c *fiber.Ctx) error {
	acc := auth.Current(c).Account
	var m notification.History
	status := fiber.StatusOK
	errs := notification.Errors{}
	var before *store.Cursor
	if b := c.Query("before"); b != "" {
		before = form.ParseCursor(errs, b)
	}
	if len(errs) > 0 {
		status = fiber.StatusUnprocessableEntity
		m.Error = "This page link is not valid. Start again from the newest notifications."
		m.Newest = "/notifications/deliveries"
	} else {
		p, err := acc.DeliveryHistory(c.UserContext(), before, h.PageSize)
		if err != nil {
			return err
		}
		m.Entries = make([]notification.HistoryEntry, len(p.Records))
		for i, r := range p.Records {
			m.Entries[i] = historyEntry(r)
		}
		if p.Next != nil {
			m.Older = form.Link("/notifications/deliveries", map[string]string{"before": p.Next.String()})
		}
		if before != nil {
			m.Newest = "/notifications/deliveries"
		}
	}
	render.SetTitle(c, "Delivery history")
	if render.IsPartial(c) && c.Get("HX-Target") == "history-results" {
		return render.Page(c, status, notification.HistoryResults(m))
	}
	return render.Page(c, status, notification.HistoryPage(m))
}

// historyEntry words a notification's channels: the app, then email and
// text message as their delivery rows (and the provider's report) say.
func historyEntry(r store.DeliveryRecord) notification.HistoryEntry {
	n := r.Notification
	e := notification.HistoryEntry{ID: n.ID, Title: n.Title, Type: string(n.Type), SentAt: n.SentAt, Critical: n.Critical}
	if n.EmailOnly {
		e.Channels = append(e.Channels, notification.Channel{Name: "In app", Status: "Off in your preferences", Tone: ui.ToneNeutral})
	} else {
		at := n.SentAt
		e.Channels = append(e.Channels, notification.Channel{Name: "In app", Status: "Shown", Tone: ui.ToneSuccess, At: &at, AtVerb: "Sent"})
	}
	for _, d := range r.Deliveries {
		ch := notification.Channel{Name: "Email", At: d.SentAt, AtVerb: "Sent"}
		if d.Channel == store.ChannelSMS {
			ch.Name = "Text message"
		}
		switch d.Status {
		case store.DeliverySent:
			ch.Status, ch.Tone = "Sent", ui.ToneSuccess
		case store.DeliveryPending:
			ch.Status, ch.Tone = "Waiting", ui.ToneWarning
			if d.ErrorMessage != nil && *d.ErrorMessage != "" {
				ch.Reason = "Last attempt: " + *d.ErrorMessage + ". TrustCred tries again."
			}
		case store.DeliveryDigest:
			ch.Status, ch.Tone = "In the daily digest", ui.ToneInfo
		case store.DeliveryFailed:
			ch.Status, ch.Tone = "Failed", ui.ToneDanger
		case store.DeliverySkipped:
			ch.Status, ch.Tone = "Skipped", ui.ToneNeutral
		}
		if (d.Status == store.DeliveryFailed || d.Status == store.DeliverySkipped) && d.ErrorMessage != nil {
			ch.Reason = *d.ErrorMessage
		}
		if d.Channel == store.ChannelSMS {
			smsReport(&ch, r.Texts)
		}
		e.Channels = append(e.Channels, ch)
	}
	return e
}

// smsReport adds what the provider reported about the last text message
// (delivered, or failed after it was sent).
func smsReport(ch *notification.Channel, texts []store.SMSDelivery) {
	if len(texts) == 0 {
		return
	}
	t := texts[len(texts)-1]
	switch t.Status {
	case store.SMSDelivered:
		ch.Status, ch.Tone = "Delivered", ui.ToneSuccess
		if t.DeliveredAt != nil {
			ch.At, ch.AtVerb = t.DeliveredAt, "Delivered"
		}
	case store.SMSFailed:
		ch.Status, ch.Tone = "Failed", ui.ToneDanger
		if t.ErrorMessage != nil && *t.ErrorMessage != "" {
			ch.Reason = *t.ErrorMessage
		}
	}
}

// parseNotificationFilter reads and checks the query string.
func parseNotificationFilter(c *fiber.Ctx) (notification.Filter, store.NotificationFilter) {
	f := notification.Filter{Type: c.Query("type"), Errors: notification.Errors{}}
	switch c.Query("unread") {
	case "", "0":
	case "1", "on", "true":
		f.Unread = true
	default:
		f.Errors[""] = "This filter is not valid. Start again from all notifications."
	}
	sf := store.NotificationFilter{UnreadOnly: f.Unread, Type: store.NotificationType(f.Type)}
	if f.Type != "" && !sf.Type.Valid() {
		f.Errors["type"] = "Choose one of the listed types."
		f.Type = ""
	}
	if b := c.Query("before"); b != "" {
		sf.Before = form.ParseCursor(f.Errors, b)
	}
	return f, sf
}

// MarkRead handles POST /notifications/:id/read: for htmx the row comes
// back read (and the bell is told to refresh); otherwise back to the page.
func (h *Notifications) MarkRead(c *fiber.Ctx) error {
	n, err := auth.Current(c).Account.MarkNotificationRead(c.UserContext(), c.Params("id"), time.Now())
	if err != nil {
		return err // another user's, or no such notification: 404
	}
	if render.IsPartial(c) {
		changed(c)
		return render.Page(c, fiber.StatusOK, notification.Row(item(n)))
	}
	return render.Redirect(c, "/notifications")
}

// ReadAll handles POST /notifications/read-all. From the bell's dropdown
// (htmx) the dropdown comes back, all read; from the page, back to it with
// a message.
func (h *Notifications) ReadAll(c *fiber.Ctx) error {
	n, err := auth.Current(c).Account.MarkAllNotificationsRead(c.UserContext(), time.Now())
	if err != nil {
		return err
	}
	if render.IsPartial(c) && c.Get("HX-Target") == "notification-dropdown" {
		m, err := h.latest(c)
		if err != nil {
			return err
		}
		changed(c)
		return render.Component(c, fiber.StatusOK, notification.LatestMenu(m))
	}
	switch n {
	case 0:
		render.Flash(c, layout.FlashInfo, "You had no unread notifications.")
	default:
		render.Flash(c, layout.FlashSuccess, "Marked "+plural(n, "notification", "notifications")+" read.")
	}
	return render.Redirect(c, "/notifications")
}

// Open handles GET /notifications/:id/open: the notification is marked read
// and the browser goes where it points, if that is a page of this site,
// else to the notifications page.
func (h *Notifications) Open(c *fiber.Ctx) error {
	n, err := auth.Current(c).Account.MarkNotificationRead(c.UserContext(), c.Params("id"), time.Now())
	if err != nil {
		return err
	}
	to := n.Metadata.Data().Link
	if !render.IsLocalPath(to) {
		to = "/notifications"
	}
	return render.Redirect(c, to)
}

// Preferences renders GET /notifications/preferences.
func (h *Notifications) Preferences(c *fiber.Ctx) error {
	m, err := h.preferences(c)
	if err != nil {
		return err
	}
	render.SetTitle(c, "Notification preferences")
	return render.Page(c, fiber.StatusOK, notification.PreferencesPage(m))
}

// preferences is the page's model from what is saved.
func (h *Notifications) preferences(c *fiber.Ctx) (notification.Preferences, error) {
	acc := auth.Current(c).Account
	prefs, err := acc.NotificationPreferences(c.UserContext())
	if err != nil {
		return notification.Preferences{}, err
	}
	s, err := acc.NotificationSettings(c.UserContext())
	if err != nil {
		return notification.Preferences{}, err
	}
	return notification.Preferences{Rows: preferenceRows(prefs), Digest: s.EmailDigest, QuietStart: s.QuietStart, QuietEnd: s.QuietEnd,
		Timezone: s.Timezone, Phone: s.Phone, SMSAvailable: h.SMSAvailable, Errors: notification.Errors{}}, nil
}

// SavePreferences handles POST /notifications/preferences: a checkbox per
// type and channel (in_app=<type>, email=<type>, sms=<type>; an unchecked
// box is absent), email_digest, quiet_start and quiet_end ("HH:MM", both or
// neither) and timezone (an IANA name, empty for UTC). Everything is
// checked first, each problem told next to its field, and saved in one
// transaction.
func (h *Notifications) SavePreferences(c *fiber.Ctx) error {
	acc := auth.Current(c).Account
	values := func(name string) []string {
		var out []string
		for _, v := range c.Context().PostArgs().PeekMulti(name) {
			out = append(out, string(v))
		}
		return out
	}
	inApp, email, sms := values("in_app"), values("email"), values("sms")
	if !h.SMSAvailable {
		sms = nil // the column is disabled: nothing to choose
	}
	save := make([]store.NotificationPreference, 0, len(store.NotificationTypes))
	for _, t := range store.NotificationTypes {
		save = append(save, store.NotificationPreference{NotificationType: t, InAppEnabled: slices.Contains(inApp, string(t)),
			EmailEnabled: slices.Contains(email, string(t)), SMSEnabled: slices.Contains(sms, string(t))})
	}
	current, err := acc.NotificationSettings(c.UserContext())
	if err != nil {
		return err
	}
	set := store.NotificationSettings{EmailDigest: c.FormValue("email_digest") != "",
		QuietStart: strings.TrimSpace(c.FormValue("quiet_start")), QuietEnd: strings.TrimSpace(c.FormValue("quiet_end")),
		Timezone: strings.TrimSpace(c.FormValue("timezone"))}
	m := notification.Preferences{Rows: preferenceRows(save), Digest: set.EmailDigest, QuietStart: set.QuietStart, QuietEnd: set.QuietEnd,
		Timezone: set.Timezone, Phone: current.Phone, SMSAvailable: h.SMSAvailable, Errors: notification.Errors{}}
	for _, v := range slices.Concat(inApp, email, sms) {
		if !store.NotificationType(v).Valid() {
			m.Errors[""] = "The form had a choice that does not exist. Check your choices and save again."
		}
	}
	if len(sms) > 0 && current.Phone == "" {
		m.Errors["sms"] = "Add your phone number on your account page before choosing text messages."
	}
	set.QuietStart, set.QuietEnd = checkQuietHours(m.Errors, set.QuietStart, set.QuietEnd)
	if !notify.ValidTimezone(set.Timezone) {
		m.Errors["timezone"] = "Enter a time zone name such as Europe/Paris or America/New_York, or leave it empty for UTC."
	}
	if len(m.Errors) > 0 {
		return h.preferencesForm(c, fiber.StatusUnprocessableEntity, m)
	}
	if err := acc.SaveNotifications(c.UserContext(), save, set); err != nil {
		return err
	}
	if render.IsPartial(c) {
		m, err := h.preferences(c)
		if err != nil {
			return err
		}
		m.Saved = true
		return h.preferencesForm(c, fiber.StatusOK, m)
	}
	render.Flash(c, layout.FlashSuccess, "Notification preferences saved.")
	return render.Redirect(c, "/notifications/preferences")
}

// checkQuietHours validates the quiet window: both times or neither, each
// a 24-hour "HH:MM" (a browser's time input may add ":SS", dropped), not
// the same. It returns the times to store.
func checkQuietHours(errs notification.Errors, start, end string) (string, string) {
	clock := func(field, v string) string {
		if len(v) == 8 && v[5] == ':' {
			v = v[:5]
		}
		if _, ok := notify.ClockMinutes(v); !ok {
			errs[field] = "Enter a time such as 22:00 (24-hour clock)."
		}
		return v
	}
	switch {
	case start == "" && end == "":
		return "", ""
	case start == "":
		errs["quiet_start"] = "Enter when your quiet hours start, or clear both times."
		return start, clock("quiet_end", end)
	case end == "":
		errs["quiet_end"] = "Enter when your quiet hours end, or clear both times."
		return clock("quiet_start", start), end
	}
	start, end = clock("quiet_start", start), clock("quiet_end", end)
	if errs["quiet_start"] == "" && errs["quiet_end"] == "" && start == end {
		errs["quiet_end"] = "The end must differ from the start."
	}
	return start, end
}

func (h *Notifications) preferencesForm(c *fiber.Ctx, status int, m notification.Preferences) error {
	render.SetTitle(c, "Notification preferences")
	if render.IsPartial(c) {
		return render.Page(c, status, notification.PreferencesForm(m))
	}
	return render.Page(c, status, notification.PreferencesPage(m))
}

func preferenceRows(prefs []store.NotificationPreference) []notification.PreferenceRow {
	rows := make([]notification.PreferenceRow, 0, len(prefs))
	for _, p := range prefs {
		rows = append(rows, notification.PreferenceRow{Type: string(p.NotificationType),
			InApp: p.InAppEnabled, Email: p.EmailEnabled, SMS: p.SMSEnabled, Push: p.PushEnabled})
	}
	return rows
}

func typeNames() []string {
	out := make([]string, len(store.NotificationTypes))
	for i, t := range store.NotificationTypes {
		out[i] = string(t)
	}
	return out
}

func items(ns []store.Notification) []notification.Item {
	out := make([]notification.Item, 0, len(ns))
	for i := range ns {
		out = append(out, item(&ns[i]))
	}
	return out
}

func item(n *store.Notification) notification.Item {
	return notification.Item{ID: n.ID, Type: string(n.Type), Title: n.Title, Message: n.Message, SentAt: n.SentAt,
		Unread: n.ReadAt == nil, HasLink: render.IsLocalPath(n.Metadata.Data().Link), Critical: n.Critical}
}
