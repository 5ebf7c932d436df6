package sqlite

import (
	"database/sql"
	"strings"
)

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
