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
	row := s.q.QueryRow(ctx,
		`INSERT INTO links (org_id, number_id, target_id, status, job_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()), $7)
		RETURNING `+linkColumns,
		l.OrgID, l.NumberID, l.TargetID, l.Status, l.JobID, timeArg(l.CreatedAt), l.UpdatedAt)
	out, err := scanLink(row)
	return out, translate("create link", err)
}

func (s *Store) GetLink(ctx context.Context, orgID int64, numberID string) (store.Link, error) {
	row := s.q.QueryRow(ctx,
		`SELECT `+linkColumns+` FROM links WHERE org_id = $1 AND number_id = $2`, orgID, numberID)
	l, err := scanLink(row)
	return l, translate("get link", err)
}

// SetLinkStatus matches the link by org, number and target, so a worker
// cannot change a link another job made to another target.
func (s *Store) SetLinkStatus(ctx context.Context, orgID int64, numberID, targetID, status string) (store.Link, error) {
	row := s.q.QueryRow(ctx,
		`UPDATE links SET status = $1, updated_at = now()
		WHERE org_id = $2 AND number_id = $3 AND target_id = $4
		RETURNING `+linkColumns,
		status, orgID, numberID, targetID)
	l, err := scanLink(row)
	return l, translate("set link status", err)
}

func (s *Store) ActivateLink(ctx context.Context, orgID int64, numberID, targetID string) (store.Link, error) {
	row := s.q.QueryRow(ctx,
		`UPDATE links SET status = $1
		WHERE org_id = $2 AND number_id = $3 AND target_id = $4
		RETURNING `+linkColumns,
		store.LinkActive, orgID, numberID, targetID)
	l, err := scanLink(row)
	return l, translate("activate link", err)
}

func (s *Store) DeleteLink(ctx context.Context, orgID int64, numberID, targetID string) error {
	tag, err := s.q.Exec(ctx,
		`DELETE FROM links WHERE org_id = $1 AND number_id = $2 AND target_id = $3`,
		orgID, numberID, targetID)
	return affected("delete link", tag, err)
}

func scanLinkedNumber(row pgx.Row) (store.LinkedNumber, error) {
	var l store.LinkedNumber
	err := row.Scan(&l.OrgID, &l.NumberID, &l.TargetID, &l.Status, &l.JobID,
		&l.CreatedAt, &l.UpdatedAt, &l.E164, &l.Provider)
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
	rows, err := s.q.Query(ctx,
		`SELECT l.org_id, l.number_id, l.target_id, l.status, l.job_id, l.created_at, l.updated_at,
			n.e164, n.provider
		FROM links l JOIN numbers n ON n.org_id = l.org_id AND n.id = l.number_id`+w.String()+`
		ORDER BY l.created_at, l.number_id`, w.args...)
	ls, err := collect(rows, err, scanLinkedNumber)
	return ls, translate("list links", err)
}
