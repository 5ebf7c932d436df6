package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
)

// connection_id is NULL when the number has no connection; it reads back
// as "".
const numberColumns = `id, org_id, user_id, e164, provider, COALESCE(connection_id, ''),
	provider_ref, voice, original, job_id, created_at, updated_at`

func scanNumber(row pgx.Row) (store.Number, error) {
	var n store.Number
	err := row.Scan(&n.ID, &n.OrgID, &n.UserID, &n.E164, &n.Provider, &n.ConnectionID,
		&n.ProviderRef, &n.Voice, &n.Original, &n.JobID, &n.CreatedAt, &n.UpdatedAt)
	return n, err
}

// CreateNumber adds n. The UNIQUE (org_id, e164) constraint answers
// ErrConflict when the org already has the number; the foreign keys answer
// ErrNotFound when the user or connection is not the org's. Voice and
// Original come back as jsonb prints them, which may differ in spacing and
// key order from what was written.
func (s *Store) CreateNumber(ctx context.Context, n store.Number) (store.Number, error) {
	row := s.q.QueryRow(ctx,
		`INSERT INTO numbers (id, org_id, user_id, e164, provider, connection_id,
			provider_ref, voice, original, job_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), $7, $8, $9, $10,
			COALESCE($11, now()), COALESCE($12, $11, now()))
		RETURNING `+numberColumns,
		n.ID, n.OrgID, n.UserID, n.E164, n.Provider, n.ConnectionID,
		n.ProviderRef, n.Voice, n.Original, n.JobID,
		timeArg(n.CreatedAt), timeArg(n.UpdatedAt))
	out, err := scanNumber(row)
	return out, translate("create number", err)
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

// ListAvailableNumbers lists the org's numbers that no link claims,
// pending or active.
func (s *Store) ListAvailableNumbers(ctx context.Context, orgID int64) ([]store.Number, error) {
	rows, err := s.q.Query(ctx,
		`SELECT `+numberColumns+` FROM numbers
		WHERE org_id = $1 AND NOT EXISTS (SELECT 1 FROM links WHERE links.number_id = numbers.id)
		ORDER BY e164`, orgID)
	ns, err := collect(rows, err, scanNumber)
	return ns, translate("list available numbers", err)
}
