// Package store owns persistence: opening PostgreSQL or the embedded SQLite
// database, applying migrations, the GORM models and the queries over them.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names a supported database.
type Dialect string

const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// ErrNotFound is returned for a row that does not exist or that the caller's
// scope may not see: the two are deliberately indistinguishable.
var ErrNotFound = errors.New("not found")

// DB is an open database: the GORM handle the store's queries use and the
// dialect it speaks.
type DB struct {
	gorm       *gorm.DB
	sql        *sql.DB
	dialect    Dialect
	sqlitePath string

	listStamps listStampCache // StatusListStampFresh's
	didStamps  didStampCache  // IssuerDIDStampFresh's
}

// Options say which database to open and how to log.
type Options struct {
	// DatabaseURL selects PostgreSQL (postgres://…). Empty selects SQLite at SQLitePath.
	DatabaseURL string
	// SQLitePath is the database file used when DatabaseURL is empty; its
	// directory is created (mode 0700) if missing.
	SQLitePath string
	Logger     *slog.Logger
	// SlowQuery is the duration above which a query is logged as slow (0: 500ms).
	SlowQuery time.Duration
}

// Open connects to the database the options select and checks that it
// answers. Every time GORM stores is UTC.
func Open(ctx context.Context, o Options) (*DB, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	slow := o.SlowQuery
	if slow == 0 {
		slow = 500 * time.Millisecond
	}
	cfg := &gorm.Config{
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
		Logger: lazyLogger{inner: logger.NewSlogLogger(log.With("component", "db"), logger.Config{
			SlowThreshold:             slow,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true, // never log bound values: they may be personal data
		}), level: logger.Warn, slow: slow},
	}

	var (
		dialector gorm.Dialector
		dialect   Dialect
	)
	if o.DatabaseURL != "" {
		dialect, dialector = Postgres, postgres.New(postgres.Config{DSN: o.DatabaseURL,
			OptionOpenDB: []stdlib.OptionOpenDB{stdlib.OptionAfterConnect(registerPQArrays)}})
	} else {
		if o.SQLitePath == "" {
			return nil, errors.New("store: neither a database URL nor an SQLite path given")
		}
		if err := os.MkdirAll(filepath.Dir(o.SQLitePath), 0o700); err != nil {
			return nil, fmt.Errorf("store: create data directory: %w", err)
		}
		// The file holds password hashes and sealed secrets: only the
		// server's user may read it. SQLite gives its -wal and -shm files
		// the same mode.
		f, err := os.OpenFile(o.SQLitePath, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("store: create database file: %w", err)
		}
		_ = f.Close()
		dialect, dialector = SQLite, sqlite.Open(SQLiteDSN(o.SQLitePath))
	}

	g, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	switch dialect {
	case Postgres:
		// As many idle connections as open ones: under a burst, a pool that
		// closes connections above its idle limit as they are released
		// reopens them a moment later, and each new connection is a
		// PostgreSQL backend to fork and statements to prepare again (the
		// public page's p99 under load followed those reconnections).
		// Connections idle for minutes are closed instead.
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
	case SQLite:
		// WAL allows concurrent readers and one writer; immediate
		// transactions queue writers on busy_timeout instead of failing.
		sqlDB.SetMaxOpenConns(8)
		sqlDB.SetMaxIdleConns(8)
	}
	if err := watchIssuerWrites(g); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", dialect, err)
	}
	return &DB{gorm: g, sql: sqlDB, dialect: dialect, sqlitePath: o.SQLitePath}, nil
}

// SQLiteDSN is the connection string for an SQLite file, with the pragmas
// that make it correct under concurrency: foreign keys enforced, WAL,
// a busy timeout, NORMAL sync (safe with WAL) and immediate transactions
// (a deferred transaction that reads and then writes fails with SQLITE_BUSY
// under contention whatever the busy timeout).
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Dialect reports which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// SQL is the underlying connection pool, for the migration tools and the job
// queue, which speak database/sql.
func (db *DB) SQL() *sql.DB { return db.sql }

// JobPool is the connection pool the job queue uses. On PostgreSQL it is the
// shared pool. On SQLite it is a second pool of one connection to the same
// file, as River's SQLite driver requires; the caller closes it. Jobs
// enqueued inside an application transaction still commit with it, because
// the queue then writes through that transaction.
func (db *DB) JobPool() (pool *sql.DB, owned bool, err error) {
	if db.dialect == Postgres {
		return db.sql, false, nil
	}
	pool, err = sql.Open("sqlite", SQLiteDSN(db.sqlitePath))
	if err != nil {
		return nil, false, fmt.Errorf("store: open job pool: %w", err)
	}
	pool.SetMaxOpenConns(1)
	return pool, true, nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// Close closes the connection pool.
func (db *DB) Close() error { return db.sql.Close() }
