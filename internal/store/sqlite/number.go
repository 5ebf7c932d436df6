package sqlite

import (
	"context"

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
	row := s.db.QueryRowContext(ctx,
		`INSERT INTO numbers (id, org_id, user_id, e164, provider, connection_id,
			provider_ref, voice, original, job_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?)
		RETURNING `+numberColumns,
		n.ID, n.OrgID, n.UserID, n.E164, n.Provider, n.ConnectionID,
		n.ProviderRef, jsonValue(n.Voice), jsonValue(n.Original), n.JobID,
		timeValue(created), timeValue(updated))
	out, err := scanNumber(row)
	return out, translate("create number", err)
}

func (s *Store) GetNumber(ctx context.Context, orgID int64, e164 string) (store.Number, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT `+numberColumns+` FROM numbers WHERE org_id = ? AND e164 = ?`, orgID, e164)
	n, err := scanNumber(row)
	return n, translate("get number", err)
}
