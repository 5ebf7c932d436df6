package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/switchboardhq/switchboard/internal/store"
)

// managedElsewhere is how SQLite names the numbers_provider_ref index in a
// UNIQUE failure: by its columns, "UNIQUE constraint failed:
// numbers.provider, numbers.provider_ref".
const managedElsewhere = "numbers.provider, numbers.provider_ref"

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
			if strings.Contains(e.Error(), managedElsewhere) {
				return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrManagedElsewhere, err)
			}
			return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			// The row referred to (an org, user, number...) does not
			// exist, or not in this org.
			return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrNotFound, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// translate is translate for a statement of s: inside a transaction, a
// failure also aborts the transaction (see InTx).
func (s *Store) translate(op string, err error) error {
	if err != nil && s.tx != nil {
		s.tx.fail(err)
	}
	return translate(op, err)
}

// scanner is a *sql.Rows or a row.
type scanner interface {
	Scan(dest ...any) error
}

// affected is translate for an UPDATE or DELETE run with Exec: a statement
// that matched no row is ErrNotFound.
func (s *Store) affected(op string, res sql.Result, err error) error {
	return s.matched(op, res, err, store.ErrNotFound)
}

// matched is affected with the error to answer when no row matched.
func (s *Store) matched(op string, res sql.Result, err, none error) error {
	if err != nil {
		return s.translate(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.translate(op, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: %s: %w", op, none)
	}
	return nil
}
