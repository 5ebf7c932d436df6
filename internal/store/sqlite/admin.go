package sqlite

import (
	"context"

	"github.com/switchboardhq/switchboard/internal/store"
)

func (s *Store) RecordAdminAction(ctx context.Context, a store.AdminAction) (store.AdminAction, error) {
	a.At = orNow(a.At).UTC()
	err := queryRow(ctx, s.w,
		`INSERT INTO admin_actions (at, actor, action, target, count, detail) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		timeValue(a.At), a.Actor, a.Action, a.Target, a.Count, a.Detail).Scan(&a.ID)
	return a, s.translate("record admin action", err)
}

func (s *Store) ListAdminActions(ctx context.Context, n int) ([]store.AdminAction, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT id, at, actor, action, target, count, detail FROM admin_actions ORDER BY id DESC LIMIT ?`, limit(n, 50))
	as, err := collect(rows, err, func(row scanner) (store.AdminAction, error) {
		var a store.AdminAction
		err := row.Scan(&a.ID, timeColumn{&a.At}, &a.Actor, &a.Action, &a.Target, &a.Count, &a.Detail)
		return a, err
	})
	return as, s.translate("list admin actions", err)
}
