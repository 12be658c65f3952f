// Package webtest runs the real application against a fresh database for
// handler tests: organizations and users in one line each, and a client
// that keeps cookies, sends the CSRF token like the layout does, and signs
// in through the real form.
//
//	env := webtest.New(t, store.SQLite)
//	org := env.Org("acme")
//	admin := env.User(store.RoleAdmin, org)
//	cl := env.Client()
//	cl.Login(admin)
//	res := cl.Get("/members")
package webtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/blob"
	"github.com/trustcred/trustcred/internal/config"
	"github.com/trustcred/trustcred/internal/did"
	"github.com/trustcred/trustcred/internal/events"
	"github.com/trustcred/trustcred/internal/jobs"
	"github.com/trustcred/trustcred/internal/mail"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/internal/verifylog"
	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
	"github.com/trustcred/trustcred/web"
)

// Password is every test user's password.
const Password = "correct horse battery staple 42"

// passwordHash is computed once: bcrypt at cost 12 is slow on purpose.
var passwordHash = func() string {
	h, err := password.Hash(Password)
	if err != nil {
		panic(err)
	}
	return h
}()

// Env is one application over one fresh database.
type Env struct {
	T          testing.TB
	DB         *store.DB
	App        *fiber.App
	Keys       *secret.Keyring
	Config     config.Config
	SetupToken string
	Log        *slog.Logger
	Mailer     mail.Mailer // nil: from Config.SMTPURL (the log mailer without one)
	Blobs      *blob.Disk  // uploaded files, in a temporary directory
	// VerificationLogs batches verification logs (flushed every 50 ms here);
	// Close it to write what is queued before counting rows.
	VerificationLogs *verifylog.Writer
	// Services are the app's long-lived services (web.NewServices, as
	// serve builds them): the issuer and verification service it runs.
	Services web.Services
	n        int
}

// Option changes the environment before the app is built.
type Option func(*Env)

// WithoutAdmin leaves the platform without a super_admin (first run).
func WithoutAdmin() Option { return func(e *Env) { e.SetupToken = "setup-token-for-tests" } }

// WithSMTP sends the application's email to a real SMTP server (a
// mailtest.Server's SMTPURL).
func WithSMTP(url string) Option { return func(e *Env) { e.Config.SMTPURL = url } }

// WithMailer sends the application's email through m (for example
// mail.Unconfigured{}, to see how the application copes without email).
func WithMailer(m mail.Mailer) Option { return func(e *Env) { e.Mailer = m } }

// WithConfig edits the configuration.
func WithConfig(f func(*config.Config)) Option { return func(e *Env) { f(&e.Config) } }

// New builds the application over a fresh database of dialect d. Unless
// WithoutAdmin is given, a platform super_admin exists (setup is done).
func New(t testing.TB, d store.Dialect, opts ...Option) *Env {
	t.Helper()
	keys, err := secret.NewKeyring(secret.Key{Raw: secret.GenerateKey()})
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{T: t, DB: storetest.Open(t, d), Keys: keys, Log: storetest.Logger(t),
		Config: config.Config{Addr: ":0", BaseURL: "http://localhost:8080", SessionIdle: time.Hour, SessionLifetime: 12 * time.Hour, PageCacheMB: 64}}
	for _, o := range opts {
		o(e)
	}
	if e.SetupToken == "" {
		e.User(store.RoleSuperAdmin, nil)
	}
	m, err := e.DB.Migrator(e.Log)
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(e.DB, e.Log, jobs.NewWorkers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	if e.Mailer == nil {
		if e.Mailer, err = mail.FromConfig(e.Config.SMTPURL, true, e.Log); err != nil {
			t.Fatal(err)
		}
	}
	if e.Blobs, err = blob.NewDisk(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Blobs.Close() })
	e.VerificationLogs = verifylog.New(e.DB, e.Log, verifylog.Options{Interval: 50 * time.Millisecond})
	t.Cleanup(func() { _ = e.VerificationLogs.Close(context.Background()) })
	e.Services = web.NewServices(e.Config, e.DB, keys, e.VerificationLogs, e.Log)
	e.Services.Publish(q)
	e.App = web.New(web.Deps{Config: e.Config, DB: e.DB, Migrator: m, Jobs: q, Keys: keys, Mailer: e.Mailer, Blobs: e.Blobs,
		Log: e.Log, SetupToken: e.SetupToken, Services: e.Services})
	return e
}

