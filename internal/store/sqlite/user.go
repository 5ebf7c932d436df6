package sqlite

import (
	"context"

	"github.com/switchboardhq/switchboard/internal/store"
)

const userColumns = `id, org_id, name, created_at`

func scanUser(row scanner) (store.User, error) {
	var u store.User
	err := row.Scan(&u.ID, &u.OrgID, &u.Name, timeColumn{&u.CreatedAt})
	return u, err
}

func (s *Store) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	row := queryRow(ctx, s.w,
		`INSERT INTO users (id, org_id, name, created_at) VALUES (?, ?, ?, ?)
		RETURNING `+userColumns,
		u.ID, u.OrgID, u.Name, timeValue(orNow(u.CreatedAt)))
	out, err := scanUser(row)
	return out, s.translate("create user", err)
}

func (s *Store) GetUser(ctx context.Context, orgID int64, id string) (store.User, error) {
	row := queryRow(ctx, s.r,
		`SELECT `+userColumns+` FROM users WHERE org_id = ? AND id = ?`, orgID, id)
	u, err := scanUser(row)
	return u, s.translate("get user", err)
}
