package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxStmts bounds a stmtCache: the store's statements are a fixed set but
// for the filters of list queries, and past the bound a statement is
// prepared for each use, as without the cache.
const maxStmts = 512

// stmtCache runs statements on a pool, each prepared once per connection
// and kept (database/sql keeps a *sql.Stmt's preparation on every
// connection it ran on). Preparing is SQLite parsing and planning the
// statement, about half of what a simple statement costs; the driver
// does it again for every statement otherwise.
//
// A statement is prepared on the pool, never while the caller holds one
// of its connections: a transaction holds the writer's only one, so a
// statement a transaction runs first is run unprepared and prepared on
// the pool once the transaction has ended (prepareMissed).
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	missed map[string]bool // run in a transaction before being prepared
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, missed: map[string]bool{}}
}

// cached is query's statement, or nil.
func (c *stmtCache) cached(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[query]
}

// stmt is query's statement, prepared on the pool on first use; nil when
// the cache is full. The caller must hold none of the pool's connections.
func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := c.cached(query); st != nil {
		return st, nil
	}
	c.mu.Lock()
	full := len(c.stmts) >= maxStmts
	c.mu.Unlock()
	if full {
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, query) // not under mu: it may wait for a connection
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[query]; ok { // prepared meanwhile by another caller
		st.Close()
		return prev, nil
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return c.db.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return c.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// inTx is query's statement for tx, a transaction on c's pool (database/sql
// reuses its preparation on tx's connection), or nil when it is not
// prepared yet: the caller runs query unprepared, and prepareMissed
// prepares it after the transaction.
func (c *stmtCache) inTx(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	c.mu.Lock()
	st := c.stmts[query]
	if st == nil && len(c.stmts)+len(c.missed) < maxStmts {
		c.missed[query] = true
	}
	c.mu.Unlock()
	if st == nil {
		return nil
	}
	return tx.StmtContext(ctx, st)
}

// prepareMissed prepares the statements transactions ran unprepared. The
// caller holds none of the pool's connections. A failure only leaves the
// statement to be prepared on its next use.
func (c *stmtCache) prepareMissed(ctx context.Context) {
	c.mu.Lock()
	var queries []string
	for q := range c.missed {
		queries = append(queries, q)
		delete(c.missed, q)
	}
	c.mu.Unlock()
	for _, q := range queries {
		_, _ = c.stmt(ctx, q)
	}
}

// Close closes every statement kept.
func (c *stmtCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.stmts {
		errs = append(errs, st.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}
