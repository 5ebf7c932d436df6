package sqlite

import (
	"context"
	"time"
)

// Applications are not org-scoped: a connection id is unique across orgs.

func (s *Store) GetApplication(ctx context.Context, connectionID, name string) (string, error) {
	var appID string
	err := queryRow(ctx, s.r,
		`SELECT app_id FROM applications WHERE connection_id = ? AND name = ?`,
		connectionID, name,
	).Scan(&appID)
	return appID, s.translate("get application", err)
}

// SaveApplication inserts the id, or replaces the one already saved for
// (connectionID, name), keeping its created_at. An unknown connection is
// ErrNotFound.
func (s *Store) SaveApplication(ctx context.Context, connectionID, name, appID string) error {
	now := timeValue(time.Now())
	_, err := s.w.ExecContext(ctx,
		`INSERT INTO applications (connection_id, name, app_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (connection_id, name) DO UPDATE
			SET app_id = excluded.app_id, updated_at = excluded.updated_at`,
		connectionID, name, appID, now, now)
	return s.translate("save application", err)
}
