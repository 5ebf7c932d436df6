package sqlite

import (
	"context"

	"github.com/switchboardhq/switchboard/internal/store"
)

const targetColumns = `id, org_id, kind, name, answer_url, hangup_url, created_at`

func scanTarget(row scanner) (store.Target, error) {
	var t store.Target
	err := row.Scan(&t.ID, &t.OrgID, &t.Kind, &t.Name, &t.AnswerURL, &t.HangupURL,
		timeColumn{&t.CreatedAt})
	return t, err
}

// CreateTarget adds t. A kind other than store.TargetApp or
// store.TargetAgent fails the table's CHECK constraint.
func (s *Store) CreateTarget(ctx context.Context, t store.Target) (store.Target, error) {
	row := s.db.QueryRowContext(ctx,
		`INSERT INTO targets (id, org_id, kind, name, answer_url, hangup_url, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		RETURNING `+targetColumns,
		t.ID, t.OrgID, t.Kind, t.Name, t.AnswerURL, t.HangupURL, timeValue(orNow(t.CreatedAt)))
	out, err := scanTarget(row)
	return out, translate("create target", err)
}

func (s *Store) GetTarget(ctx context.Context, orgID int64, id string) (store.Target, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT `+targetColumns+` FROM targets WHERE org_id = ? AND id = ?`, orgID, id)
	t, err := scanTarget(row)
	return t, translate("get target", err)
}
