package web_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/webtest"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// notifyUser gives u one notification and returns its id.
func notifyUser(t *testing.T, env *webtest.Env, u *store.User, typ store.NotificationType, title, link string, at time.Time) string {
	t.Helper()
	n := store.Notification{Type: typ, Title: title, Message: "About " + title, SentAt: at,
		Metadata: datatypes.NewJSONType(store.NotificationMetadata{Link: link})}
	if created, err := env.DB.Notify(context.Background(), []string{u.ID}, n); err != nil || created != 1 {
		t.Fatalf("notify: %d %v", created, err)
	}
	var id string
	if err := env.DB.SQL().QueryRow(storetest.Rebind(env.DB.Dialect(), "SELECT id FROM notifications WHERE user_id = ? AND title = ?"), u.ID, title).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func unreadOf(t *testing.T, env *webtest.Env, u *store.User) int64 {
	t.Helper()
	n, err := env.DB.Account(u.ID).UnreadNotifications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var testIDs = regexp.MustCompile(`data-testid="notification-latest-item"`)

// The bell: in the layout for signed-in users only, polling for its count;
// the count partial alone (no-store, label with the count, no "load" so it
// does not loop); the dropdown of the latest five with "mark all read".
func TestNotificationBellAndDropdown(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		u, other := env.User(store.RoleIssuer, org), env.User(store.RoleIssuer, org)
		base := time.Now().Add(-time.Hour)
		for i := range 7 {
			notifyUser(t, env, u, store.NotifySystemAlert, fmt.Sprintf("Event %d", i), "", base.Add(time.Duration(i)*time.Minute))
		}
		notifyUser(t, env, other, store.NotifySystemAlert, "Not yours", "", base)

		anon := env.Client()
		if r := anon.Get("/"); r.Has("notification-bell") {
			t.Fatal("an anonymous visitor sees the bell")
		}
		cl := env.Client()
		cl.Login(u)
		page := cl.Get("/account")
		if !page.Has("notification-bell") || !page.Has("notification-menu") ||
			!strings.Contains(page.Body, `hx-trigger="load, every 30s, notifications-changed from:body"`) ||
			!strings.Contains(page.Body, `hx-get="/notifications/latest"`) {
			t.Fatalf("layout without the bell and its menu:\n%.3000s", page.Body)
		}

		r := cl.Htmx("GET", "/notifications/count", nil)
		if r.Status != 200 || r.Header.Get("Cache-Control") != "no-store" || r.Has("app") || !r.Has("notification-bell") {
			t.Fatalf("count: %d %q\n%s", r.Status, r.Header.Get("Cache-Control"), r.Body)
		}
		if !strings.Contains(r.Body, `aria-label="Notifications: 7 unread"`) || !strings.Contains(r.Body, `data-testid="notification-count" aria-hidden="true">7<`) {
			t.Fatalf("count partial:\n%s", r.Body)
		}
		if strings.Contains(r.Body, "load,") || !strings.Contains(r.Body, `hx-trigger="every 30s, notifications-changed from:body"`) {
			t.Fatalf("the swapped-in bell must poll without asking again on load:\n%s", r.Body)
		}

		r = cl.Htmx("GET", "/notifications/latest", nil)
		if r.Status != 200 || r.Header.Get("Cache-Control") != "no-store" || !r.Has("notification-latest") || r.Has("app") {
			t.Fatalf("latest: %d\n%s", r.Status, r.Body)
		}
		if n := len(testIDs.FindAllString(r.Body, -1)); n != 5 {
			t.Fatalf("dropdown shows %d notifications, want the latest 5", n)
		}
		if !strings.Contains(r.Body, "Event 6") || strings.Contains(r.Body, "Event 1<") || strings.Contains(r.Body, "Not yours") || !r.Has("notification-read-all") {
			t.Fatalf("dropdown content:\n%s", r.Body)
		}

		// Mark all read from the dropdown: the dropdown comes back, all
		// read, and the bell is told to refresh.
		r = cl.Do("POST", "/notifications/read-all", nil, map[string]string{"HX-Request": "true", "HX-Target": "notification-dropdown", "X-CSRF-Token": cl.CSRF()})
		if r.Status != 200 || !r.Has("notification-latest") || r.Has("notification-read-all") || r.Header.Get("HX-Trigger") != "notifications-changed" {
			t.Fatalf("read all from the dropdown: %d %v\n%s", r.Status, r.Header, r.Body)
		}
		if unreadOf(t, env, u) != 0 || unreadOf(t, env, other) != 1 {
			t.Fatal("read all did not read exactly the user's notifications")
		}
		r = cl.Htmx("GET", "/notifications/count", nil)
		if !strings.Contains(r.Body, `aria-label="Notifications: none unread"`) || r.Has("notification-count") {
			t.Fatalf("count after read all:\n%s", r.Body)
		}

		// Without notifications the dropdown says so.
		fresh := env.Client()
		fresh.Login(env.User(store.RoleRecipient, org))
		if r := fresh.Htmx("GET", "/notifications/latest", nil); !r.Has("notification-latest-empty") {
			t.Fatalf("empty dropdown:\n%s", r.Body)
		}
	})
}

