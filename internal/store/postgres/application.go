package postgres

import (
	"context"

	"github.com/switchboardhq/switchboard/internal/store"
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
// (connectionID, name), keeping its created_at, when fence is not below
// the stored one. The fence check is the upsert's WHERE, so it holds
// against concurrent saves; a statement that changed no row met a higher
// fence. An unknown connection is ErrNotFound.
func (s *Store) SaveApplication(ctx context.Context, connectionID, name, appID string, fence int64) error {
	// First the insert-only record, which a stale save makes too.
	if _, err := s.q.Exec(ctx,
		`INSERT INTO recorded_applications (connection_id, app_id, name)
		VALUES ($1, $2, $3) ON CONFLICT (connection_id, app_id) DO NOTHING`,
		connectionID, appID, name); err != nil {
		return translate("record application", err)
	}
	tag, err := s.q.Exec(ctx,
		`INSERT INTO applications (connection_id, name, app_id, fence)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (connection_id, name) DO UPDATE
			SET app_id = excluded.app_id, fence = excluded.fence, updated_at = excluded.updated_at
			WHERE applications.fence <= excluded.fence`,
		connectionID, name, appID, fence)
	return matched("save application", tag, err, store.ErrStale)
}

func (s *Store) ApplicationRecorded(ctx context.Context, connectionID, appID string) (bool, error) {
	var found bool
	err := s.q.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM recorded_applications WHERE connection_id = $1 AND app_id = $2)`,
		connectionID, appID,
	).Scan(&found)
	return found, translate("application recorded", err)
}
