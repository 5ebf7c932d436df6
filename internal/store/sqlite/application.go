package sqlite

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
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
// (connectionID, name), keeping its created_at, when fence is not below
// the stored one. The fence check is the upsert's WHERE, so it holds
// against concurrent saves; a statement that changed no row met a higher
// fence. An unknown connection is ErrNotFound.
func (s *Store) SaveApplication(ctx context.Context, connectionID, name, appID string, fence int64) error {
	now := timeValue(time.Now())
	// First the insert-only record, which a stale save makes too.
	if _, err := s.w.ExecContext(ctx,
		`INSERT INTO recorded_applications (connection_id, app_id, name, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (connection_id, app_id) DO NOTHING`,
		connectionID, appID, name, now); err != nil {
		return s.translate("record application", err)
	}
	res, err := s.w.ExecContext(ctx,
		`INSERT INTO applications (connection_id, name, app_id, fence, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (connection_id, name) DO UPDATE
			SET app_id = excluded.app_id, fence = excluded.fence, updated_at = excluded.updated_at
			WHERE applications.fence <= excluded.fence`,
		connectionID, name, appID, fence, now, now)
	return s.matched("save application", res, err, store.ErrStale)
}

func (s *Store) ApplicationRecorded(ctx context.Context, connectionID, appID string) (bool, error) {
	var found bool
	err := queryRow(ctx, s.r,
		`SELECT EXISTS (SELECT 1 FROM recorded_applications WHERE connection_id = ? AND app_id = ?)`,
		connectionID, appID,
	).Scan(&found)
	return found, s.translate("application recorded", err)
}
