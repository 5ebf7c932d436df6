package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
)

// connection_id is NULL when the number has no connection; it reads back
// as "".
const numberColumns = `id, org_id, user_id, e164, provider, COALESCE(connection_id, ''),
	provider_ref, voice, original, job_id, state, created_at, updated_at`

func scanNumber(row pgx.Row) (store.Number, error) {
	var n store.Number
	err := row.Scan(&n.ID, &n.OrgID, &n.UserID, &n.E164, &n.Provider, &n.ConnectionID,
		&n.ProviderRef, &n.Voice, &n.Original, &n.JobID, &n.State, &n.CreatedAt, &n.UpdatedAt)
	return n, err
}

// CreateNumber adds n; the foreign keys answer ErrNotFound when the user
// or connection is not the org's. Voice and Original come back as jsonb
// prints them, which may differ in spacing and key order from what was
// written.
//
// The INSERT does nothing on any unique conflict, and a second query says
// which it was, own org first. Letting the INSERT fail instead would
// report whichever index PostgreSQL checked first, not that precedence,
// and would abort the caller's transaction.
func (s *Store) CreateNumber(ctx context.Context, n store.Number) (store.Number, error) {
	state := n.State
	if state == "" {
		state = store.NumberActive
	}
	for range 3 {
		row := s.q.QueryRow(ctx,
			`INSERT INTO numbers (id, org_id, user_id, e164, provider, connection_id,
				provider_ref, voice, original, job_id, state, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), $7, $8, $9, $10, $11,
				COALESCE($12, now()), COALESCE($13, $12, now()))
			ON CONFLICT DO NOTHING
			RETURNING `+numberColumns,
			n.ID, n.OrgID, n.UserID, n.E164, n.Provider, n.ConnectionID,
			n.ProviderRef, n.Voice, n.Original, n.JobID, state,
			timeArg(n.CreatedAt), timeArg(n.UpdatedAt))
		out, err := scanNumber(row)
		if !errors.Is(err, pgx.ErrNoRows) {
			return out, translate("create number", err)
		}
		// A conflicting row is committed (or this transaction's own):
		// ON CONFLICT waited for any writer still inserting it.
		var own, elsewhere bool
		err = s.q.QueryRow(ctx,
			`SELECT
				EXISTS (SELECT 1 FROM numbers WHERE id = $1 OR (org_id = $2 AND e164 = $3)),
				EXISTS (SELECT 1 FROM numbers WHERE provider = $4 AND provider_ref = $5 AND provider_ref <> '')`,
			n.ID, n.OrgID, n.E164, n.Provider, n.ProviderRef,
		).Scan(&own, &elsewhere)
		switch {
		case err != nil:
			return store.Number{}, translate("create number", err)
		case own:
			return store.Number{}, fmt.Errorf("postgres: create number: %w: org %d already has %s, or id %s is taken",
				store.ErrConflict, n.OrgID, n.E164, n.ID)
		case elsewhere:
			return store.Number{}, fmt.Errorf("postgres: create number: %w: %s %s",
				store.ErrManagedElsewhere, n.Provider, n.ProviderRef)
		}
		// The row in the way was deleted meanwhile (a released claim).
	}
	return store.Number{}, fmt.Errorf("postgres: create number: %w: the conflicting row keeps changing", store.ErrConflict)
}

func (s *Store) GetNumber(ctx context.Context, orgID int64, e164 string) (store.Number, error) {
	row := s.q.QueryRow(ctx,
		`SELECT `+numberColumns+` FROM numbers WHERE org_id = $1 AND e164 = $2`, orgID, e164)
	n, err := scanNumber(row)
	return n, translate("get number", err)
}

// UpdateNumberVoice replaces the number's voice configuration (nil stores
// NULL) and sets updated_at.
func (s *Store) UpdateNumberVoice(ctx context.Context, orgID int64, numberID string, voice json.RawMessage) error {
	tag, err := s.q.Exec(ctx,
		`UPDATE numbers SET voice = $1, updated_at = now() WHERE org_id = $2 AND id = $3`,
		voice, orgID, numberID)
	return affected("update number voice", tag, err)
}

// ActivateNumber matches the number by org and id, whatever its state.
func (s *Store) ActivateNumber(ctx context.Context, orgID int64, numberID string, voice json.RawMessage) error {
	tag, err := s.q.Exec(ctx,
		`UPDATE numbers SET voice = $1, state = $2, updated_at = now() WHERE org_id = $3 AND id = $4`,
		voice, store.NumberActive, orgID, numberID)
	return affected("activate number", tag, err)
}

// DeleteNumber deletes the row only while no link refers to it. A link
// committed between the check and the delete fails the links foreign key,
// which is ErrNotFound too.
func (s *Store) DeleteNumber(ctx context.Context, orgID int64, numberID, jobID string) error {
	tag, err := s.q.Exec(ctx,
		`DELETE FROM numbers
		WHERE org_id = $1 AND id = $2 AND job_id = $3
			AND NOT EXISTS (SELECT 1 FROM links WHERE links.number_id = numbers.id)`,
		orgID, numberID, jobID)
	return affected("delete number", tag, err)
}

// ListNumbers pages through numbers by id; the primary key serves the
// order and the AfterID bound.
func (s *Store) ListNumbers(ctx context.Context, f store.NumberFilter) ([]store.Number, error) {
	var w where
	w.add("id > ?", f.AfterID)
	if f.OrgID != 0 {
		w.add("org_id = ?", f.OrgID)
	}
	n := w.arg(limit(f.Limit, 100))
	rows, err := s.q.Query(ctx,
		`SELECT `+numberColumns+` FROM numbers`+w.String()+` ORDER BY id LIMIT `+n, w.args...)
	ns, err := collect(rows, err, scanNumber)
	return ns, translate("list numbers", err)
}

// ListAvailableNumbers lists the org's active numbers that no link
// claims, pending or active.
func (s *Store) ListAvailableNumbers(ctx context.Context, orgID int64) ([]store.Number, error) {
	rows, err := s.q.Query(ctx,
		`SELECT `+numberColumns+` FROM numbers
		WHERE org_id = $1 AND state = $2
			AND NOT EXISTS (SELECT 1 FROM links WHERE links.number_id = numbers.id)
		ORDER BY e164`, orgID, store.NumberActive)
	ns, err := collect(rows, err, scanNumber)
	return ns, translate("list available numbers", err)
}
