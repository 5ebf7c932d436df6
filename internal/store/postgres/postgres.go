// Package postgres implements store.Store on PostgreSQL through a pgx
// connection pool: the store for deployments with more than one worker or
// API process.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/switchboardhq/switchboard/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

var _ store.Store = (*Store)(nil)

// Store is a store.Store on one PostgreSQL database. Its methods run on q:
// the pool, or inside InTx the transaction.
type Store struct {
	pool *pgxpool.Pool
	q    querier
	inTx bool
}

// querier runs statements: a *pgxpool.Pool or a pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Option configures Open.
type Option func(*options)

type options struct {
	maxConns    int
	setMaxConns bool
}

// WithMaxConns lets the pool open at most n connections (n >= 1). Size it
// to the process's concurrent users of the store: for a worker, its
// concurrency (a job holds one connection at a time, for the whole of an
// InTx) plus a few for the reconcile scheduler and the health checks; for
// the API, the requests it serves at once. Without it the pool takes
// pgxpool's default, the greater of 4 and runtime.NumCPU(), which a worker
// whose concurrency is above that would wait on.
//
// A pool_max_conns parameter in the URL wins over WithMaxConns: an operator
// who wrote one into SWITCHBOARD_DATABASE_URL meant it.
func WithMaxConns(n int) Option {
	return func(o *options) { o.maxConns, o.setMaxConns = n, true }
}

// Open connects to the database at url (a postgres:// URL or a key=value
// DSN, with pgxpool's pool_* parameters if wanted). It does not migrate;
// call Migrate.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if o.setMaxConns {
		if o.maxConns < 1 || o.maxConns > math.MaxInt32 {
			return nil, fmt.Errorf("postgres: open: WithMaxConns(%d): want at least 1", o.maxConns)
		}
		// pgxpool.ParseConfig takes pool_max_conns out of the parameters
		// it keeps, so ask the connection parser whether it was there.
		cc, err := pgconn.ParseConfig(url)
		if err != nil {
			return nil, fmt.Errorf("postgres: open: %w", err)
		}
		if _, inURL := cc.RuntimeParams["pool_max_conns"]; !inURL {
			cfg.MaxConns = int32(o.maxConns)
		}
	}
	// pgx scans timestamptz into the local zone; the store answers in UTC
	// everywhere, and setting it here means no query can forget.
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{
			Name:  "timestamptz",
			OID:   pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
		})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	// The pool connects lazily; connect now so a bad URL fails here.
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return &Store{pool: pool, q: pool}, nil
}

// Migrate applies the embedded migrations that have not been applied yet.
// Running it again is a no-op, and processes running it at once are safe:
// goose holds a PostgreSQL advisory lock while it migrates, so the others
// wait and then find nothing left to do.
func (s *Store) Migrate(ctx context.Context) error {
	if s.inTx {
		return errors.New("postgres: migrate: not inside a transaction")
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	// goose speaks database/sql; borrow the pool's connections for it.
	// Closing db leaves the pool open.
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// Ping checks the database can be reached; inside a transaction, that the
// transaction can still run statements.
func (s *Store) Ping(ctx context.Context) error {
	if s.inTx {
		_, err := s.q.Exec(ctx, `SELECT 1`)
		return translate("ping", err)
	}
	return s.pool.Ping(ctx)
}

// Analyze refreshes the planner's statistics of every table (ANALYZE), as
// autovacuum does within about a minute of a table's first rows. The
// benchmarks call it after their warm-up so that they measure the steady
// state (docs/benchmarks.md, "Planner statistics").
func (s *Store) Analyze(ctx context.Context) error {
	_, err := s.q.Exec(ctx, `ANALYZE`)
	return translate("analyze", err)
}

// RefreshStatistics analyzes those of tables that have grown to more than
// twice the size their planner statistics describe (and past 8 pages).
// Autovacuum analyzes a growing table too, but only on its next round, up
// to a minute later. Until then the planner estimates a new table's rows
// by defaults: a batch id or an org id is thought to match a few dozen
// rows, so a page's status update reads every row of the batch instead of
// its 500, and the pool's connections keep that plan. A first import into
// a new deployment is all in that minute; batch.Importer calls this after
// its first pages (docs/benchmarks.md, "Planner statistics"). Sizes are
// read from the catalog, which does not lag as the statistics collector's
// counters do.
func (s *Store) RefreshStatistics(ctx context.Context, tables ...string) error {
	rows, err := s.q.Query(ctx,
		`SELECT quote_ident(c.relname) FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relname = ANY($1)
			AND pg_relation_size(c.oid) / current_setting('block_size')::bigint > 2 * greatest(c.relpages, 0) + 8`,
		tables)
	stale, err := collect(rows, err, func(row pgx.Row) (string, error) {
		var name string
		return name, row.Scan(&name)
	})
	if err != nil {
		return translate("refresh statistics", err)
	}
	for _, t := range stale {
		if _, err := s.q.Exec(ctx, `ANALYZE `+t); err != nil {
			return translate("refresh statistics", err)
		}
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be released.
// Inside a transaction it closes nothing and answers an error: InTx's
// caller owns the Store.
func (s *Store) Close() error {
	if s.inTx {
		return errors.New("postgres: close: inside a transaction")
	}
	s.pool.Close()
	return nil
}
