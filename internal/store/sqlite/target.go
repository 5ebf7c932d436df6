package sqlite

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
)

const targetColumns = `id, org_id, kind, name, answer_url, hangup_url, created_at, deleted_at`

func scanTarget(row scanner) (store.Target, error) {
	var t store.Target
	err := row.Scan(&t.ID, &t.OrgID, &t.Kind, &t.Name, &t.AnswerURL, &t.HangupURL,
		timeColumn{&t.CreatedAt}, nullTimeColumn{&t.DeletedAt})
	return t, err
}

// CreateTarget adds t. A kind other than store.TargetApp or
// store.TargetAgent fails the table's CHECK constraint.
func (s *Store) CreateTarget(ctx context.Context, t store.Target) (store.Target, error) {
	row := queryRow(ctx, s.w,
		`INSERT INTO targets (id, org_id, kind, name, answer_url, hangup_url, created_at, deleted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING `+targetColumns,
		t.ID, t.OrgID, t.Kind, t.Name, t.AnswerURL, t.HangupURL,
		timeValue(orNow(t.CreatedAt)), nullTimeValue(t.DeletedAt))
	out, err := scanTarget(row)
	return out, s.translate("create target", err)
}

func (s *Store) GetTarget(ctx context.Context, orgID int64, id string) (store.Target, error) {
	row := queryRow(ctx, s.r,
		`SELECT `+targetColumns+` FROM targets
		WHERE org_id = ? AND id = ? AND deleted_at IS NULL`, orgID, id)
	t, err := scanTarget(row)
	return t, s.translate("get target", err)
}

// DeleteTarget sets deleted_at; the row stays, and so do its links.
func (s *Store) DeleteTarget(ctx context.Context, orgID int64, id string) error {
	res, err := s.w.ExecContext(ctx,
		`UPDATE targets SET deleted_at = ?
		WHERE org_id = ? AND id = ? AND deleted_at IS NULL`,
		timeValue(time.Now()), orgID, id)
	return s.affected("delete target", res, err)
}
