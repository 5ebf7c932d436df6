package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
)

const userColumns = `id, org_id, name, created_at`

func scanUser(row pgx.Row) (store.User, error) {
	var u store.User
	err := row.Scan(&u.ID, &u.OrgID, &u.Name, &u.CreatedAt)
	return u, err
}

func (s *Store) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	row := s.q.QueryRow(ctx,
		`INSERT INTO users (id, org_id, name, created_at)
		VALUES ($1, $2, $3, COALESCE($4, now()))
		RETURNING `+userColumns,
		u.ID, u.OrgID, u.Name, timeArg(u.CreatedAt))
	out, err := scanUser(row)
	return out, translate("create user", err)
}

func (s *Store) GetUser(ctx context.Context, orgID int64, id string) (store.User, error) {
	row := s.q.QueryRow(ctx,
		`SELECT `+userColumns+` FROM users WHERE org_id = $1 AND id = $2`, orgID, id)
	u, err := scanUser(row)
	return u, translate("get user", err)
}
