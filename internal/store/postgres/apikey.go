package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
)

func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	_, err := s.q.Exec(ctx,
		`INSERT INTO api_keys (id, org_id, hash, created_at)
		VALUES ($1, $2, $3, COALESCE($4, now()))`,
		k.ID, k.OrgID, k.Hash, timeArg(k.CreatedAt))
	return translate("create api key", err)
}

// GetAPIKey is not org-scoped: the key's id is how the org is found.
func (s *Store) GetAPIKey(ctx context.Context, id string) (store.APIKey, error) {
	var k store.APIKey
	err := s.q.QueryRow(ctx,
		`SELECT id, org_id, hash, created_at FROM api_keys WHERE id = $1`, id,
	).Scan(&k.ID, &k.OrgID, &k.Hash, &k.CreatedAt)
	return k, translate("get api key", err)
}

func (s *Store) ListAPIKeys(ctx context.Context, orgID int64) ([]store.APIKey, error) {
	rows, err := s.q.Query(ctx,
		`SELECT id, org_id, hash, created_at FROM api_keys WHERE org_id = $1 ORDER BY created_at, id`, orgID)
	ks, err := collect(rows, err, func(row pgx.Row) (store.APIKey, error) {
		var k store.APIKey
		err := row.Scan(&k.ID, &k.OrgID, &k.Hash, &k.CreatedAt)
		return k, err
	})
	return ks, translate("list api keys", err)
}

func (s *Store) DeleteAPIKey(ctx context.Context, id string) error {
	tag, err := s.q.Exec(ctx, `DELETE FROM api_keys WHERE id = $1`, id)
	return affected("delete api key", tag, err)
}
