package sqlite

import (
	"context"

	"github.com/switchboardhq/switchboard/internal/store"
)

func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	_, err := s.w.ExecContext(ctx,
		`INSERT INTO api_keys (id, org_id, hash, created_at) VALUES (?, ?, ?, ?)`,
		k.ID, k.OrgID, k.Hash, timeValue(orNow(k.CreatedAt)))
	return s.translate("create api key", err)
}

// GetAPIKey is not org-scoped: the key's id is how the org is found.
func (s *Store) GetAPIKey(ctx context.Context, id string) (store.APIKey, error) {
	var k store.APIKey
	err := queryRow(ctx, s.r,
		`SELECT id, org_id, hash, created_at FROM api_keys WHERE id = ?`, id,
	).Scan(&k.ID, &k.OrgID, &k.Hash, timeColumn{&k.CreatedAt})
	return k, s.translate("get api key", err)
}

func (s *Store) ListAPIKeys(ctx context.Context, orgID int64) ([]store.APIKey, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT id, org_id, hash, created_at FROM api_keys WHERE org_id = ? ORDER BY created_at, id`, orgID)
	ks, err := collect(rows, err, func(row scanner) (store.APIKey, error) {
		var k store.APIKey
		err := row.Scan(&k.ID, &k.OrgID, &k.Hash, timeColumn{&k.CreatedAt})
		return k, err
	})
	return ks, s.translate("list api keys", err)
}

func (s *Store) DeleteAPIKey(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, id)
	return s.affected("delete api key", res, err)
}