// The bell's poll is background work: it does not keep the session from
// going idle, and once the session has ended it sends the page (not the
// partial) to sign-in.
func TestNotificationPollIsNotActivity(t *testing.T) {
	env := webtest.New(t, store.SQLite)
	u := env.User(store.RoleRecipient, env.Org("acme"))
	cl := env.Client()
	cl.Login(u)
	old := time.Now().Add(-10 * time.Minute).UTC()
	if _, err := env.DB.SQL().Exec("UPDATE user_sessions SET last_seen_at = ? WHERE user_id = ?", old, u.ID); err != nil {
		t.Fatal(err)
	}
	seen := func() time.Time {
		ss, err := env.DB.Account(u.ID).Sessions(context.Background(), time.Now(), 24*time.Hour)
		if err != nil || len(ss) != 1 || ss[0].LastSeenAt == nil {
			t.Fatalf("sessions: %v %v", ss, err)
		}
		return *ss[0].LastSeenAt
	}
	if r := cl.Do("GET", "/notifications/count", nil, map[string]string{"HX-Request": "true", "X-Background": "1"}); r.Status != 200 {
		t.Fatalf("poll: %d", r.Status)
	}
	if got := seen(); got.Sub(old).Abs() > time.Second {
		t.Fatalf("the poll recorded use: last seen %v, was %v", got, old)
	}
	cl.Get("/notifications")
	if got := seen(); time.Since(got) > time.Minute {
		t.Fatalf("a page view did not record use: last seen %v", got)
	}

	anon := env.Client()
	anon.Get("/login")
	r := anon.Do("GET", "/notifications/count", nil, map[string]string{"HX-Request": "true", "X-Background": "1",
		"HX-Current-URL": "http://localhost:8080/members?q=x"})
	if r.Header.Get("HX-Redirect") != "/login?next="+url.QueryEscape("/members?q=x") {
		t.Fatalf("signed-out poll: %d %q", r.Status, r.Header.Get("HX-Redirect"))
	}
}