// Org creates an active organization with this slug.
func (e *Env) Org(slug string) *store.Organization {
	e.T.Helper()
	id, err := did.Web(e.Config.BaseURL, "orgs", slug)
	if err != nil {
		e.T.Fatal(err)
	}
	o := &store.Organization{Name: strings.ToUpper(slug[:1]) + slug[1:] + " Org", Slug: slug, Type: store.OrganizationCorporate,
		Status: store.OrganizationActive, DID: id}
	if err := e.DB.CreateOrganization(context.Background(), o, store.Actor{}); err != nil {
		e.T.Fatal(err)
	}
	return o
}

// User creates an active user with this role in org (nil: no organization)
// whose password is Password.
func (e *Env) User(role store.Role, org *store.Organization) *store.User {
	e.T.Helper()
	e.n++
	where := "platform"
	if org != nil {
		where = org.Slug
	}
	h := passwordHash
	u := &store.User{Email: fmt.Sprintf("%s%d@%s.example", role, e.n, where), Role: role, EmailVerified: true, PasswordHash: &h,
		Profile: datatypes.NewJSONType(store.UserProfile{DisplayName: fmt.Sprintf("%s %d", role, e.n)})}
	if org != nil {
		u.OrganizationID = &org.ID
	}
	if err := e.DB.CreateUser(context.Background(), u, store.Actor{}); err != nil {
		e.T.Fatal(err)
	}
	return u
}

// Client is one browser: it keeps cookies and the page's CSRF token.
type Client struct {
	env     *Env
	cookies map[string]string
	csrf    string
}

// Client returns a new browser with no cookies.
func (e *Env) Client() *Client { return &Client{env: e, cookies: map[string]string{}} }

// Response is what the client got.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Has reports whether the body contains an element with data-testid id.
func (r *Response) Has(id string) bool { return strings.Contains(r.Body, `data-testid="`+id+`"`) }

// Location is where a redirect points (Location or HX-Redirect).
func (r *Response) Location() string {
	if l := r.Header.Get("HX-Redirect"); l != "" {
		return l
	}
	return r.Header.Get("Location")
}

var csrfMeta = regexp.MustCompile(`name="csrf-token" content="([^"]*)"`)

// Do sends a request with the client's cookies, remembering new cookies
// and the CSRF token of any page it gets.
func (cl *Client) Do(method, target string, form url.Values, header map[string]string) *Response {
	cl.env.T.Helper()
	if form == nil {
		return cl.send(method, target, nil, "", header)
	}
	return cl.send(method, target, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", header)
}

// Raw sends a request with a body as it is (an API client's JSON), with the
// client's cookies and the given headers.
func (cl *Client) Raw(method, target, contentType string, body []byte, header map[string]string) *Response {
	cl.env.T.Helper()
	return cl.send(method, target, bytes.NewReader(body), contentType, header)
}

// Upload submits a multipart form (enctype="multipart/form-data") with one
// file and the CSRF token, as the page's upload form would.
func (cl *Client) Upload(target, field, filename string, content []byte) *Response {
	cl.env.T.Helper()
	return cl.UploadForm(target, nil, field, filename, content)
}

// UploadForm is Upload with other fields of the form beside the file.
func (cl *Client) UploadForm(target string, fields url.Values, field, filename string, content []byte) *Response {
	cl.env.T.Helper()
	if cl.csrf == "" {
		cl.Get("/login")
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("csrf_token", cl.csrf); err != nil {
		cl.env.T.Fatal(err)
	}
	for k, vs := range fields {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				cl.env.T.Fatal(err)
			}
		}
	}
	part, err := w.CreateFormFile(field, filename)
	if err != nil {
		cl.env.T.Fatal(err)
	}
	if _, err := part.Write(content); err != nil {
		cl.env.T.Fatal(err)
	}
	if err := w.Close(); err != nil {
		cl.env.T.Fatal(err)
	}
	return cl.send("POST", target, &buf, w.FormDataContentType(), nil)
}

