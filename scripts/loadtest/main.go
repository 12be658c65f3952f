// Command loadtest measures the public verification paths on PostgreSQL
// (or, with -sqlite, on the embedded default):
// it seeds N signed credentials in bulk (not one API call each), starts
// the real server on loopback with rate limiting off, and drives
// GET /v/{public_id} over random ids (as fast as the server answers, then
// at a fixed rate, 5,000 req/s by default, for the latency at that load)
// and POST /api/v1/credentials/verify with vegeta for a bounded time, then
// reports requests/s, p50/p99, errors, the server's peak RSS, and the
// verification logs written (after a graceful shutdown, which flushes
// them). -profile DIR also saves the server's CPU profile and execution
// trace of the warm-up (the cold path), the fixed-rate page run and the
// API run.
//
//	cd scripts/loadtest && GOTOOLCHAIN=go1.27.3 go run . -n 100000 -duration 10s
//
// It is a module of its own (go.mod beside this file, the repository's
// packages through a replace directive) so that vegeta and its
// dependencies stay out of the server's module graph; `go vet ./...` and
// `go test ./...` at the root skip it, scripts/test.sh builds and vets it.
package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	vegeta "github.com/tsenart/vegeta/v12/lib"
	"gorm.io/datatypes"

	"github.com/trustcred/trustcred/internal/credschema"
	"github.com/trustcred/trustcred/internal/issuance"
	"github.com/trustcred/trustcred/internal/password"
	"github.com/trustcred/trustcred/internal/secret"
	"github.com/trustcred/trustcred/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type options struct {
	adminURL    string
	dbName      string
	n           int
	duration    time.Duration
	connections int
	keep        bool
	only        string
	warm        bool
	rate        int
	profile     string
	cacheMB     int
	sqlite      bool
}