// The page: newest first, 20 a page with keyset links, the unread and type
// filters (htmx swaps the results alone), bad filters refused next to the
// field, and only the user's own notifications.
func TestNotificationsPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		u, other := env.User(store.RoleVerifier, org), env.User(store.RoleVerifier, org)
		base := time.Now().Add(-24 * time.Hour)
		for i := range 25 {
			typ := store.NotifySystemAlert
			if i%5 == 0 {
				typ = store.NotifyCredentialIssued
			}
			notifyUser(t, env, u, typ, fmt.Sprintf("Event %02d", i), "", base.Add(time.Duration(i)*time.Minute))
		}
		notifyUser(t, env, other, store.NotifyCredentialIssued, "Not yours", "", base)
		if _, err := env.DB.SQL().Exec("UPDATE notifications SET read_at = sent_at WHERE title IN ('Event 24', 'Event 23')"); err != nil {
			t.Fatal(err)
		}
		cl := env.Client()
		cl.Login(u)

		rows := regexp.MustCompile(`data-testid="notification-row"`)
		r := cl.Get("/notifications")
		if r.Status != 200 || !r.Has("notifications-page") || !r.Has("notifications-read-all") || strings.Contains(r.Body, "Not yours") {
			t.Fatalf("page: %d", r.Status)
		}
		if n := len(rows.FindAllString(r.Body, -1)); n != 20 || !strings.Contains(r.Body, "Event 24") || strings.Contains(r.Body, "Event 04") {
			t.Fatalf("first page: %d rows", n)
		}
		if strings.Index(r.Body, "Event 24") > strings.Index(r.Body, "Event 20") {
			t.Fatal("not newest first")
		}
		older := regexp.MustCompile(`data-testid="notifications-older"`).FindStringIndex(r.Body)
		href := regexp.MustCompile(`href="(/notifications\?before=[^"]+)"`).FindStringSubmatch(r.Body)
		if older == nil || href == nil {
			t.Fatal("no link to older notifications")
		}
		r = cl.Get(strings.ReplaceAll(href[1], "&amp;", "&"))
		if n := len(rows.FindAllString(r.Body, -1)); n != 5 || !strings.Contains(r.Body, "Event 04") || strings.Contains(r.Body, "Event 05") ||
			!r.Has("notifications-newest") || r.Has("notifications-older") {
			t.Fatalf("second page: %d rows\n%.2000s", n, r.Body)
		}

		// Filters, as htmx sends them on change: only the results.
		r = cl.Do("GET", "/notifications?type=credential_issued&unread=1", nil, map[string]string{"HX-Request": "true", "HX-Target": "notification-results"})
		if r.Status != 200 || !r.Has("notification-results") || r.Has("notifications-page") {
			t.Fatalf("filtered partial: %d", r.Status)
		}
		if n := len(rows.FindAllString(r.Body, -1)); n != 5 || strings.Contains(r.Body, "Not yours") {
			t.Fatalf("credential_issued unread: %d rows", n)
		}
		r = cl.Get("/notifications?unread=1")
		if n := len(rows.FindAllString(r.Body, -1)); n != 20 || strings.Contains(r.Body, "Event 24") || strings.Contains(r.Body, "Event 23") {
			t.Fatalf("unread only: %d rows", n)
		}
		if !strings.Contains(r.Body, `name="unread" value="1" checked`) {
			t.Fatal("the unread box is not kept checked")
		}
		r = cl.Get("/notifications?type=credential_issued&unread=1&before=" + store.Cursor{At: time.Now().UTC(), ID: "0190a0a0-0000-7000-8000-000000000000"}.String())
		if n := len(rows.FindAllString(r.Body, -1)); n != 5 {
			t.Fatalf("filtered with a cursor: %d rows", n)
		}

		for _, bad := range []struct{ query, testid string }{
			{"type=spam", "error-type"},
			{"unread=maybe", "form-error"},
			{"before=yesterday", "form-error"},
			{"type=" + url.QueryEscape("system_alert' OR 1=1 --"), "error-type"},
		} {
			r := cl.Get("/notifications?" + bad.query)
			if r.Status != 422 || !r.Has(bad.testid) || r.Has("notification-row") {
				t.Errorf("%s: %d, has %s: %v", bad.query, r.Status, bad.testid, r.Has(bad.testid))
			}
		}

		// A bad filter through htmx: the message is in the swapped results.
		r = cl.Do("GET", "/notifications?type=spam", nil, map[string]string{"HX-Request": "true", "HX-Target": "notification-results"})
		if r.Status != 422 || !r.Has("form-error") || !r.Has("notification-results") {
			t.Errorf("bad filter (htmx): %d\n%s", r.Status, r.Body)
		}

		// Mark all read from the page: back to it with a message.
		r = cl.Post("/notifications/read-all", nil)
		if r.Status != 303 || r.Location() != "/notifications" {
			t.Fatalf("read all: %d %s", r.Status, r.Location())
		}
		if unreadOf(t, env, u) != 0 || unreadOf(t, env, other) != 1 {
			t.Fatal("read all read the wrong notifications")
		}
		if r = cl.Get("/notifications"); !r.Has("flash-success") || r.Has("notifications-read-all") {
			t.Fatal("no message after read all, or the button stayed")
		}
		if r = cl.Get("/notifications?unread=1"); !r.Has("notifications-empty") {
			t.Fatal("unread filter after read all is not empty")
		}
	})
}

