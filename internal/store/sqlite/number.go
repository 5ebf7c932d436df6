package sqlite

import (
	"context"
	"encoding/json"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
)

// connection_id is NULL when the number has no connection; it reads back
// as "".
const numberColumns = `id, org_id, user_id, e164, provider, COALESCE(connection_id, ''),
	provider_ref, voice, original, job_id, created_at, updated_at`

func scanNumber(row scanner) (store.Number, error) {
	var n store.Number
	err := row.Scan(&n.ID, &n.OrgID, &n.UserID, &n.E164, &n.Provider, &n.ConnectionID,
		&n.ProviderRef, jsonColumn{&n.Voice}, jsonColumn{&n.Original}, &n.JobID,
		timeColumn{&n.CreatedAt}, timeColumn{&n.UpdatedAt})
	return n, err
}

// CreateNumber adds n. The UNIQUE (org_id, e164) constraint answers
// ErrConflict when the org already has the number; the foreign keys answer
// ErrNotFound when the user or connection is not the org's.
func (s *Store) CreateNumber(ctx context.Context, n store.Number) (store.Number, error) {
	created := orNow(n.CreatedAt)
	updated := n.UpdatedAt
	if updated.IsZero() {
		updated = created
	}
	row := queryRow(ctx, s.w,
		`INSERT INTO numbers (id, org_id, user_id, e164, provider, connection_id,
			provider_ref, voice, original, job_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?)
		RETURNING `+numberColumns,
		n.ID, n.OrgID, n.UserID, n.E164, n.Provider, n.ConnectionID,
		n.ProviderRef, jsonValue(n.Voice), jsonValue(n.Original), n.JobID,
		timeValue(created), timeValue(updated))
	out, err := scanNumber(row)
	return out, s.translate("create number", err)
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

// ListAvailableNumbers lists the org's numbers that no link claims,
// pending or active.
func (s *Store) ListAvailableNumbers(ctx context.Context, orgID int64) ([]store.Number, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+numberColumns+` FROM numbers
		WHERE org_id = ? AND NOT EXISTS (SELECT 1 FROM links WHERE links.number_id = numbers.id)
		ORDER BY e164`, orgID)
	ns, err := collect(rows, err, scanNumber)
	return ns, s.translate("list available numbers", err)
}
