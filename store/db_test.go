package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/trustcred/trustcred/store"
	"github.com/trustcred/trustcred/store/storetest"
)

func TestSQLiteIsOpenedForConcurrency(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	// Pragmas are per connection: check several pooled connections at once.
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		c, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	want := map[string]string{"foreign_keys": "1", "journal_mode": "wal", "busy_timeout": "5000", "synchronous": "1"}
	for i, c := range conns {
		for pragma, v := range want {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("conn %d: PRAGMA %s: %v", i, pragma, err)
			}
			if got != v {
				t.Errorf("conn %d: PRAGMA %s = %q, want %q", i, pragma, got, v)
			}
		}
	}
}

func TestSQLiteFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "trustcred.db")
	db, err := store.Open(context.Background(), store.Options{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", p, got, want)
		}
	}
}

// Without immediate transactions, two SQLite transactions that both read and
// then write fail with SQLITE_BUSY however long the busy timeout is. With
// them, every increment below must land.
func TestSQLiteReadThenWriteTransactionsDoNotFail(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	if _, err := db.SQL().ExecContext(ctx, "CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0)"); err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 6, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for range workers {
		wg.Go(func() {
			for range rounds {
				errs <- increment(ctx, db.SQL())
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent read-then-write transaction failed: %v", err)
		}
	}
	var n int
	if err := db.SQL().QueryRowContext(ctx, "SELECT n FROM counter").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != workers*rounds {
		t.Fatalf("counter = %d, want %d (lost updates)", n, workers*rounds)
	}
}

func increment(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT n FROM counter").Scan(&n); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if _, err := tx.ExecContext(ctx, "UPDATE counter SET n = ?", n+1); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

func TestMigrationsAreCurrentAndReversible(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m, err := db.Migrator(storetest.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		st, err := m.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Pending() {
			t.Fatalf("fresh database has pending migrations: %s", st.Describe())
		}
		if st.RiverLatest == 0 || st.RiverVersion != st.RiverLatest {
			t.Fatalf("job queue schema at %d of %d", st.RiverVersion, st.RiverLatest)
		}
		if err := m.DownTo(ctx, 0); err != nil {
			t.Fatalf("down to 0: %v", err)
		}
		st, err = m.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st.App {
			if s.Applied {
				t.Errorf("migration %05d_%s still applied after down to 0", s.Version, s.Name)
			}
		}
		if err := m.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		if st, err = m.Status(ctx); err != nil || st.Pending() {
			t.Fatalf("after up again: pending=%v err=%v (%s)", st.Pending(), err, st.Describe())
		}
		if st.Describe() != "up to date" {
			t.Errorf("Describe() = %q, want %q", st.Describe(), "up to date")
		}
	})
}

func TestOpenReportsUnreachablePostgres(t *testing.T) {
	// Port 1 on loopback: nothing listens there.
	_, err := store.Open(context.Background(), store.Options{DatabaseURL: "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"})
	if err == nil || !strings.Contains(err.Error(), "postgres") || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("err = %v, want a connection error", err)
	}
}

func TestPostgresTestDatabasesAreIsolated(t *testing.T) {
	a := storetest.Open(t, store.Postgres)
	b := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	if _, err := a.SQL().ExecContext(ctx, "CREATE TABLE only_in_a (id int)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.SQL().QueryRowContext(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("a table created in one test database is visible in another")
	}
}
