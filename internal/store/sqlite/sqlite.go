// Package sqlite implements store.Store on SQLite, through database/sql and
// the pure-Go modernc.org/sqlite driver, for single-node deployments and
// tests that need no database server.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/switchboardhq/switchboard/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

var _ store.Store = (*Store)(nil)

// Store is a store.Store on one SQLite database file.
type Store struct {
	db *sql.DB
}

// Open opens the database at path, a file path or a file: URI, creating the
// file if needed. It does not migrate; call Migrate.
//
// Every pooled connection gets its settings from the DSN, so none can miss
// them:
//   - journal_mode=WAL lets readers run beside the one writer;
//   - foreign_keys=1, since SQLite leaves foreign keys off by default;
//   - busy_timeout=10000 makes a writer wait up to 10s for the write lock
//     instead of failing with SQLITE_BUSY at once;
//   - _txlock=immediate makes BEGIN take the write lock up front. A deferred
//     transaction that reads and then writes cannot wait for the lock (SQLite
//     answers SQLITE_BUSY at once rather than deadlock), so without it
//     busy_timeout would not be enough.
//
// Every write here is a single statement, which takes the write lock as it
// starts and so always waits under busy_timeout. That keeps concurrent
// writers safe without limiting the pool to one connection, which would
// also make every read queue behind every write.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Set("_txlock", "immediate")
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&" // a file: URI with parameters of its own
	}
	db, err := sql.Open("sqlite", path+sep+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// sql.Open connects lazily; connect now so a bad path fails here.
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Migrate applies the embedded migrations that have not been applied yet.
// Running it again is a no-op.
func (s *Store) Migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db, fsys,
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	// Not p.Close: it would close s.db.
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// Ping checks the database file can be reached.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.PingContext(ctx)
}

// Close closes every pooled connection.
func (s *Store) Close() error {
	return s.db.Close()
}
