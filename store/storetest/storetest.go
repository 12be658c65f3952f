// Package storetest gives tests a fresh, migrated database in one line, on
// SQLite (a temporary file per test) and on PostgreSQL (a database per test,
// cloned from a template that already has every migration applied, and
// dropped afterwards).
//
// PostgreSQL is found at TRUSTCRED_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable). When it is
// unreachable the PostgreSQL half of a test is skipped with the reason,
// except under CI=true, where a missing database is a failure.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver for the admin connection

	"github.com/trustcred/trustcred/migrations"
	"github.com/trustcred/trustcred/store"
)

// DefaultPostgresURL is the server the tests use unless
// TRUSTCRED_TEST_DATABASE_URL says otherwise.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Dialects are the databases every store test runs on.
var Dialects = []store.Dialect{store.SQLite, store.Postgres}

// Each runs fn as one subtest per dialect, each with its own fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh, fully migrated database of the given dialect,
// closed (and on PostgreSQL dropped) when the test ends.
func Open(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	switch d {
	case store.SQLite:
		return openSQLite(t)
	case store.Postgres:
		return openPostgres(t)
	}
	t.Fatalf("storetest: unknown dialect %q", d)
	return nil
}

// Logger writes the store's warnings into the test log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// Require fails the test under CI and skips it otherwise: for a service the
// test needs that is not there.
func Require(t testing.TB, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("required service missing under CI: %s", why)
	}
	t.Skipf("skipped: %s", why)
}

// ---- SQLite ---------------------------------------------------------------

// sqliteTemplate is a migrated database file made once per test binary;
// each test copies it, which is much faster than migrating again.
var sqliteTemplate struct {
	once sync.Once
	path string
	err  error
}

