package postgres

import (
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// where builds a query's WHERE clause from conditions that depend on a
// filter, numbering the placeholders as the arguments accumulate.
type where struct {
	conds []string
	args  []any
}

// add appends cond, written with a ? for each of args; each ? becomes the
// argument's $n.
func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		cond = strings.Replace(cond, "?", w.arg(a), 1)
	}
	w.conds = append(w.conds, cond)
}

// arg appends an argument and returns its placeholder, for arguments used
// after the WHERE clause (a LIMIT).
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
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
func collect[T any](rows pgx.Rows, err error, scan func(pgx.Row) (T, error)) ([]T, error) {
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
