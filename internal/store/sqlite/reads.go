package sqlite

import (
	"context"

	"github.com/switchboardhq/switchboard/internal/store"
)

// ReadAddPhone runs the three reads one after the other: SQLite runs in
// the process, with no round trip to save.
func (s *Store) ReadAddPhone(ctx context.Context, q store.AddPhoneQuery) store.AddPhoneReads {
	var r store.AddPhoneReads
	r.Job, r.JobErr = s.GetJob(ctx, q.OrgID, q.JobID)
	r.Number, r.NumberErr = s.GetNumber(ctx, q.OrgID, q.E164)
	r.Connection, r.ConnectionErr = s.GetConnectionByAccount(ctx, q.OrgID, q.Provider, q.AccountID)
	return r
}
