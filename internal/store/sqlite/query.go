package sqlite

import (
	"context"
	"database/sql"
	"strings"
)

// querier runs statements: a *sql.DB (the writer or the reader pool) or,
// inside InTx, the transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// row is the first row of a query, like *sql.Row, but built on QueryContext
// so that a transaction that refuses statements can refuse it too.
type row struct {
	rows *sql.Rows
	err  error
}

func queryRow(ctx context.Context, q querier, query string, args ...any) row {
	rows, err := q.QueryContext(ctx, query, args...)
	return row{rows: rows, err: err}
}

// Scan scans the first row into dest; sql.ErrNoRows when there is none.
func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}

// where builds a query's WHERE clause from conditions that depend on a
// filter, keeping the arguments in step with the ? placeholders.
type where struct {
	conds []string
	args  []any
}

// add appends cond, which has a ? for each of args.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// arg appends an argument used after the WHERE clause (a LIMIT) and
// returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "?"
}

// String is the clause, with a leading space; "" without conditions.
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// limit is n, or def when n is not positive.
func limit(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// collect scans every row of a query with scan. It answers nil when there
// is no row.
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
