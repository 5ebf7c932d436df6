// Package sqlite implements store.Store on SQLite, through database/sql and
// the pure-Go modernc.org/sqlite driver, for single-node deployments and
// tests that need no database server. It writes through exactly one
// connection and reads through a pool of others (see Open).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/switchboardhq/switchboard/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

var _ store.Store = (*Store)(nil)

// Store is a store.Store on one SQLite database file.
//
// It holds two pools on the file: writer, of exactly one connection, runs
// every write and every transaction; reader runs plain reads beside it.
// Inside InTx both w and r are the transaction, so reads see its writes.
type Store struct {
	writer *sql.DB
	reader *sql.DB
	w      querier // where writes go
	r      querier // where reads go
	tx     *txState
	// The pools' prepared statements; a transaction runs the writer's.
	ws, rs *stmtCache
}

// Open opens the database at path, a file path or a file: URI, creating the
// file if needed. It does not migrate; call Migrate. The database must be a
// file that both pools can open: an in-memory database (":memory:",
// mode=memory) would be two separate databases, and is refused.
//
// Every connection gets its settings from the DSN, so none can miss them:
//   - journal_mode=WAL lets readers run beside the writer;
//   - synchronous=NORMAL syncs the WAL at checkpoints rather than at every
//     commit. In WAL mode that is safe: a power loss may lose the last
//     transactions, never corrupt the database;
//   - foreign_keys=1, since SQLite leaves foreign keys off by default;
//   - busy_timeout=10000 makes a connection wait up to 10s for a lock held
//     by another process (switchboard migrate or rekey beside a running
//     node) instead of failing with SQLITE_BUSY at once;
//   - on the writer, _txlock=immediate makes BEGIN take the write lock up
//     front, so a transaction that reads and then writes cannot fail with
//     SQLITE_BUSY when it comes to write;
//   - on the reader, query_only=1, so a write sent there by mistake fails
//     instead of competing with the writer.
//
// SQLite has one write lock per file. The writer pool is limited to one
// connection, so this process's writers queue in database/sql, in order and
// for as long as their context allows, instead of polling SQLite's lock
// under busy_timeout, where a long enough queue ends in SQLITE_BUSY. Reads
// do not queue behind writes: WAL readers never wait for the writer, and
// they have a pool of their own.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == ":memory:" || strings.Contains(path, "mode=memory") {
		return nil, fmt.Errorf("sqlite: open %s: an in-memory database cannot be shared by the reader and writer pools; use a file", path)
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	writer, err := openPool(ctx, path, url.Values{"_txlock": {"immediate"}})
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	// The writer connects first, so a new file is in WAL mode before the
	// query_only reader opens it.
	reader, err := openPool(ctx, path, url.Values{"_query_only": {"1"}})
	if err != nil {
		writer.Close()
		return nil, err
	}
	ws, rs := newStmtCache(writer), newStmtCache(reader)
	return &Store{writer: writer, reader: reader, w: ws, r: rs, ws: ws, rs: rs}, nil
}

// openPool opens a pool on path with the settings every connection shares
// and extra, and connects once so a bad path fails here.
func openPool(ctx context.Context, path string, extra url.Values) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	for k, v := range extra {
		q[k] = v
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&" // a file: URI with parameters of its own
	}
	db, err := sql.Open("sqlite", path+sep+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// Migrate applies the embedded migrations that have not been applied yet.
// Running it again is a no-op.
func (s *Store) Migrate(ctx context.Context) error {
	if s.tx != nil {
		return errors.New("sqlite: migrate: not inside a transaction")
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.writer, fsys,
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	// Not p.Close: it would close s.writer.
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// Ping checks the database file can be reached, by both pools; inside a
// transaction, that the transaction can still run statements.
func (s *Store) Ping(ctx context.Context) error {
	if s.tx != nil {
		_, err := s.w.ExecContext(ctx, `SELECT 1`)
		return s.translate("ping", err)
	}
	if err := s.writer.PingContext(ctx); err != nil {
		return err
	}
	return s.reader.PingContext(ctx)
}

// Close closes both pools. Inside a transaction it closes nothing and
// answers an error: InTx's caller owns the Store.
func (s *Store) Close() error {
	if s.tx != nil {
		return errors.New("sqlite: close: inside a transaction")
	}
	return errors.Join(s.ws.Close(), s.rs.Close(), s.writer.Close(), s.reader.Close())
}

// createPrivate creates the database file readable by its owner only
// (0600) when it does not exist yet: it holds sealed credentials and API
// key hashes. SQLite gives the -wal and -shm files it creates beside it the
// database file's permissions. An existing file keeps its own.
func createPrivate(path string) error {
	file := strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(file, '?'); i >= 0 && strings.HasPrefix(path, "file:") {
		file = file[:i]
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil
	case err != nil:
		return fmt.Errorf("sqlite: create %s: %w", file, err)
	}
	return f.Close()
}
