package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/trustcred/trustcred/migrations"
)

// migrationLockID is the PostgreSQL advisory lock that serializes migrations
// when several trustcred processes start at once ("trustcred" in ASCII).
const migrationLockID int64 = 0x7472757374637264

// Migrator applies the application's versioned SQL (goose) and River's
// job-queue schema (rivermigrate) to one database.
type Migrator struct {
	db    *DB
	log   *slog.Logger
	goose *goose.Provider // nil while the dialect's folder holds no migration
	river *rivermigrate.Migrator[*sql.Tx]
}

// MigrationState is one application migration and whether it is applied.
type MigrationState struct {
	Version int64
	Name    string
	Applied bool
}

// MigrationStatus is where a database stands against the embedded migrations.
type MigrationStatus struct {
	App          []MigrationState
	RiverVersion int // highest applied River migration, 0 if none
	RiverLatest  int // highest River migration this binary knows
}

// Pending reports whether anything is left to apply.
func (s MigrationStatus) Pending() bool {
	for _, m := range s.App {
		if !m.Applied {
			return true
		}
	}
	return s.RiverVersion < s.RiverLatest
}

// Describe says in one line what is pending, for /readyz and logs.
func (s MigrationStatus) Describe() string {
	var pending []string
	for _, m := range s.App {
		if !m.Applied {
			pending = append(pending, fmt.Sprintf("%05d_%s", m.Version, m.Name))
		}
	}
	var parts []string
	if len(pending) > 0 {
		parts = append(parts, "pending application migrations: "+strings.Join(pending, ", "))
	}
	if s.RiverVersion < s.RiverLatest {
		parts = append(parts, fmt.Sprintf("job queue schema at version %d of %d", s.RiverVersion, s.RiverLatest))
	}
	if len(parts) == 0 {
		return "up to date"
	}
	return strings.Join(parts, "; ")
}

// Migrator returns the migration tool for this database.
func (db *DB) Migrator(log *slog.Logger) (*Migrator, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fsys, err := migrations.FS(string(db.dialect))
	if err != nil {
		return nil, err
	}
	var (
		gooseDialect goose.Dialect
		riverDriver  riverdriver.Driver[*sql.Tx]
	)
	switch db.dialect {
	case Postgres:
		gooseDialect, riverDriver = goose.DialectPostgres, riverdatabasesql.New(db.sql)
	case SQLite:
		gooseDialect, riverDriver = goose.DialectSQLite3, riversqlite.New(db.sql)
	}
	m := &Migrator{db: db, log: log}
	m.goose, err = goose.NewProvider(gooseDialect, db.sql, fsys, goose.WithSlog(log.With("component", "migrate")))
	if errors.Is(err, goose.ErrNoMigrations) {
		m.goose, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: load migrations: %w", err)
	}
	m.river, err = rivermigrate.New(riverDriver, &rivermigrate.Config{Logger: log.With("component", "migrate")})
	if err != nil {
		return nil, fmt.Errorf("store: job queue migrations: %w", err)
	}
	return m, nil
}

// Up applies every pending migration: the application's, then River's.
func (m *Migrator) Up(ctx context.Context) error { return m.UpTo(ctx, goose.MaxVersion) }

// UpTo applies application migrations up to and including version (and
// River's in full).
func (m *Migrator) UpTo(ctx context.Context, version int64) error {
	return m.locked(ctx, func() error {
		if m.goose != nil {
			res, err := m.goose.UpTo(ctx, version)
			for _, r := range res {
				m.log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
			}
			if err != nil {
				return fmt.Errorf("store: migrate up to %d: %w", version, err)
			}
		}
		if _, err := m.river.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("store: migrate job queue: %w", err)
		}
		return nil
	})
}

// DownTo rolls the application schema back to version (0 removes every
// application table). River's tables are left alone: they are not the
// application's, and jobs in them may still be wanted.
func (m *Migrator) DownTo(ctx context.Context, version int64) error {
	if m.goose == nil {
		return nil
	}
	return m.locked(ctx, func() error {
		res, err := m.goose.DownTo(ctx, version)
		for _, r := range res {
			m.log.Info("migration rolled back", "version", r.Source.Version, "file", r.Source.Path)
		}
		if err != nil {
			return fmt.Errorf("store: migrate down: %w", err)
		}
		return nil
	})
}

// Down rolls back the most recent application migration.
func (m *Migrator) Down(ctx context.Context) error {
	if m.goose == nil {
		return nil
	}
	current, err := m.goose.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("store: migration version: %w", err)
	}
	var prev int64
	for _, s := range m.goose.ListSources() {
		if s.Version < current && s.Version > prev {
			prev = s.Version
		}
	}
	return m.DownTo(ctx, prev)
}

// Status reports every application migration and the job queue's version.
func (m *Migrator) Status(ctx context.Context) (MigrationStatus, error) {
	var st MigrationStatus
	if m.goose != nil {
		list, err := m.goose.Status(ctx)
		if err != nil {
			return st, fmt.Errorf("store: migration status: %w", err)
		}
		for _, s := range list {
			st.App = append(st.App, MigrationState{
				Version: s.Source.Version,
				Name:    migrationName(s.Source.Path),
				Applied: s.State == goose.StateApplied,
			})
		}
	}
	if all := m.river.AllVersions(); len(all) > 0 {
		st.RiverLatest = all[len(all)-1].Version
	}
	existing, err := m.river.ExistingVersions(ctx)
	if err != nil {
		return st, fmt.Errorf("store: job queue migration status: %w", err)
	}
	for _, v := range existing {
		st.RiverVersion = max(st.RiverVersion, v.Version)
	}
	return st, nil
}

// locked runs fn while holding a database-wide lock, so that two processes
// starting at once do not both migrate. SQLite needs none: only one process
// opens the embedded file, and each migration is one immediate transaction.
func (m *Migrator) locked(ctx context.Context, fn func() error) error {
	if m.db.dialect != Postgres {
		return fn()
	}
	conn, err := m.db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migration lock: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockID); err != nil {
		return fmt.Errorf("store: migration lock: %w", err)
	}
	defer func() {
		// Unlock on a fresh context: ctx may be the one that was cancelled.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockID)
	}()
	return fn()
}

func migrationName(path string) string {
	base := path[strings.LastIndexByte(path, '/')+1:]
	base = strings.TrimSuffix(base, ".sql")
	if _, rest, ok := strings.Cut(base, "_"); ok {
		return rest
	}
	return base
}
