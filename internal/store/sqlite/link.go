package sqlite

import (
	"context"

	"github.com/switchboardhq/switchboard/internal/store"
)

const linkColumns = `org_id, number_id, target_id, status, job_id, created_at, updated_at`

func scanLink(row scanner) (store.Link, error) {
	var l store.Link
	err := row.Scan(&l.OrgID, &l.NumberID, &l.TargetID, &l.Status, &l.JobID,
		timeColumn{&l.CreatedAt}, nullTimeColumn{&l.UpdatedAt})
	return l, err
}

// CreateLink links l.NumberID to l.TargetID. number_id is the table's
// primary key, so a second link for the number, to any target, is
// ErrConflict however many callers race.
func (s *Store) CreateLink(ctx context.Context, l store.Link) (store.Link, error) {
	row := s.db.QueryRowContext(ctx,
		`INSERT INTO links (org_id, number_id, target_id, status, job_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		RETURNING `+linkColumns,
		l.OrgID, l.NumberID, l.TargetID, l.Status, l.JobID,
		timeValue(orNow(l.CreatedAt)), nullTimeValue(l.UpdatedAt))
	out, err := scanLink(row)
	return out, translate("create link", err)
}

func (s *Store) GetLink(ctx context.Context, orgID int64, numberID string) (store.Link, error) {
	row := s.db.QueryRowContext(ctx,
		`SELECT `+linkColumns+` FROM links WHERE org_id = ? AND number_id = ?`, orgID, numberID)
	l, err := scanLink(row)
	return l, translate("get link", err)
}
