package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboardhq/switchboard/internal/store"
)

// InTx runs fn in a transaction (READ COMMITTED, PostgreSQL's default)
// with a Store whose statements all run in it. Inside a transaction it runs
// fn directly. A panic in fn rolls the transaction back and goes on.
//
// The BEGIN is not a round trip of its own: it travels with the
// transaction's first statement (see txConn), so a transaction of n
// statements costs n+1 round trips, the COMMIT included, not n+2.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	if s.inTx {
		return fn(s)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return translate("begin", err)
	}
	// A connection released inside a transaction (a failed ROLLBACK) is
	// closed by the pool, never reused.
	defer conn.Release()
	tx := &txConn{conn: conn}
	done := false
	defer func() {
		if !done && tx.begun {
			// Even when ctx is why fn failed, so the connection goes
			// back to the pool clean rather than being closed.
			_, _ = conn.Exec(context.WithoutCancel(ctx), "rollback")
		}
	}()
	if err := fn(&Store{pool: s.pool, q: tx, inTx: true}); err != nil {
		return err
	}
	done = true
	if !tx.begun {
		return nil // fn ran no statement: nothing to commit
	}
	tag, err := conn.Exec(ctx, "commit")
	if err == nil && tag.String() == "ROLLBACK" {
		// fn went on after a failed statement and returned nil.
		return fmt.Errorf("postgres: commit: transaction aborted by an earlier error, rolled back: %w", pgx.ErrTxCommitRollback)
	}
	return translate("commit", err)
}

// txConn runs a transaction's statements on one connection. The first
// statement is sent in one batch after a BEGIN, a single round trip; the
// ones after it run as they are.
type txConn struct {
	conn  *pgxpool.Conn
	begun bool
}

// begin sends BEGIN and sql in one batch and reads BEGIN's answer. The
// caller reads sql's and closes the batch.
func (c *txConn) begin(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	var b pgx.Batch
	b.Queue("begin")
	b.Queue(sql, args...)
	br := c.conn.SendBatch(ctx, &b)
	// Sent is enough: if BEGIN failed the connection is not in a
	// transaction, and InTx's ROLLBACK then only draws a warning.
	c.begun = true
	if _, err := br.Exec(); err != nil {
		return nil, errors.Join(err, br.Close())
	}
	return br, nil
}

func (c *txConn) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if c.begun {
		return c.conn.Exec(ctx, sql, args...)
	}
	br, err := c.begin(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (c *txConn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if c.begun {
		return c.conn.Query(ctx, sql, args...)
	}
	br, err := c.begin(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, errors.Join(err, br.Close())
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (c *txConn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if c.begun {
		return c.conn.QueryRow(ctx, sql, args...)
	}
	rows, err := c.Query(ctx, sql, args...)
	return &batchRow{rows: rows, err: err}
}

// batchRows are the rows of a batch's last statement: closing them closes
// the batch, which frees the connection.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if !r.closed {
		r.closed = true
		r.err = r.br.Close()
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// Next closes the batch once the last row is read, as pgx.Rows closes
// itself.
func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

// batchRow is QueryRow's answer over batchRows, scanning as pgx's does: the
// first row, or pgx.ErrNoRows.
type batchRow struct {
	rows pgx.Rows
	err  error
}

func (r *batchRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
