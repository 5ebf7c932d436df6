package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchboardhq/switchboard/internal/store"
)

// managedElsewhere is the unique index on (provider, provider_ref).
const managedElsewhere = "numbers_provider_ref"

// SQLSTATE codes the store translates.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// translate turns PostgreSQL's refusals into the store's errors, keeping
// the original error in the chain for the message.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	}
	var e *pgconn.PgError
	if errors.As(err, &e) {
		switch e.Code {
		case uniqueViolation:
			if e.ConstraintName == managedElsewhere {
				return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrManagedElsewhere, err)
			}
			return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrConflict, err)
		case foreignKeyViolation:
			// The row referred to (an org, user, number...) does not
			// exist, or not in this org.
			return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrNotFound, err)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// affected is translate for an UPDATE or DELETE run with Exec: a statement
// that matched no row is ErrNotFound.
func affected(op string, tag pgconn.CommandTag, err error) error {
	return matched(op, tag, err, store.ErrNotFound)
}

// matched is affected with the error to answer when no row changed.
func matched(op string, tag pgconn.CommandTag, err, none error) error {
	if err != nil {
		return translate(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s: %w", op, none)
	}
	return nil
}
