package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
)

// InTx runs fn in a pgx transaction (READ COMMITTED, PostgreSQL's default)
// with a Store whose statements all run in it. Inside a transaction it runs
// fn directly. A panic in fn rolls the transaction back and goes on.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	if s.inTx {
		return fn(s)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return translate("begin", err)
	}
	done := false
	defer func() {
		if !done {
			// Even when ctx is why fn failed, so the connection goes
			// back to the pool clean rather than being closed.
			tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(&Store{pool: s.pool, q: tx, inTx: true}); err != nil {
		return err
	}
	done = true
	err = tx.Commit(ctx)
	if errors.Is(err, pgx.ErrTxCommitRollback) {
		// fn went on after a failed statement and returned nil.
		return fmt.Errorf("postgres: commit: transaction aborted by an earlier error, rolled back: %w", err)
	}
	return translate("commit", err)
}
