package sqlite

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

const connectionColumns = `id, org_id, provider, account_id, credentials, created_at, updated_at`

func scanConnection(row scanner) (store.Connection, error) {
	var c store.Connection
	err := row.Scan(&c.ID, &c.OrgID, &c.Provider, &c.AccountID, &c.Credentials,
		timeColumn{&c.CreatedAt}, timeColumn{&c.UpdatedAt})
	return c, err
}

// UpsertConnection inserts c, or, when the org already has a connection to
// the same provider account, replaces that row's credentials and keeps its
// id and created_at. One statement, so two racing upserts cannot both insert.
func (s *Store) UpsertConnection(ctx context.Context, c store.Connection) (store.Connection, error) {
	created := orNow(c.CreatedAt)
	updated := c.UpdatedAt
	if updated.IsZero() {
		updated = created
	}
	row := queryRow(ctx, s.w,
		`INSERT INTO connections (id, org_id, provider, account_id, credentials, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id, provider, account_id) DO UPDATE
			SET credentials = excluded.credentials, updated_at = excluded.updated_at
		RETURNING `+connectionColumns,
		c.ID, c.OrgID, c.Provider, c.AccountID, c.Credentials,
		timeValue(created), timeValue(updated))
	out, err := scanConnection(row)
	return out, s.translate("upsert connection", err)
}

func (s *Store) GetConnection(ctx context.Context, orgID int64, id string) (store.Connection, error) {
	row := queryRow(ctx, s.r,
		`SELECT `+connectionColumns+` FROM connections WHERE org_id = ? AND id = ?`, orgID, id)
	c, err := scanConnection(row)
	return c, s.translate("get connection", err)
}

// GetConnectionByAccount reads the row the (org_id, provider, account_id)
// constraint keeps unique; its index serves the lookup.
func (s *Store) GetConnectionByAccount(ctx context.Context, orgID int64, provider, accountID string) (store.Connection, error) {
	row := queryRow(ctx, s.r,
		`SELECT `+connectionColumns+` FROM connections
		WHERE org_id = ? AND provider = ? AND account_id = ?`, orgID, provider, accountID)
	c, err := scanConnection(row)
	return c, s.translate("get connection by account", err)
}

func (s *Store) ListConnections(ctx context.Context, orgID int64) ([]store.Connection, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+connectionColumns+` FROM connections WHERE org_id = ? ORDER BY created_at, id`, orgID)
	cs, err := collect(rows, err, scanConnection)
	return cs, s.translate("list connections", err)
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
		rows, err := s.r.QueryContext(ctx,
			`SELECT `+connectionColumns+` FROM connections WHERE id > ? ORDER BY id LIMIT ?`, after, resealPage)
		page, err := collect(rows, err, scanConnection)
		if err != nil {
			return changed, s.translate("list connections to reseal", err)
		}
		for _, c := range page {
			sealed, ok, err := reseal(c)
			if err != nil {
				return changed, err
			}
			if !ok {
				continue
			}
			res, err := s.w.ExecContext(ctx,
				`UPDATE connections SET credentials = ?, updated_at = ? WHERE id = ? AND credentials = ?`,
				sealed, timeValue(time.Now()), c.ID, c.Credentials)
			if err != nil {
				return changed, s.translate("reseal connection", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return changed, s.translate("reseal connection", err)
			}
			changed += int(n)
		}
		if len(page) < resealPage {
			return changed, nil
		}
		after = page[len(page)-1].ID
	}
}
