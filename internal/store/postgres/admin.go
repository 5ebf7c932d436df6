package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
)

func (s *Store) RecordAdminAction(ctx context.Context, a store.AdminAction) (store.AdminAction, error) {
	err := s.q.QueryRow(ctx,
		`INSERT INTO admin_actions (at, actor, action, target, count, detail)
		VALUES (COALESCE($1, now()), $2, $3, $4, $5, $6) RETURNING id, at`,
		timeArg(a.At), a.Actor, a.Action, a.Target, a.Count, a.Detail).Scan(&a.ID, &a.At)
	a.At = a.At.UTC()
	return a, translate("record admin action", err)
}

func (s *Store) ListAdminActions(ctx context.Context, n int) ([]store.AdminAction, error) {
	rows, err := s.q.Query(ctx,
		`SELECT id, at, actor, action, target, count, detail FROM admin_actions ORDER BY id DESC LIMIT $1`, limit(n, 50))
	as, err := collect(rows, err, func(row pgx.Row) (store.AdminAction, error) {
		var a store.AdminAction
		err := row.Scan(&a.ID, &a.At, &a.Actor, &a.Action, &a.Target, &a.Count, &a.Detail)
		a.At = a.At.UTC()
		return a, err
	})
	return as, translate("list admin actions", err)
}
