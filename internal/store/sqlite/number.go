package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
)

// connection_id is NULL when the number has no connection; it reads back
// as "".
const numberColumns = `id, org_id, user_id, e164, provider, COALESCE(connection_id, ''),
	provider_ref, voice, original, job_id, state, created_at, updated_at`

func scanNumber(row scanner) (store.Number, error) {
	var n store.Number
	err := row.Scan(&n.ID, &n.OrgID, &n.UserID, &n.E164, &n.Provider, &n.ConnectionID,
		&n.ProviderRef, jsonColumn{&n.Voice}, jsonColumn{&n.Original}, &n.JobID, &n.State,
		timeColumn{&n.CreatedAt}, timeColumn{&n.UpdatedAt})
	return n, err
}

// CreateNumber adds n; the foreign keys answer ErrNotFound when the user
// or connection is not the org's.
//
// The INSERT does nothing on any unique conflict, and a second query says
// which it was, own org first. Letting the INSERT fail instead would
// report whichever index SQLite checked first (the newest), not that
// precedence, and would abort the caller's transaction.
func (s *Store) CreateNumber(ctx context.Context, n store.Number) (store.Number, error) {
	state := n.State
	if state == "" {
		state = store.NumberActive
	}
	created := orNow(n.CreatedAt)
	updated := n.UpdatedAt
	if updated.IsZero() {
		updated = created
	}
	for range 3 {
		row := queryRow(ctx, s.w,
			`INSERT INTO numbers (id, org_id, user_id, e164, provider, connection_id,
				provider_ref, voice, original, job_id, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING
			RETURNING `+numberColumns,
			n.ID, n.OrgID, n.UserID, n.E164, n.Provider, n.ConnectionID,
			n.ProviderRef, jsonValue(n.Voice), jsonValue(n.Original), n.JobID, state,
			timeValue(created), timeValue(updated))
		out, err := scanNumber(row)
		if !errors.Is(err, sql.ErrNoRows) {
			return out, s.translate("create number", err)
		}
		// On the writer, so the rows in the way are those the INSERT saw.
		var own, elsewhere bool
		err = queryRow(ctx, s.w,
			`SELECT
				EXISTS (SELECT 1 FROM numbers WHERE id = ? OR (org_id = ? AND e164 = ?)),
				EXISTS (SELECT 1 FROM numbers WHERE provider = ? AND provider_ref = ? AND provider_ref <> '')`,
			n.ID, n.OrgID, n.E164, n.Provider, n.ProviderRef,
		).Scan(&own, &elsewhere)
		switch {
		case err != nil:
			return store.Number{}, s.translate("create number", err)
		case own:
			return store.Number{}, fmt.Errorf("sqlite: create number: %w: org %d already has %s, or id %s is taken",
				store.ErrConflict, n.OrgID, n.E164, n.ID)
		case elsewhere:
			return store.Number{}, fmt.Errorf("sqlite: create number: %w: %s %s",
				store.ErrManagedElsewhere, n.Provider, n.ProviderRef)
		}
		// The row in the way was deleted meanwhile (a released claim).
	}
	return store.Number{}, fmt.Errorf("sqlite: create number: %w: the conflicting row keeps changing", store.ErrConflict)
}

func (s *Store) GetNumber(ctx context.Context, orgID int64, e164 string) (store.Number, error) {
	row := queryRow(ctx, s.r,
		`SELECT `+numberColumns+` FROM numbers WHERE org_id = ? AND e164 = ?`, orgID, e164)
	n, err := scanNumber(row)
	return n, s.translate("get number", err)
}

// UpdateNumberVoice replaces the number's voice configuration (nil stores
// NULL) and sets updated_at.
func (s *Store) UpdateNumberVoice(ctx context.Context, orgID int64, numberID string, voice json.RawMessage) error {
	res, err := s.w.ExecContext(ctx,
		`UPDATE numbers SET voice = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
		jsonValue(voice), timeValue(time.Now()), orgID, numberID)
	return s.affected("update number voice", res, err)
}

// ActivateNumber matches the number by org and id, whatever its state.
func (s *Store) ActivateNumber(ctx context.Context, orgID int64, numberID string, voice json.RawMessage) error {
	res, err := s.w.ExecContext(ctx,
		`UPDATE numbers SET voice = ?, state = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
		jsonValue(voice), store.NumberActive, timeValue(time.Now()), orgID, numberID)
	return s.affected("activate number", res, err)
}

// DeleteNumber deletes the row only while no link refers to it.
func (s *Store) DeleteNumber(ctx context.Context, orgID int64, numberID, jobID string) error {
	res, err := s.w.ExecContext(ctx,
		`DELETE FROM numbers
		WHERE org_id = ? AND id = ? AND job_id = ?
			AND NOT EXISTS (SELECT 1 FROM links WHERE links.number_id = numbers.id)`,
		orgID, numberID, jobID)
	return s.affected("delete number", res, err)
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
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+numberColumns+` FROM numbers`+w.String()+` ORDER BY id LIMIT `+n, w.args...)
	ns, err := collect(rows, err, scanNumber)
	return ns, s.translate("list numbers", err)
}

// ListAvailableNumbers lists the org's active numbers that no link
// claims, pending or active.
func (s *Store) ListAvailableNumbers(ctx context.Context, orgID int64) ([]store.Number, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+numberColumns+` FROM numbers
		WHERE org_id = ? AND state = ?
			AND NOT EXISTS (SELECT 1 FROM links WHERE links.number_id = numbers.id)
		ORDER BY e164`, orgID, store.NumberActive)
	ns, err := collect(rows, err, scanNumber)
	return ns, s.translate("list available numbers", err)
}
