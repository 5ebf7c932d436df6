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
