package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
)

// ReadAddPhone sends the three reads in one batch: one round trip. Inside
// a transaction it runs them one after the other.
func (s *Store) ReadAddPhone(ctx context.Context, q store.AddPhoneQuery) store.AddPhoneReads {
	var r store.AddPhoneReads
	if s.inTx {
		r.Job, r.JobErr = s.GetJob(ctx, q.OrgID, q.JobID)
		r.Number, r.NumberErr = s.GetNumber(ctx, q.OrgID, q.E164)
		r.Connection, r.ConnectionErr = s.GetConnectionByAccount(ctx, q.OrgID, q.Provider, q.AccountID)
		return r
	}
	var b pgx.Batch
	b.Queue(`SELECT `+jobColumns+` FROM jobs WHERE org_id = $1 AND id = $2`, q.OrgID, q.JobID)
	b.Queue(`SELECT `+numberColumns+` FROM numbers WHERE org_id = $1 AND e164 = $2`, q.OrgID, q.E164)
	b.Queue(`SELECT `+connectionColumns+` FROM connections
		WHERE org_id = $1 AND provider = $2 AND account_id = $3`, q.OrgID, q.Provider, q.AccountID)
	br := s.pool.SendBatch(ctx, &b)
	r.Job, r.JobErr = scanJob(br.QueryRow())
	r.JobErr = translate("get job", r.JobErr)
	r.Number, r.NumberErr = scanNumber(br.QueryRow())
	r.NumberErr = translate("get number", r.NumberErr)
	r.Connection, r.ConnectionErr = scanConnection(br.QueryRow())
	r.ConnectionErr = translate("get connection by account", r.ConnectionErr)
	// Every result is read, so closing finds no error the reads did not
	// answer (a batch that failed as a whole fails each of them).
	_ = br.Close()
	return r
}