// "Mark read" swaps the row; opening follows only local links; another
// user's notification is 404 either way.
func TestNotificationMarkReadAndOpen(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		org := env.Org("acme")
		u, other := env.User(store.RoleReviewer, org), env.User(store.RoleReviewer, org)
		at := time.Now().Add(-time.Hour)
		plain := notifyUser(t, env, u, store.NotifySystemAlert, "Plain", "", at)
		local := notifyUser(t, env, u, store.NotifyApprovalRequested, "Local", "/account/sessions?x=1", at)
		theirs := notifyUser(t, env, other, store.NotifySystemAlert, "Theirs", "/account", at)
		cl := env.Client()
		cl.Login(u)

		r := cl.Htmx("POST", "/notifications/"+plain+"/read", nil)
		if r.Status != 200 || !r.Has("notification-row") || !r.Has("notification-read") || r.Has("notification-mark-read") ||
			r.Has("app") || r.Header.Get("HX-Trigger") != "notifications-changed" || !strings.Contains(r.Body, plain) {
			t.Fatalf("mark read (htmx): %d %v\n%s", r.Status, r.Header, r.Body)
		}
		if !strings.HasPrefix(strings.TrimSpace(r.Body), "<tr") {
			t.Fatalf("the response is not the row:\n%s", r.Body)
		}
		if unreadOf(t, env, u) != 1 {
			t.Fatal("not marked read")
		}
		// Again: still fine (it stays read).
		if r := cl.Post("/notifications/"+plain+"/read", nil); r.Status != 303 || r.Location() != "/notifications" {
			t.Fatalf("mark read (form): %d %s", r.Status, r.Location())
		}
		for _, id := range []string{theirs, "not-an-id", "0190a0a0-0000-7000-8000-000000000000"} {
			if r := cl.Htmx("POST", "/notifications/"+id+"/read", nil); r.Status != 404 {
				t.Errorf("mark read %s: %d, want 404", id, r.Status)
			}
			if r := cl.Get("/notifications/" + id + "/open"); r.Status != 404 {
				t.Errorf("open %s: %d, want 404", id, r.Status)
			}
		}
		if unreadOf(t, env, other) != 1 {
			t.Fatal("another user's notification was marked read")
		}

		page := cl.Get("/notifications")
		if !strings.Contains(page.Body, `href="/notifications/`+local+`/open"`) || strings.Contains(page.Body, `href="/notifications/`+plain+`/open"`) {
			t.Fatal("the page links to the wrong notifications")
		}
		r = cl.Get("/notifications/" + local + "/open")
		if r.Status != 303 || r.Location() != "/account/sessions?x=1" {
			t.Fatalf("open local: %d %q", r.Status, r.Location())
		}
		if unreadOf(t, env, u) != 0 {
			t.Fatal("opening did not mark it read")
		}
		r = cl.Get("/notifications/" + plain + "/open")
		if r.Status != 303 || r.Location() != "/notifications" {
			t.Fatalf("open without a link: %d %q", r.Status, r.Location())
		}

		// Links that leave the site (stored by a bug or an old row) go to
		// the notifications page instead.
		for i, link := range []string{"https://evil.example/", "//evil.example/x", `/\evil.example`, "javascript:alert(1)", "evil.example"} {
			id := notifyUser(t, env, u, store.NotifySystemAlert, fmt.Sprintf("Away %d", i), link, at)
			r := cl.Get("/notifications/" + id + "/open")
			if r.Status != 303 || r.Location() != "/notifications" {
				t.Errorf("open %q: %d %q", link, r.Status, r.Location())
			}
			if strings.Contains(cl.Get("/notifications").Body, `href="/notifications/`+id+`/open"`) {
				t.Errorf("the page links %q", link)
			}
		}
	})
}