func run() error {
	var o options
	flag.StringVar(&o.adminURL, "postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server to create the load test database on")
	flag.StringVar(&o.dbName, "db", "trustcred_load", "database to (re)create")
	flag.IntVar(&o.n, "n", 100_000, "credentials to seed")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long to drive each endpoint")
	flag.IntVar(&o.connections, "connections", 64, "concurrent connections")
	flag.BoolVar(&o.keep, "keep", false, "keep the database afterwards")
	flag.StringVar(&o.only, "only", "", "page or api: drive only that endpoint")
	flag.BoolVar(&o.warm, "warm", true, "request every page once before measuring the page")
	flag.IntVar(&o.rate, "rate", 5000, "after the run as fast as the server answers, drive the page again at this many requests per second, for its latency at that load (0: skip)")
	flag.StringVar(&o.profile, "profile", "", "directory to write the server's CPU profiles and execution traces of the fixed-rate page run and the API run to")
	flag.IntVar(&o.cacheMB, "page-cache-mb", 1024, "the server's TRUSTCRED_PAGE_CACHE_MB (about 5 KB a page: 1024 keeps 100,000 ready)")
	flag.BoolVar(&o.sqlite, "sqlite", false, "use the embedded SQLite database (the default a newcomer runs) instead of PostgreSQL")
	flag.Parse()
	if o.connections < 1 {
		return fmt.Errorf("-connections must be at least 1, not %d", o.connections)
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	dir, err := os.MkdirTemp("", "trustcred-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The server's database: a PostgreSQL database made for the run, or
	// the SQLite file in its data directory.
	opts := store.Options{SQLitePath: filepath.Join(dir, "trustcred.db"), Logger: log}
	if !o.sqlite {
		if opts.DatabaseURL, err = recreate(ctx, o.adminURL, o.dbName); err != nil {
			return err
		}
		if !o.keep {
			defer drop(o.adminURL, o.dbName)
		}
	}
	db, err := store.Open(ctx, opts)
	if err != nil {
		return err
	}
	m, err := db.Migrator(log)
	if err != nil {
		return err
	}
	if err := m.Up(ctx); err != nil {
		return err
	}
	raw := secret.GenerateKey()
	keys, err := secret.NewKeyring(secret.Key{Raw: raw})
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	start := time.Now()
	ids, docs, err := seed(ctx, db, keys, base, o.n)
	if err != nil {
		return err
	}
	fmt.Printf("seeded %d credentials in %s (%.0f/s)\n", o.n, time.Since(start).Round(time.Millisecond), float64(o.n)/time.Since(start).Seconds())
	_ = db.Close()

	bin := filepath.Join(dir, "trustcred")
	// The script is its own module (vegeta stays out of the server's
	// go.mod); the server is built in the repository's module, the one its
	// replace directive points at, so that it is the binary `make build` makes.
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/trustcred/trustcred").Output()
	if err != nil {
		return fmt.Errorf("find the repository: %w", err)
	}
	build := exec.Command("go", "build", "-o", bin, "./cmd/trustcred") // #nosec G204 -- builds this repository's server into the run's temporary folder
	build.Dir = strings.TrimSpace(string(root))
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	srv := exec.Command(bin, "serve") // #nosec G204 -- the server binary built just above
	srv.Env = append(os.Environ(), "TRUSTCRED_DATABASE_URL="+opts.DatabaseURL, fmt.Sprintf("TRUSTCRED_ADDR=127.0.0.1:%d", port),
		"TRUSTCRED_BASE_URL="+base, "TRUSTCRED_DATA_DIR="+dir, "TRUSTCRED_PUBLIC_RATE_LIMIT=0", "TRUSTCRED_LOG_LEVEL=error", fmt.Sprintf("TRUSTCRED_PAGE_CACHE_MB=%d", o.cacheMB),
		"TRUSTCRED_MASTER_KEY="+base64.StdEncoding.EncodeToString(raw))
	var debugBase string
	if o.profile != "" {
		dport, err := freePort()
		if err != nil {
			return err
		}
		debugBase = fmt.Sprintf("http://127.0.0.1:%d/debug/pprof", dport)
		srv.Env = append(srv.Env, fmt.Sprintf("TRUSTCRED_DEBUG_ADDR=127.0.0.1:%d", dport))
		if err := os.MkdirAll(o.profile, 0o750); err != nil {
			return err
		}
	}
	srv.Stdout, srv.Stderr = os.Stdout, os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Process.Kill()
	if err := waitReady(base); err != nil {
		return err
	}

	// The ceiling with this tool on this machine: a route that does nothing.
	ceiling := o
	ceiling.rate = 0
	ceilingM := attack(ceiling, func(t *vegeta.Target) error {
		t.Method, t.URL = http.MethodGet, base+"/healthz"
		return nil
	})
	report("GET /healthz (ceiling: no database, no logging)", ceilingM)
	if o.only != "api" && o.warm {
		// Every page once: the cold path (verify, render, cache), as a
		// production server's cache is warm for credentials people look at.
		var next atomic.Int64
		start := time.Now()
		profiled := profile(debugBase, o.profile, "cold", 10*time.Second) // the warm-up's first 10 s
		m := attackN(o, len(ids), func(t *vegeta.Target) error {
			t.Method, t.URL = http.MethodGet, base+"/v/"+ids[int(next.Add(1)-1)%len(ids)]
			t.Header = browser
			return nil
		})
		report(fmt.Sprintf("warm-up, each of the %d pages once (cold path)", len(ids)), m)
		fmt.Printf("  warm-up took %s\n", time.Since(start).Round(time.Millisecond))
		if err := profiled(); err != nil {
			return err
		}
	}
	if o.only != "api" {
		page := func(t *vegeta.Target) error {
			// #nosec G404 -- picks which page to load, not a secret
			t.Method, t.URL = http.MethodGet, base+"/v/"+ids[rand.IntN(len(ids))]
			t.Header = browser // as browsers ask: gzip accepted
			return nil
		}
		fast := o
		fast.rate = 0
		report(fmt.Sprintf("GET /v/{id}, as fast as answered (%d connections)", o.connections), attack(fast, page))
		if o.rate > 0 {
			// The latency figure: a fixed offered load, as real visitors
			// arrive, rather than connections that wait for each other.
			profiled := profile(debugBase, o.profile, "page", o.duration)
			report(fmt.Sprintf("GET /v/{id} at %d req/s", o.rate), attack(o, page))
			if err := profiled(); err != nil {
				return err
			}
		}
	}
	if o.only != "page" {
		fast := o
		fast.rate = 0
		profiled := profile(debugBase, o.profile, "api", o.duration)
		api := attack(fast, func(t *vegeta.Target) error {
			t.Method, t.URL = http.MethodPost, base+"/api/v1/credentials/verify"
			t.Body = docs[rand.IntN(len(docs))] // #nosec G404 -- picks which document to send, not a secret
			t.Header = http.Header{"Content-Type": []string{"application/json"}}
			return nil
		})
		report("POST /api/v1/credentials/verify, as fast as answered", api)
		// The machine is shared: the figure that travels is the ratio to
		// the ceiling measured in the same run (issue 15's goal: 1/8).
		if api.Throughput > 0 {
			fmt.Printf("  verify API / healthz ceiling: 1/%.1f\n", ceilingM.Throughput/api.Throughput)
		}
		if err := profiled(); err != nil {
			return err
		}
	}
	rss := peakRSS(srv.Process.Pid)
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	if err := srv.Wait(); err != nil {
		return fmt.Errorf("server did not exit cleanly: %w", err)
	}
	fmt.Printf("server peak RSS: %s\n", rss)
	after, err := store.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer after.Close()
	var logs int
	if err := after.SQL().QueryRowContext(ctx, "SELECT count(*) FROM verification_logs").Scan(&logs); err != nil {
		return err
	}
	fmt.Printf("verification logs written: %d\n", logs)
	return nil
}

// seed makes an active organization with a super admin (so the server is
// past first-run setup), a schema and template, and n credentials.
func seed(ctx context.Context, db *store.DB, keys *secret.Keyring, base string, n int) ([]string, [][]byte, error) {
	is := &issuance.Issuer{DB: db, Keys: keys, BaseURL: base}
	fields := []store.SchemaField{{Name: "degree", Label: "Degree", Type: store.SchemaFieldText, Required: true},
		{Name: "conferred", Label: "Conferred", Type: store.SchemaFieldDate, Required: true}}
	def, err := credschema.Build("Degree", fields)
	if err != nil {
		return nil, nil, err
	}
	var tpl *store.CredentialTemplate
	var org *store.Organization
	err = db.Seed(ctx, func(create func(any) error) error {
		org = &store.Organization{Name: "Load Test University", Slug: "load-test-university", Type: store.OrganizationEducational,
			Status: store.OrganizationActive, DID: "did:web:load.test:orgs:load-test-university"}
		if err := create(org); err != nil {
			return err
		}
		cs := &store.CredentialSchema{Name: "Degree", Version: "1", OrganizationID: org.ID, Active: true,
			Fields: datatypes.NewJSONSlice(fields), SchemaDefinition: datatypes.JSON(def)}
		if err := create(cs); err != nil {
			return err
		}
		tpl = &store.CredentialTemplate{Name: "BSc Physics", OrganizationID: org.ID, SchemaID: cs.ID, Active: true,
			TemplateData: datatypes.NewJSONType(store.TemplateData{Kind: store.TemplateDiploma, ValidityDays: 3650})}
		if err := create(tpl); err != nil {
			return err
		}
		tpl.Schema = cs
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	hash, err := password.Hash(password.Random(20))
	if err != nil {
		return nil, nil, err
	}
	if err := db.CreateFirstAdmin(ctx, &store.User{Email: "operator@load.test", Role: store.RoleSuperAdmin, PasswordHash: &hash}, store.Actor{}); err != nil {
		return nil, nil, err
	}
	sc := db.Scoped(org.ID)
	var ids []string
	var docs [][]byte
	for done := 0; done < n; {
		chunk := min(10_000, n-done)
		reqs := make([]issuance.Request, chunk)
		for i := range reqs {
			k := done + i
			reqs[i] = issuance.Request{Template: tpl, RecipientName: fmt.Sprintf("Student %d", k),
				RecipientAddress: fmt.Sprintf("student%d@load.test", k), Data: map[string]any{"degree": "BSc Physics", "conferred": "2026-06-30"}}
		}
		creds, err := is.IssueMany(ctx, sc, reqs, store.Actor{UserAgent: "loadtest"})
		if err != nil {
			return nil, nil, err
		}
		for _, c := range creds {
			ids = append(ids, c.PublicID)
			if len(docs) < 1000 {
				b, err := is.SignedDocument(c)
				if err != nil {
					return nil, nil, err
				}
				body, _ := json.Marshal(map[string]json.RawMessage{"verifiableCredential": b})
				docs = append(docs, body)
			}
		}
		done += chunk
	}
	return ids, docs, nil
}

// browser is what a browser's request for a page says about encodings.
var browser = http.Header{"Accept-Encoding": []string{"gzip, deflate, br"}}

func attack(o options, tg vegeta.Targeter) vegeta.Metrics {
	a := vegeta.NewAttacker(vegeta.Workers(uint64(o.connections)), vegeta.MaxWorkers(uint64(o.connections)), // #nosec G115 -- run refuses -connections below 1
		vegeta.Connections(o.connections), vegeta.KeepAlive(true), vegeta.Timeout(10*time.Second))
	var m vegeta.Metrics
	for res := range a.Attack(tg, vegeta.Rate{Freq: o.rate, Per: time.Second}, o.duration, "load") {
		m.Add(res)
	}
	m.Close()
	return m
}

// attackN sends exactly n requests as fast as the connections allow.
func attackN(o options, n int, tg vegeta.Targeter) vegeta.Metrics {
	a := vegeta.NewAttacker(vegeta.Workers(uint64(o.connections)), vegeta.MaxWorkers(uint64(o.connections)), // #nosec G115 -- run refuses -connections below 1
		vegeta.Connections(o.connections), vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second))
	var m vegeta.Metrics
	var sent atomic.Int64
	limited := func(t *vegeta.Target) error {
		if sent.Add(1) > int64(n) {
			return vegeta.ErrNoTargets
		}
		return tg(t)
	}
	for res := range a.Attack(limited, vegeta.Rate{Freq: 0}, time.Hour, "warm") {
		if res.Error == vegeta.ErrNoTargets.Error() {
			continue // the end of the list, not a request
		}
		m.Add(res)
	}
	m.Close()
	return m
}

// profile fetches the server's CPU profile over most of the run and a
// 2-second execution trace from its middle into dir (named after the
// run), while the run goes on; the returned function waits for both.
// No-op without -profile.
func profile(debugBase, dir, name string, run time.Duration) func() error {
	if debugBase == "" {
		return func() error { return nil }
	}
	errs := make(chan error, 2)
	get := func(after time.Duration, path, file string) {
		time.Sleep(after)
		resp, err := http.Get(debugBase + path)
		if err != nil {
			errs <- err
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(filepath.Join(dir, file)) // #nosec G304 -- a fixed file name in the -profile folder the operator chose
		if err != nil {
			errs <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		errs <- errors.Join(err, f.Close())
	}
	secs := max(1, int(run.Seconds())-2)
	go get(time.Second, fmt.Sprintf("/profile?seconds=%d", secs), name+"-cpu.pprof")
	go get(run/2, "/trace?seconds=2", name+"-trace.out")
	return func() error {
		err := errors.Join(<-errs, <-errs)
		if err == nil {
			fmt.Printf("  profiles: go tool pprof %s; go tool trace %s\n",
				filepath.Join(dir, name+"-cpu.pprof"), filepath.Join(dir, name+"-trace.out"))
		}
		return err
	}
}

func report(name string, m vegeta.Metrics) {
	fmt.Printf("%s: %d requests, %.0f req/s, success %.2f%%, p50 %s, p99 %s, max %s, status %v\n", name, m.Requests,
		m.Throughput, m.Success*100, m.Latencies.P50.Round(10*time.Microsecond), m.Latencies.P99.Round(10*time.Microsecond),
		m.Latencies.Max.Round(time.Millisecond), m.StatusCodes)
	if len(m.Errors) > 0 {
		fmt.Printf("  errors: %v\n", m.Errors[:min(5, len(m.Errors))])
	}
}

func peakRSS(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}

func waitReady(base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("server at %s not ready", base)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func recreate(ctx context.Context, adminURL, name string) (string, error) {
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func drop(adminURL, name string) {
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return
	}
	defer admin.Close()
	_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
}