func openSQLite(t testing.TB) *store.DB {
	t.Helper()
	sqliteTemplate.once.Do(func() {
		dir, err := os.MkdirTemp("", "trustcred-sqlite-template-")
		if err != nil {
			sqliteTemplate.err = err
			return
		}
		path := filepath.Join(dir, "template.db")
		sqliteTemplate.path, sqliteTemplate.err = path, migrateFresh(store.Options{SQLitePath: path})
	})
	if sqliteTemplate.err != nil {
		t.Fatalf("storetest: build SQLite template: %v", sqliteTemplate.err)
	}
	body, err := os.ReadFile(sqliteTemplate.path)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "test.db")
	if err := os.WriteFile(path, body, 0o600); err != nil { // #nosec G703 -- a file in the test's own t.TempDir()
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), store.Options{SQLitePath: path, Logger: Logger(t)})
	if err != nil {
		t.Fatalf("storetest: open SQLite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Reopen opens a second handle on db's database, with its own connection
// pool: another server sharing it.
func Reopen(t testing.TB, db *store.DB) *store.DB {
	t.Helper()
	ctx := context.Background()
	var o store.Options
	switch db.Dialect() {
	case store.Postgres:
		var name string
		if err := db.SQL().QueryRowContext(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		o.DatabaseURL = withDatabase(PostgresURL(), name)
	case store.SQLite:
		var seq int
		var name, path string
		if err := db.SQL().QueryRowContext(ctx, "PRAGMA database_list").Scan(&seq, &name, &path); err != nil {
			t.Fatal(err)
		}
		o.SQLitePath = path
	}
	o.Logger = Logger(t)
	other, err := store.Open(ctx, o)
	if err != nil {
		t.Fatalf("storetest: reopen: %v", err)
	}
	t.Cleanup(func() { _ = other.Close() })
	return other
}

// ChildURL is the URL of db's PostgreSQL database for another process
// (one a test kills), whose connections carry application_name app, so
// that WaitForSessionsGone can tell when the server is done with them.
func ChildURL(t testing.TB, db *store.DB, app string) string {
	t.Helper()
	var name string
	if err := db.SQL().QueryRow("SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(withDatabase(PostgresURL(), name))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String()
}

// WaitForSessionsGone waits until PostgreSQL has no session of app left.
// A process killed with SIGKILL leaves its sessions to finish what they
// received: a COMMIT sent just before the kill is still carried out, so
// what committed is known only once they are gone.
func WaitForSessionsGone(t testing.TB, db *store.DB, app string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var n int
		if err := db.SQL().QueryRow("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("storetest: %d sessions of %s still open after a minute", n, app)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// migrateFresh opens a database, applies every migration and closes it
// (which on SQLite also checkpoints the WAL into the main file).
func migrateFresh(o store.Options) error {
	ctx := context.Background()
	db, err := store.Open(ctx, o)
	if err != nil {
		return err
	}
	m, err := db.Migrator(nil)
	if err == nil {
		err = m.Up(ctx)
	}
	return errors.Join(err, db.Close())
}

// ---- PostgreSQL -----------------------------------------------------------

// PostgresURL is the server the tests use.
func PostgresURL() string {
	if u := os.Getenv("TRUSTCRED_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// templateLock serializes template creation across test binaries that go
// test runs in parallel ("tc-tmpl" in ASCII).
const templateLock int64 = 0x74632d746d706c

var pgAdmin struct {
	once sync.Once
	db   *sql.DB
	tmpl string
	err  error
}

func openPostgres(t testing.TB) *store.DB {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped in -short mode: needs PostgreSQL")
	}
	pgAdmin.once.Do(func() { pgAdmin.db, pgAdmin.tmpl, pgAdmin.err = preparePostgres() })
	Require(t, pgAdmin.err == nil, fmt.Sprintf("PostgreSQL at %s: %v", redacted(PostgresURL()), pgAdmin.err))

	ctx := context.Background()
	name := "trustcred_test_" + randomHex(8)
	err := withLock(ctx, pgAdmin.db, func(conn *sql.Conn) error {
		_, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, pgAdmin.tmpl))
		return err
	})
	if err != nil {
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := pgAdmin.db.ExecContext(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			t.Errorf("storetest: drop %s: %v", name, err)
		}
	})
	db, err := store.Open(ctx, store.Options{DatabaseURL: withDatabase(PostgresURL(), name), Logger: Logger(t)})
	if err != nil {
		t.Fatalf("storetest: open PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// preparePostgres connects to the server and makes sure the template
// database for the current migrations exists. The template's name carries a
// hash of the migrations, so a changed migration builds a new template.
func preparePostgres() (*sql.DB, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		return nil, "", err
	}
	admin.SetMaxOpenConns(4)
	pingCtx, pcancel := context.WithTimeout(ctx, 5*time.Second)
	defer pcancel()
	if err := admin.PingContext(pingCtx); err != nil {
		_ = admin.Close()
		return nil, "", err
	}
	sum, err := migrationsHash()
	if err != nil {
		return nil, "", err
	}
	tmpl := "trustcred_tmpl_" + sum
	err = withLock(ctx, admin, func(conn *sql.Conn) error {
		var exists bool
		if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", tmpl).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		// Templates of older migrations are no longer useful once no test
		// run can still want them: each carries its creation time as its
		// comment, and those older than a day are dropped.
		rows, err := conn.QueryContext(ctx, `SELECT d.datname FROM pg_database d
			JOIN pg_shdescription s ON s.objoid = d.oid AND s.classoid = 'pg_database'::regclass
			WHERE d.datname LIKE 'trustcred\_tmpl\_%' AND s.description ~ '^[0-9]+$'
			AND s.description::bigint < extract(epoch FROM now())::bigint - 86400`)
		if err != nil {
			return err
		}
		var stale []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			stale = append(stale, n)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		for _, n := range stale {
			if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)"); err != nil {
				return err
			}
		}
		building := tmpl + "_building"
		if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+building); err != nil {
			return err
		}
		if err := migrateFresh(store.Options{DatabaseURL: withDatabase(PostgresURL(), building)}); err != nil {
			return fmt.Errorf("migrate template: %w", err)
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("COMMENT ON DATABASE %s IS '%d'", building, time.Now().Unix())); err != nil {
			return err
		}
		_, err = conn.ExecContext(ctx, "ALTER DATABASE "+building+" RENAME TO "+tmpl)
		return err
	})
	if err != nil {
		_ = admin.Close()
		return nil, "", err
	}
	return admin, tmpl, nil
}

func withLock(ctx context.Context, db *sql.DB, fn func(*sql.Conn) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", templateLock); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", templateLock) //nolint:errcheck
	return fn(conn)
}

func migrationsHash() (string, error) {
	fsys, err := migrations.FS("postgres")
	if err != nil {
		return "", err
	}
	h := sha256.New()
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".sql") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
		return nil
	})
	// River's schema comes with the river module: a new version may bring
	// new migrations.
	fmt.Fprintf(h, "river:%s", riverVersion())
	return hex.EncodeToString(h.Sum(nil))[:12], err
}

func riverVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range info.Deps {
		if d.Path == "github.com/riverqueue/river" {
			return d.Version
		}
	}
	return "unknown"
}

func withDatabase(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	u.Path = "/" + name
	return u.String()
}

func redacted(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Redacted()
	}
	return "(unparseable URL)"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- Seeded databases, kept between runs -----------------------------------

// Seeded returns a database of the given dialect that seed filled once and
// that is kept between test runs, named by key and the migrations: a
// benchmark's large data set is built on its first run only. The key must
// change when seed changes (carry its size and a version in it). Callers
// only read it: every run shares the same database.
//
// PostgreSQL keeps it as the database trustcred_seed_<key>_<migrations>,
// SQLite as a file of that name in the temporary directory; drop or delete
// them to build them again.
func Seeded(t testing.TB, d store.Dialect, key string, seed func(testing.TB, *store.DB)) *store.DB {
	t.Helper()
	for _, r := range key {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			t.Fatalf("storetest.Seeded: key %q: only a-z, 0-9 and _", key)
		}
	}
	sum, err := migrationsHash()
	if err != nil {
		t.Fatal(err)
	}
	name := "trustcred_seed_" + key + "_" + sum
	ctx := context.Background()
	switch d {
	case store.SQLite:
		path := filepath.Join(os.TempDir(), name+".db")
		if _, err := os.Stat(path); err != nil {
			building := openSQLite(t)
			seed(t, building)
			if _, err := building.SQL().ExecContext(ctx, "VACUUM INTO ?", path+".building"); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(path+".building", path); err != nil {
				t.Fatal(err)
			}
		}
		db, err := store.Open(ctx, store.Options{SQLitePath: path, Logger: Logger(t)})
		if err != nil {
			t.Fatalf("storetest: open %s: %v", path, err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	case store.Postgres:
		if testing.Short() {
			t.Skip("skipped in -short mode: needs PostgreSQL")
		}
		pgAdmin.once.Do(func() { pgAdmin.db, pgAdmin.tmpl, pgAdmin.err = preparePostgres() })
		Require(t, pgAdmin.err == nil, fmt.Sprintf("PostgreSQL at %s: %v", redacted(PostgresURL()), pgAdmin.err))
		var exists bool
		if err := pgAdmin.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if !exists {
			building := name + "_building"
			err := withLock(ctx, pgAdmin.db, func(conn *sql.Conn) error {
				if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
					return err
				}
				_, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", building, pgAdmin.tmpl))
				return err
			})
			if err != nil {
				t.Fatalf("storetest: create %s: %v", building, err)
			}
			db, err := store.Open(ctx, store.Options{DatabaseURL: withDatabase(PostgresURL(), building), Logger: Logger(t)})
			if err != nil {
				t.Fatal(err)
			}
			seed(t, db)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := pgAdmin.db.ExecContext(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
				t.Fatal(err)
			}
		}
		db, err := store.Open(ctx, store.Options{DatabaseURL: withDatabase(PostgresURL(), name), Logger: Logger(t)})
		if err != nil {
			t.Fatalf("storetest: open %s: %v", name, err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	t.Fatalf("storetest: unknown dialect %q", d)
	return nil
}