func (cl *Client) send(method, target string, body io.Reader, contentType string, header map[string]string) *Response {
	cl.env.T.Helper()
	req := httptest.NewRequest(method, target, body)
	// TrustCred's own host (httptest's example.com would be an unknown host,
	// which custom domain routing answers with a plain 404); a test's Host
	// header replaces it.
	if u, err := url.Parse(cl.env.Config.BaseURL); err == nil && u.Host != "" {
		req.Host = u.Host
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		if k == "Host" { // the request's host (a custom domain), not a header
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	var jar []string
	for k, v := range cl.cookies {
		jar = append(jar, k+"="+v)
	}
	if len(jar) > 0 {
		req.Header.Set("Cookie", strings.Join(jar, "; "))
	}
	res, err := cl.env.App.Test(req, -1)
	if err != nil {
		cl.env.T.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		cl.env.T.Fatal(err)
	}
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(cl.cookies, c.Name)
		} else {
			cl.cookies[c.Name] = c.Value
		}
	}
	r := &Response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
	if m := csrfMeta.FindStringSubmatch(r.Body); m != nil && m[1] != "" {
		cl.csrf = m[1]
	}
	return r
}

// Get fetches a page.
func (cl *Client) Get(target string) *Response { return cl.Do("GET", target, nil, nil) }

// Post submits a form with the CSRF token, as the page's form would. The
// token comes from the last page fetched; one is fetched first if none.
func (cl *Client) Post(target string, form url.Values) *Response {
	cl.env.T.Helper()
	if cl.csrf == "" {
		cl.Get("/login")
	}
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", cl.csrf)
	return cl.Do("POST", target, form, nil)
}

// Htmx sends an htmx request (HX-Request and the CSRF header).
func (cl *Client) Htmx(method, target string, form url.Values) *Response {
	cl.env.T.Helper()
	if cl.csrf == "" {
		cl.Get("/login")
	}
	return cl.Do(method, target, form, map[string]string{"HX-Request": "true", "X-CSRF-Token": cl.csrf})
}

// Login signs u in through the sign-in form and fails the test otherwise.
func (cl *Client) Login(u *store.User) {
	cl.env.T.Helper()
	r := cl.Post("/login", url.Values{"email": {u.Email}, "password": {Password}})
	if r.Status != http.StatusSeeOther {
		cl.env.T.Fatalf("login %s: status %d\n%.400s", u.Email, r.Status, r.Body)
	}
	cl.Get("/") // pick up the new CSRF token
}

// Cookie returns the value of one of the client's cookies.
func (cl *Client) Cookie(name string) string { return cl.cookies[name] }

// SetCookie sets a cookie, as another page or an attacker could.
func (cl *Client) SetCookie(name, value string) { cl.cookies[name] = value }

// CSRF is the token the client currently holds.
func (cl *Client) CSRF() string { return cl.csrf }

// Each runs fn once per dialect, as subtests.
func Each(t *testing.T, fn func(t *testing.T, d store.Dialect)) {
	t.Helper()
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

// Serve runs the application on a loopback port (for a browser) until the
// test ends, and returns its base URL.
func (e *Env) Serve() string {
	e.T.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.T.Fatal(err)
	}
	go func() { _ = e.App.Listener(ln) }()
	e.T.Cleanup(func() { _ = e.App.Shutdown() })
	return "http://" + ln.Addr().String()
}

// Served is New with the application running on a loopback port (for a
// browser) until the test ends, and that port's URL as its base URL, so
// that the links it writes (emails, credentials, DIDs) lead back to it.
func Served(t testing.TB, d store.Dialect, opts ...Option) (*Env, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	e := New(t, d, append(opts, WithConfig(func(c *config.Config) { c.BaseURL = base }))...)
	go func() { _ = e.App.Listener(ln) }()
	t.Cleanup(func() { _ = e.App.Shutdown() })
	return e, base
}

// PoisonSubject is a credentialSubject of n identical blank nodes that all
// know each other: a "poison graph" whose RDFC-1.0 canonicalization takes
// exponential time unless refused.
func PoisonSubject(n int) map[string]any {
	var people []any
	for i := range n {
		var knows []any
		for j := range n {
			if j != i {
				knows = append(knows, map[string]any{"id": fmt.Sprintf("_:p%d", j)})
			}
		}
		people = append(people, map[string]any{"id": fmt.Sprintf("_:p%d", i), "https://schema.org/knows": knows})
	}
	return map[string]any{"type": "TrustCredSubject", "https://schema.org/knows": people}
}

// PublishedEvents are the events published so far (the event_fanout jobs
// waiting in the queue: the test app's queue works none), oldest first.
func (e *Env) PublishedEvents() []events.Event {
	e.T.Helper()
	out, err := events.Pending(context.Background(), e.DB)
	if err != nil {
		e.T.Fatal(err)
	}
	return out
}
