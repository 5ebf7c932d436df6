package sqlite

import (
	"context"
	"time"

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
	row := queryRow(ctx, s.w,
		`INSERT INTO links (org_id, number_id, target_id, status, job_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		RETURNING `+linkColumns,
		l.OrgID, l.NumberID, l.TargetID, l.Status, l.JobID,
		timeValue(orNow(l.CreatedAt)), nullTimeValue(l.UpdatedAt))
	out, err := scanLink(row)
	return out, s.translate("create link", err)
}

func (s *Store) GetLink(ctx context.Context, orgID int64, numberID string) (store.Link, error) {
	row := queryRow(ctx, s.r,
		`SELECT `+linkColumns+` FROM links WHERE org_id = ? AND number_id = ?`, orgID, numberID)
	l, err := scanLink(row)
	return l, s.translate("get link", err)
}

// SetLinkStatus matches the link by org, number and target, so a worker
// cannot change a link another job made to another target.
func (s *Store) SetLinkStatus(ctx context.Context, orgID int64, numberID, targetID, status string) (store.Link, error) {
	row := queryRow(ctx, s.w,
		`UPDATE links SET status = ?, updated_at = ?
		WHERE org_id = ? AND number_id = ? AND target_id = ?
		RETURNING `+linkColumns,
		status, timeValue(time.Now()), orgID, numberID, targetID)
	l, err := scanLink(row)
	return l, s.translate("set link status", err)
}

func (s *Store) ActivateLink(ctx context.Context, orgID int64, numberID, targetID string) (store.Link, error) {
	row := queryRow(ctx, s.w,
		`UPDATE links SET status = ?
		WHERE org_id = ? AND number_id = ? AND target_id = ?
		RETURNING `+linkColumns,
		store.LinkActive, orgID, numberID, targetID)
	l, err := scanLink(row)
	return l, s.translate("activate link", err)
}

func (s *Store) DeleteLink(ctx context.Context, orgID int64, numberID, targetID string) error {
	res, err := s.w.ExecContext(ctx,
		`DELETE FROM links WHERE org_id = ? AND number_id = ? AND target_id = ?`,
		orgID, numberID, targetID)
	return s.affected("delete link", res, err)
}

func scanLinkedNumber(row scanner) (store.LinkedNumber, error) {
	var l store.LinkedNumber
	err := row.Scan(&l.OrgID, &l.NumberID, &l.TargetID, &l.Status, &l.JobID,
		timeColumn{&l.CreatedAt}, nullTimeColumn{&l.UpdatedAt}, &l.E164, &l.Provider)
	return l, err
}

// ListLinks lists the target's links whether or not the target is deleted:
// unlink jobs find a deleted target's links this way.
func (s *Store) ListLinks(ctx context.Context, orgID int64, targetID, status string) ([]store.LinkedNumber, error) {
	var w where
	w.add("l.org_id = ?", orgID)
	w.add("l.target_id = ?", targetID)
	if status != "" {
		w.add("l.status = ?", status)
	}
	rows, err := s.r.QueryContext(ctx,
		`SELECT l.org_id, l.number_id, l.target_id, l.status, l.job_id, l.created_at, l.updated_at,
			n.e164, n.provider
		FROM links l JOIN numbers n ON n.org_id = l.org_id AND n.id = l.number_id`+w.String()+`
		ORDER BY l.created_at, l.number_id`, w.args...)
	ls, err := collect(rows, err, scanLinkedNumber)
	return ls, s.translate("list links", err)
}
