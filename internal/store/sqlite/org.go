package sqlite

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
)

const orgColumns = `id, name, created_at`

func scanOrg(row scanner) (store.Org, error) {
	var o store.Org
	err := row.Scan(&o.ID, &o.Name, timeColumn{&o.CreatedAt})
	return o, err
}

// CreateOrg adds an org; SQLite picks the id. ErrConflict when the name is
// taken.
func (s *Store) CreateOrg(ctx context.Context, name string) (store.Org, error) {
	row := queryRow(ctx, s.w,
		`INSERT INTO orgs (name, created_at) VALUES (?, ?) RETURNING `+orgColumns,
		name, timeValue(time.Now()))
	o, err := scanOrg(row)
	return o, s.translate("create org", err)
}

func (s *Store) GetOrg(ctx context.Context, id int64) (store.Org, error) {
	row := queryRow(ctx, s.r, `SELECT `+orgColumns+` FROM orgs WHERE id = ?`, id)
	o, err := scanOrg(row)
	return o, s.translate("get org", err)
}

func (s *Store) GetOrgByName(ctx context.Context, name string) (store.Org, error) {
	row := queryRow(ctx, s.r, `SELECT `+orgColumns+` FROM orgs WHERE name = ?`, name)
	o, err := scanOrg(row)
	return o, s.translate("get org by name", err)
}
