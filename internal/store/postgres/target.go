package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
)

const targetColumns = `id, org_id, kind, name, answer_url, hangup_url, created_at, deleted_at`

func scanTarget(row pgx.Row) (store.Target, error) {
	var t store.Target
	err := row.Scan(&t.ID, &t.OrgID, &t.Kind, &t.Name, &t.AnswerURL, &t.HangupURL,
		&t.CreatedAt, &t.DeletedAt)
	return t, err
}

// CreateTarget adds t. A kind other than store.TargetApp or
// store.TargetAgent fails the table's CHECK constraint.
func (s *Store) CreateTarget(ctx context.Context, t store.Target) (store.Target, error) {
	row := s.q.QueryRow(ctx,
		`INSERT INTO targets (id, org_id, kind, name, answer_url, hangup_url, created_at, deleted_at)
		VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, now()), $8)
		RETURNING `+targetColumns,
		t.ID, t.OrgID, t.Kind, t.Name, t.AnswerURL, t.HangupURL, timeArg(t.CreatedAt), t.DeletedAt)
	out, err := scanTarget(row)
	return out, translate("create target", err)
}

func (s *Store) GetTarget(ctx context.Context, orgID int64, id string) (store.Target, error) {
	row := s.q.QueryRow(ctx,
		`SELECT `+targetColumns+` FROM targets
		WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL`, orgID, id)
	t, err := scanTarget(row)
	return t, translate("get target", err)
}

// DeleteTarget sets deleted_at; the row stays, and so do its links.
func (s *Store) DeleteTarget(ctx context.Context, orgID int64, id string) error {
	tag, err := s.q.Exec(ctx,
		`UPDATE targets SET deleted_at = now()
		WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL`, orgID, id)
	return affected("delete target", tag, err)
}
