package postgres

import (
	"context"
)

// Applications are not org-scoped: a connection id is unique across orgs.

func (s *Store) GetApplication(ctx context.Context, connectionID, name string) (string, error) {
	var appID string
	err := s.q.QueryRow(ctx,
		`SELECT app_id FROM applications WHERE connection_id = $1 AND name = $2`,
		connectionID, name,
	).Scan(&appID)
	return appID, translate("get application", err)
}

// SaveApplication inserts the id, or replaces the one already saved for
// (connectionID, name), keeping its created_at. An unknown connection is
// ErrNotFound.
func (s *Store) SaveApplication(ctx context.Context, connectionID, name, appID string) error {
	_, err := s.q.Exec(ctx,
		`INSERT INTO applications (connection_id, name, app_id)
		VALUES ($1, $2, $3)
		ON CONFLICT (connection_id, name) DO UPDATE
			SET app_id = excluded.app_id, updated_at = excluded.updated_at`,
		connectionID, name, appID)
	return translate("save application", err)
}
