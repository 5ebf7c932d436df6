package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
)

const linkColumns = `org_id, number_id, target_id, status, job_id, created_at, updated_at`

func scanLink(row pgx.Row) (store.Link, error) {
	var l store.Link
	err := row.Scan(&l.OrgID, &l.NumberID, &l.TargetID, &l.Status, &l.JobID,
		&l.CreatedAt, &l.UpdatedAt)
	return l, err
}

// CreateLink links l.NumberID to l.TargetID. number_id is the table's
// primary key, so a second link for the number, to any target, is
// ErrConflict however many callers race.
func (s *Store) CreateLink(ctx context.Context, l store.Link) (store.Link, error) {
	row := s.pool.QueryRow(ctx,
		`INSERT INTO links (org_id, number_id, target_id, status, job_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()), $7)
		RETURNING `+linkColumns,
		l.OrgID, l.NumberID, l.TargetID, l.Status, l.JobID, timeArg(l.CreatedAt), l.UpdatedAt)
	out, err := scanLink(row)
	return out, translate("create link", err)
}

func (s *Store) GetLink(ctx context.Context, orgID int64, numberID string) (store.Link, error) {
	row := s.pool.QueryRow(ctx,
		`SELECT `+linkColumns+` FROM links WHERE org_id = $1 AND number_id = $2`, orgID, numberID)
	l, err := scanLink(row)
	return l, translate("get link", err)
}
