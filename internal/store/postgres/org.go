package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
)

const orgColumns = `id, name, created_at`

func scanOrg(row pgx.Row) (store.Org, error) {
	var o store.Org
	err := row.Scan(&o.ID, &o.Name, &o.CreatedAt)
	return o, err
}

// CreateOrg adds an org; the identity column picks the id. ErrConflict when
// the name is taken.
func (s *Store) CreateOrg(ctx context.Context, name string) (store.Org, error) {
	row := s.q.QueryRow(ctx,
		`INSERT INTO orgs (name) VALUES ($1) RETURNING `+orgColumns, name)
	o, err := scanOrg(row)
	return o, translate("create org", err)
}

func (s *Store) GetOrg(ctx context.Context, id int64) (store.Org, error) {
	row := s.q.QueryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id = $1`, id)
	o, err := scanOrg(row)
	return o, translate("get org", err)
}

func (s *Store) GetOrgByName(ctx context.Context, name string) (store.Org, error) {
	row := s.q.QueryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE name = $1`, name)
	o, err := scanOrg(row)
	return o, translate("get org by name", err)
}