// Preferences: defaults shown, SMS and push disabled, a save writes one row
// per type (htmx re-renders the form; without htmx back to the page), and a
// choice that does not exist is refused without writing anything.
func TestNotificationPreferencesPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, d store.Dialect) {
		env := webtest.New(t, d)
		u := env.User(store.RoleAdmin, env.Org("acme"))
		cl := env.Client()
		cl.Login(u)

		r := cl.Get("/notifications/preferences")
		if r.Status != 200 || !r.Has("notification-preferences-form") {
			t.Fatalf("preferences: %d", r.Status)
		}
		checkbox := func(body, name, typ string) (checked, disabled bool) {
			re := regexp.MustCompile(`<input[^>]*data-testid="pref-` + name + `-` + typ + `"[^>]*>`)
			tag := re.FindString(body)
			if tag == "" {
				t.Fatalf("no %s checkbox for %s", name, typ)
			}
			attr := func(a string) bool { return regexp.MustCompile(` ` + a + `[ />]`).MatchString(tag) }
			return attr("checked"), attr("disabled")
		}
		for _, typ := range store.NotificationTypes {
			for name, want := range map[string][2]bool{"in_app": {true, false}, "email": {true, false}, "sms": {false, true}} {
				if c, dis := checkbox(r.Body, name, string(typ)); c != want[0] || dis != want[1] {
					t.Errorf("default %s/%s: checked %v disabled %v", typ, name, c, dis)
				}
			}
		}
		if !r.Has("sms-unavailable") {
			t.Error("SMS is not marked as unavailable (not set up here)")
		}
		rowCount := func() int {
			return count(t, env, "SELECT count(*) FROM notification_preferences WHERE user_id = '"+u.ID+"'")
		}
		if rowCount() != 0 {
			t.Fatal("viewing wrote preferences")
		}

		form := url.Values{"in_app": {"credential_issued", "approval_requested"}, "email": {"system_alert", "approval_requested"}}
		r = cl.Post("/notifications/preferences", form)
		if r.Status != 303 || r.Location() != "/notifications/preferences" {
			t.Fatalf("save: %d %s", r.Status, r.Location())
		}
		if rowCount() != 6 {
			t.Fatalf("%d preference rows, want 6", rowCount())
		}
		r = cl.Get("/notifications/preferences")
		if !r.Has("flash-success") {
			t.Error("no message after saving")
		}
		for typ, want := range map[string][2]bool{"credential_issued": {true, false}, "approval_requested": {true, true}, "system_alert": {false, true}, "verification_request": {false, false}} {
			inApp, _ := checkbox(r.Body, "in_app", typ)
			email, _ := checkbox(r.Body, "email", typ)
			if inApp != want[0] || email != want[1] {
				t.Errorf("saved %s: in-app %v email %v, want %v", typ, inApp, email, want)
			}
		}

		// htmx: the form comes back in place, saved.
		form = url.Values{"in_app": {"system_alert"}, "email": {"system_alert"}}
		r = cl.Htmx("POST", "/notifications/preferences", form)
		if r.Status != 200 || !r.Has("notification-preferences-form") || !r.Has("notification-preferences-saved") || r.Has("notification-preferences-page") {
			t.Fatalf("htmx save: %d\n%.1500s", r.Status, r.Body)
		}
		if c, _ := checkbox(r.Body, "in_app", "credential_issued"); c {
			t.Error("the re-rendered form does not show the saved choices")
		}
		if rowCount() != 6 || count(t, env, "SELECT count(*) FROM notification_preferences WHERE user_id = '"+u.ID+"' AND in_app_enabled = true") != 1 {
			t.Fatal("htmx save did not update the rows in place")
		}

		// A choice that does not exist: 422, nothing written.
		r = cl.Htmx("POST", "/notifications/preferences", url.Values{"in_app": {"spam", "credential_issued"}})
		if r.Status != 422 || !r.Has("form-error") {
			t.Fatalf("bad choice: %d", r.Status)
		}
		if count(t, env, "SELECT count(*) FROM notification_preferences WHERE user_id = '"+u.ID+"' AND in_app_enabled = true") != 1 {
			t.Fatal("a refused save wrote rows")
		}

		// The preferences take effect: in-app off for credential_issued.
		if n, err := env.DB.Notify(context.Background(), []string{u.ID}, store.Notification{Type: store.NotifyCredentialIssued, Title: "t", Message: "m"}); err != nil || n != 0 {
			t.Fatalf("Notify after turning in-app off: %d %v", n, err)
		}
	})
}
