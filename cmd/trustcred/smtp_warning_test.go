package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustcred/trustcred/internal/demo"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/notify"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

// lockedBuffer is a log the server writes from many goroutines while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A production server without SMTP settings, with email waiting to go out
// (a notification's email delivery and a recipient's credential email),
// says once, at start, that email is not configured: its periodic jobs and
// the delivery that keeps looking whether email has been set up run many
// times (every second here, every minute to every quarter hour in
// production) without repeating it.
func TestNoSMTPWarnsOnceAtStart(t *testing.T) {
	dataDir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(dataDir, "trustcred.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	m, err := db.Migrator(storetest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	keys, err := secret.Load("", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	seeded, err := demo.Seed(ctx, db, keys, "http://localhost:8080")
	if err != nil {
		t.Fatal(err)
	}
	var adminPassword string
	for _, a := range seeded.Accounts {
		if a.Email == "admin@northfield.edu" {
			adminPassword = a.Password
		}
	}
	// Email waiting to be sent: a notification to a verified user whose
	// preference has email on (the default), and a credential's email to
	// its recipient.
	admin, err := db.UserByEmail(ctx, "admin@northfield.edu")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Notify(ctx, []string{admin.ID}, store.Notification{Type: store.NotifySystemAlert, Title: "Key rotation due",
		Message: "The signing key is a year old."}); err != nil {
		t.Fatal(err)
	}
	var pending int
	if err := db.SQL().QueryRow("SELECT count(*) FROM notification_deliveries WHERE channel = 'email' AND status = 'pending'").Scan(&pending); err != nil {
		t.Fatal(err)
	}
	if pending == 0 {
		t.Fatal("no email delivery pending: the test would prove nothing")
	}
	var credID, orgID string
	if err := db.SQL().QueryRow("SELECT id, issuer_id FROM credentials WHERE status = 'active' AND recipient_address LIKE '%@%' LIMIT 1").Scan(&credID, &orgID); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, storetest.Logger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := notify.EnqueueCredentialEmail(ctx, q, nil, credID, orgID); err != nil {
		t.Fatal(err)
	}

	jobPeriod = time.Second
	t.Cleanup(func() { jobPeriod = 0 })
	addr := freeAddr(t)
	env := map[string]string{"TRUSTCRED_ADDR": addr, "TRUSTCRED_DATA_DIR": dataDir, "TRUSTCRED_LOG_FORMAT": "json",
		"TRUSTCRED_LOG_LEVEL": "debug"}
	serveCtx, stop := context.WithCancel(ctx)
	var logs lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(serveCtx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &logs, &logs)
	}()
	t.Cleanup(func() {
		stop()
		<-done
	})

	// People ask for email too: an organization registers, someone asks
	// for a password reset, an admin invites a colleague. Each is told on
	// the page that no email went out (or, for the reset, told nothing);
	// none of it is news for the log.
	base := "http://" + addr
	waitReady(t, base+"/readyz", nil, &bytes.Buffer{})
	visitor := newBrowser(t, base)
	if body := visitor.post("/register", url.Values{"name": {"Offline Institute"}, "type": {"educational"}, "domain": {"offline.example"},
		"slug": {"offline-institute"}, "admin_name": {"Ada Lovelace"}, "email": {"ada@offline.example"},
		"password": {"a long enough passphrase 8"}, "confirm": {"a long enough passphrase 8"}}, 201); !strings.Contains(body, "email is not configured") {
		t.Errorf("the registration page does not say the email did not go out:\n%.1500s", body)
	}
	visitor.post("/password/forgot", url.Values{"email": {"admin@northfield.edu"}}, 200)
	admin2 := newBrowser(t, base)
	admin2.post("/login", url.Values{"email": {"admin@northfield.edu"}, "password": {adminPassword}}, 303)
	if body := admin2.post("/members/invite", url.Values{"email": {"grace@northfield.edu"}, "role": {"issuer"}}, 201); !strings.Contains(body, "/invitations/") {
		t.Errorf("the invitation page gives no link to copy:\n%.1500s", body)
	}

	// Until the delivery has looked for email five times and every periodic
	// job has run five times: a warning per job run or per minute would be
	// in the log several times by then.
	var snoozes, dispatches, digests, credentialEmails int
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case code := <-done:
			t.Fatalf("server exited with %d\n%s", code, logs.String())
		default:
		}
		err := db.SQL().QueryRow(`SELECT
			(SELECT coalesce(max(json_extract(metadata, '$.snoozes')), 0) FROM river_job WHERE kind = 'notification_delivery'),
			(SELECT count(*) FROM river_job WHERE kind = 'notification_dispatch' AND state = 'completed'),
			(SELECT count(*) FROM river_job WHERE kind = 'notification_digest' AND state = 'completed'),
			(SELECT count(*) FROM river_job WHERE kind = 'credential_email' AND state = 'completed')`).Scan(&snoozes, &dispatches, &digests, &credentialEmails)
		if err == nil && snoozes >= 5 && dispatches >= 5 && digests >= 5 && credentialEmails == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 90 s: %d snoozes, %d dispatches, %d digests, %d credential emails (%v)\n%s",
				snoozes, dispatches, digests, credentialEmails, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited with %d\n%s", code, logs.String())
	}
	done <- 0 // for the cleanup

	// Every line about email not being configured, at any level.
	about := regexp.MustCompile(`(?i)smtp|not configured|email is not|cannot be sent`)
	var said []string
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		var line struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			continue // the banner lines of serve, not log records
		}
		if about.MatchString(sc.Text()) {
			said = append(said, line.Level+" "+line.Msg)
		}
	}
	if len(said) != 1 || !strings.HasPrefix(said[0], "WARN no SMTP URL") {
		t.Fatalf("want one warning at start that email is not configured, got %d lines about it:\n%s", len(said), strings.Join(said, "\n"))
	}
	t.Logf("%d snoozes, %d dispatches, %d digests, %d credential emails; the log said once: %s", snoozes, dispatches, digests, credentialEmails, said[0])
}

// browser is an HTTP client with cookies that posts forms with the CSRF
// token of the page it got first.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// post gets the form's page for its CSRF token, posts form and checks the
// status (0: any below 400); it returns the answer's body.
func (b *browser) post(path string, form url.Values, want int) string {
	b.t.Helper()
	res, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		b.t.Fatalf("GET %s: %d, no CSRF token", path, res.StatusCode)
	}
	form.Set("csrf_token", string(m[1]))
	res, err = b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if want != 0 && res.StatusCode != want || want == 0 && res.StatusCode >= 400 {
		b.t.Fatalf("POST %s: %d, want %d\n%.1500s", path, res.StatusCode, want, body)
	}
	return string(body)
}
