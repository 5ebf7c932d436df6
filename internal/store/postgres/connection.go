package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

const connectionColumns = `id, org_id, provider, account_id, credentials, created_at, updated_at`

func scanConnection(row pgx.Row) (store.Connection, error) {
	var c store.Connection
	err := row.Scan(&c.ID, &c.OrgID, &c.Provider, &c.AccountID, &c.Credentials,
		&c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// UpsertConnection inserts c, or, when the org already has a connection to
// the same provider account, replaces that row's credentials and keeps its
// id and created_at. One statement, so two racing upserts cannot both insert.
func (s *Store) UpsertConnection(ctx context.Context, c store.Connection) (store.Connection, error) {
	row := s.q.QueryRow(ctx,
		`INSERT INTO connections (id, org_id, provider, account_id, credentials, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()), COALESCE($7, $6, now()))
		ON CONFLICT (org_id, provider, account_id) DO UPDATE
			SET credentials = excluded.credentials, updated_at = excluded.updated_at
		RETURNING `+connectionColumns,
		c.ID, c.OrgID, c.Provider, c.AccountID, string(c.Credentials),
		timeArg(c.CreatedAt), timeArg(c.UpdatedAt))
	out, err := scanConnection(row)
	return out, translate("upsert connection", err)
}

func (s *Store) GetConnection(ctx context.Context, orgID int64, id string) (store.Connection, error) {
	row := s.q.QueryRow(ctx,
		`SELECT `+connectionColumns+` FROM connections WHERE org_id = $1 AND id = $2`, orgID, id)
	c, err := scanConnection(row)
	return c, translate("get connection", err)
}

// GetConnectionByAccount reads the row the (org_id, provider, account_id)
// constraint keeps unique; its index serves the lookup.
func (s *Store) GetConnectionByAccount(ctx context.Context, orgID int64, provider, accountID string) (store.Connection, error) {
	row := s.q.QueryRow(ctx,
		`SELECT `+connectionColumns+` FROM connections
		WHERE org_id = $1 AND provider = $2 AND account_id = $3`, orgID, provider, accountID)
	c, err := scanConnection(row)
	return c, translate("get connection by account", err)
}

func (s *Store) ListConnections(ctx context.Context, orgID int64) ([]store.Connection, error) {
	rows, err := s.q.Query(ctx,
		`SELECT `+connectionColumns+` FROM connections WHERE org_id = $1 ORDER BY created_at, id`, orgID)
	cs, err := collect(rows, err, scanConnection)
	return cs, translate("list connections", err)
}

// resealPage is how many connections ResealConnections reads at a time.
const resealPage = 100

// ResealConnections reads a page of connections by id (the primary key
// serves the order and the bound), closes the read, then offers each row
// to reseal. The UPDATE names the credentials read, so a row an
// UpsertConnection replaced in between matches nothing and keeps its
// value.
func (s *Store) ResealConnections(ctx context.Context, reseal func(store.Connection) (jobs.Sealed, bool, error)) (int, error) {
	changed := 0
	after := ""
	for {
		rows, err := s.q.Query(ctx,
			`SELECT `+connectionColumns+` FROM connections WHERE id > $1 ORDER BY id LIMIT $2`, after, resealPage)
		page, err := collect(rows, err, scanConnection)
		if err != nil {
			return changed, translate("list connections to reseal", err)
		}
		for _, c := range page {
			sealed, ok, err := reseal(c)
			if err != nil {
				return changed, err
			}
			if !ok {
				continue
			}
			tag, err := s.q.Exec(ctx,
				`UPDATE connections SET credentials = $1, updated_at = now() WHERE id = $2 AND credentials = $3`,
				string(sealed), c.ID, string(c.Credentials))
			if err != nil {
				return changed, translate("reseal connection", err)
			}
			changed += int(tag.RowsAffected())
		}
		if len(page) < resealPage {
			return changed, nil
		}
		after = page[len(page)-1].ID
	}
}
