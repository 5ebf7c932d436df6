package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/switchboardhq/switchboard/internal/store"
)

// InTx runs fn in a transaction on the writer connection (BEGIN IMMEDIATE,
// from the DSN's _txlock), with a Store whose reads and writes all go
// through it. Inside a transaction it runs fn directly. A panic in fn rolls
// the transaction back and goes on.
//
// PostgreSQL refuses every statement after a failed one in the same
// transaction, and turns its commit into a rollback; SQLite would carry on.
// So that code tested on SQLite behaves the same on PostgreSQL, the
// transaction's Store does what PostgreSQL does: after a statement fails,
// later ones answer an error without running, and InTx rolls back and
// answers an error even when fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	sqlTx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return translate("begin", err)
	}
	// Runs last, once the writer is free again.
	defer s.ws.prepareMissed(context.WithoutCancel(ctx))
	done := false
	defer func() {
		if !done {
			sqlTx.Rollback()
		}
	}()
	state := &txState{}
	q := txQuerier{tx: sqlTx, state: state, stmts: s.ws}
	if err := fn(&Store{writer: s.writer, reader: s.reader, w: q, r: q, tx: state, ws: s.ws, rs: s.rs}); err != nil {
		return err
	}
	if err := state.aborted(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	done = true
	return translate("commit", sqlTx.Commit())
}

// errAborted is what a transaction answers after one of its statements
// failed (PostgreSQL's 25P02, "current transaction is aborted").
var errAborted = errors.New("transaction aborted by an earlier error, rolled back")

// txState remembers the first statement of a transaction that failed.
type txState struct {
	mu    sync.Mutex
	first error
}

// fail records err unless it is a query that found no row, which aborts
// nothing on PostgreSQL either.
func (t *txState) fail(err error) {
	if err == nil || errors.Is(err, sql.ErrNoRows) || errors.Is(err, errAborted) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.first == nil {
		t.first = err
	}
}

// aborted is nil, or errAborted naming the first failure.
func (t *txState) aborted() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.first == nil {
		return nil
	}
	return fmt.Errorf("%w (%v)", errAborted, t.first)
}

// txQuerier runs statements in the transaction until one fails.
// Its statements are the writer's prepared ones (stmtCache).
type txQuerier struct {
	tx    *sql.Tx
	state *txState
	stmts *stmtCache
}

func (q txQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := q.state.aborted(); err != nil {
		return nil, err
	}
	if st := q.stmts.inTx(ctx, q.tx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := q.state.aborted(); err != nil {
		return nil, err
	}
	if st := q.stmts.inTx(ctx, q.tx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}
