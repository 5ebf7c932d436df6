package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/switchboardhq/switchboard/internal/store"
)

// translate turns SQLite's refusals into the store's errors, keeping the
// original error in the chain for the message. The driver enables extended
// result codes, so a constraint failure says which kind it was.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	}
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			// The row referred to (an org, user, number...) does not
			// exist, or not in this org.
			return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrNotFound, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// affected is translate for an UPDATE or DELETE run with Exec: a statement
// that matched no row is ErrNotFound.
func affected(op string, res sql.Result, err error) error {
	if err != nil {
		return translate(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(op, err)
	}
	if n == 0 {
		return translate(op, sql.ErrNoRows)
	}
	return nil
}
