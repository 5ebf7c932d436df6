package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
)

const batchColumns = `id, org_id, state, provider, account, target_id, strict, row_count, created_at, updated_at,
	callback_url, round, notified_round`

func scanBatch(row pgx.Row) (store.Batch, error) {
	var b store.Batch
	err := row.Scan(&b.ID, &b.OrgID, &b.State, &b.Provider, &b.Account, &b.TargetID, &b.Strict, &b.Rows,
		&b.CreatedAt, &b.UpdatedAt, &b.CallbackURL, &b.Round, &b.NotifiedRound)
	return b, err
}

// CreateBatch inserts the batch or, on its id, reads the one there: the
// DO NOTHING leaves an existing row alone, and the read that follows finds
// it (in the org, or ErrNotFound, which is another org's id: ErrConflict).
func (s *Store) CreateBatch(ctx context.Context, b store.Batch) (store.Batch, bool, error) {
	row := s.q.QueryRow(ctx,
		`INSERT INTO batches (id, org_id, state, provider, account, target_id, strict, row_count, created_at, updated_at, callback_url)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 0, COALESCE($8, now()), COALESCE($8, now()), $9)
		ON CONFLICT (id) DO NOTHING
		RETURNING `+batchColumns,
		b.ID, b.OrgID, orDefault(b.State, store.BatchImporting), b.Provider, b.Account, b.TargetID, b.Strict, timeArg(b.CreatedAt), b.CallbackURL)
	out, err := scanBatch(row)
	if err == nil {
		return out, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return store.Batch{}, false, translate("create batch", err)
	}
	out, err = s.GetBatch(ctx, b.OrgID, b.ID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Batch{}, false, fmt.Errorf("postgres: create batch: %w: id %s is another org's", store.ErrConflict, b.ID)
	}
	return out, false, err
}

func (s *Store) GetBatch(ctx context.Context, orgID int64, id string) (store.Batch, error) {
	row := s.q.QueryRow(ctx, `SELECT `+batchColumns+` FROM batches WHERE org_id = $1 AND id = $2`, orgID, id)
	b, err := scanBatch(row)
	return b, translate("get batch", err)
}

func (s *Store) ListBatches(ctx context.Context, n int) ([]store.Batch, error) {
	rows, err := s.q.Query(ctx, `SELECT `+batchColumns+` FROM batches ORDER BY created_at DESC, id DESC LIMIT $1`, limit(n, 50))
	bs, err := collect(rows, err, func(row pgx.Row) (store.Batch, error) { return scanBatch(row) })
	return bs, translate("list batches", err)
}

// SetBatchState updates the batch unless it is canceled; a statement that
// matched nothing tells the two apart with a read.
func (s *Store) SetBatchState(ctx context.Context, orgID int64, id, state string, rows int) error {
	tag, err := s.q.Exec(ctx,
		`UPDATE batches SET state = $3, row_count = CASE WHEN $4::int >= 0 THEN $4::int ELSE row_count END, updated_at = now()
		WHERE org_id = $1 AND id = $2 AND state <> $5`, orgID, id, state, rows, store.BatchCanceled)
	if err != nil {
		return translate("set batch state", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	if _, err := s.GetBatch(ctx, orgID, id); err != nil {
		return err
	}
	return translate("set batch state", store.ErrFinished)
}

// batchRowColumns are the columns AddBatchRows writes, in order.
const batchRowColumns = `org_id, batch_id, line, phone_number, provider, account, user_id, target_id, e164,
	connection_id, status, column_name, code, reason, run, job_id`

// AddBatchRows inserts the rows in one statement whose 16 parameters are
// arrays, a column each, zipped by unnest: a page of 500 rows is 16
// parameters to bind and a plan as small as one row's, where a VALUES list
// would be 8,000 parameters and a plan growing with the page.
func (s *Store) AddBatchRows(ctx context.Context, rows []store.BatchRow) ([]int, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	var (
		orgIDs      []int64
		lines, runs []int32
		batchIDs, phones, providers, accounts, users, targets, e164s,
		conns, statuses, columns, codes, reasons, jobIDs []string
	)
	for _, r := range rows {
		orgIDs, batchIDs, lines = append(orgIDs, r.OrgID), append(batchIDs, r.BatchID), append(lines, int32(r.Line))
		phones, providers, accounts = append(phones, r.PhoneNumber), append(providers, r.Provider), append(accounts, r.Account)
		users, targets, e164s = append(users, r.UserID), append(targets, r.TargetID), append(e164s, r.E164)
		conns, statuses, columns = append(conns, r.ConnectionID), append(statuses, r.Status), append(columns, r.Column)
		codes, reasons, runs, jobIDs = append(codes, r.Code), append(reasons, r.Reason), append(runs, int32(r.Run)), append(jobIDs, r.JobID)
	}
	rs, err := s.q.Query(ctx,
		`INSERT INTO batch_rows (`+batchRowColumns+`)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::integer[], $16::text[])
		ON CONFLICT (batch_id, line) DO NOTHING RETURNING line`,
		orgIDs, batchIDs, lines, phones, providers, accounts, users, targets, e164s, conns, statuses, columns, codes, reasons, runs, jobIDs)
	inserted, err := collect(rs, err, func(row pgx.Row) (int, error) {
		var n int
		return n, row.Scan(&n)
	})
	slices.Sort(inserted)
	return inserted, translate("add batch rows", err)
}

func scanBatchRow(row pgx.Row) (store.BatchRow, error) {
	var r store.BatchRow
	err := row.Scan(&r.OrgID, &r.BatchID, &r.Line, &r.PhoneNumber, &r.Provider, &r.Account, &r.UserID, &r.TargetID, &r.E164,
		&r.ConnectionID, &r.Status, &r.Column, &r.Code, &r.Reason, &r.Run, &r.JobID)
	return r, err
}

func (s *Store) ListBatchRows(ctx context.Context, f store.BatchRowFilter) ([]store.BatchRow, error) {
	var w where
	w.add("org_id = ?", f.OrgID)
	w.add("batch_id = ?", f.BatchID)
	w.add("line > ?", f.AfterLine)
	if f.Statuses != nil {
		w.add("status = ANY(?)", f.Statuses)
	}
	n := w.arg(limit(f.Limit, 100))
	rows, err := s.q.Query(ctx, `SELECT `+batchRowColumns+` FROM batch_rows`+w.String()+` ORDER BY line LIMIT `+n, w.args...)
	rs, err := collect(rows, err, scanBatchRow)
	return rs, translate("list batch rows", err)
}

func (s *Store) SetBatchRowsStatus(ctx context.Context, orgID int64, batchID string, lines []int, from []string, to string) (int, error) {
	tag, err := s.q.Exec(ctx,
		`UPDATE batch_rows SET status = $5
		WHERE org_id = $1 AND batch_id = $2 AND line = ANY($3) AND status = ANY($4)`, orgID, batchID, lines, from, to)
	if err != nil {
		return 0, translate("set batch rows status", err)
	}
	return int(tag.RowsAffected()), nil
}

func (s *Store) RetryBatchRow(ctx context.Context, orgID int64, batchID string, line, run int, jobID string) error {
	tag, err := s.q.Exec(ctx,
		`UPDATE batch_rows SET status = $6, run = $4, job_id = $5, code = '', reason = ''
		WHERE org_id = $1 AND batch_id = $2 AND line = $3 AND run = $4 - 1 AND status = $7`,
		orgID, batchID, line, run, jobID, store.RowPending, store.RowFailed)
	return affected("retry batch row", tag, err)
}

// FinishBatchRows repeats, as its second condition, the predicate of the
// partial index batch_rows_job (a job id that is not empty): neither
// planner can tell from "job_id = ?" alone that the bound value is never
// empty, so without it each finished batch job scanned all of batch_rows
// (SQLite always; PostgreSQL in a generic plan).
func (s *Store) FinishBatchRows(ctx context.Context, orgID int64, jobID, status, code, reason string) (int, error) {
	tag, err := s.q.Exec(ctx,
		`UPDATE batch_rows SET status = $3, code = $4, reason = $5
		WHERE job_id = $2 AND job_id <> '' AND org_id = $1 AND status IN ($6, $7)`,
		orgID, jobID, status, code, reason, store.RowPending, store.RowQueued)
	if err != nil {
		return 0, translate("finish batch rows", err)
	}
	return int(tag.RowsAffected()), nil
}

func (s *Store) CountBatchRows(ctx context.Context, orgID int64, batchID string) (store.BatchCounts, error) {
	rows, err := s.q.Query(ctx,
		`SELECT status, CASE WHEN status IN ($3, $4) THEN code ELSE '' END, count(*)
		FROM batch_rows WHERE org_id = $1 AND batch_id = $2 GROUP BY 1, 2`,
		orgID, batchID, store.RowInvalid, store.RowFailed)
	type count struct {
		status, code string
		n            int
	}
	cs, err := collect(rows, err, func(row pgx.Row) (count, error) {
		var c count
		return c, row.Scan(&c.status, &c.code, &c.n)
	})
	if err != nil {
		return store.BatchCounts{}, translate("count batch rows", err)
	}
	out := store.BatchCounts{ByStatus: map[string]int{}, ByCode: map[string]int{}}
	for _, c := range cs {
		out.ByStatus[c.status] += c.n
		if c.code != "" {
			out.ByCode[c.code] += c.n
		}
	}
	return out, nil
}

func (s *Store) NumbersInUse(ctx context.Context, orgID int64, batchID string, e164s []string) (map[string]store.NumberUse, error) {
	out := map[string]store.NumberUse{}
	if len(e164s) == 0 {
		return out, nil
	}
	rows, err := s.q.Query(ctx,
		`SELECT u.e164, '', 0 FROM unnest($3::text[]) AS u (e164)
			JOIN LATERAL (SELECT 1 FROM numbers n WHERE n.org_id = $1 AND n.e164 = u.e164) AS n ON true
		UNION ALL
		SELECT u.e164, b.batch_id, b.line FROM unnest($3::text[]) AS u (e164)
			JOIN LATERAL (SELECT batch_id, line FROM batch_rows
				WHERE org_id = $1 AND e164 = u.e164 AND status IN ('pending', 'queued') AND batch_id <> $2
				LIMIT 1) AS b ON true`,
		orgID, batchID, e164s)
	type use struct {
		e164 string
		store.NumberUse
	}
	us, err := collect(rows, err, func(row pgx.Row) (use, error) {
		var u use
		return u, row.Scan(&u.e164, &u.BatchID, &u.Line)
	})
	if err != nil {
		return nil, translate("numbers in use", err)
	}
	for _, u := range us {
		if old, ok := out[u.e164]; !ok || old.BatchID != "" {
			out[u.e164] = u.NumberUse // the inventory wins
		}
	}
	return out, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (s *Store) NextBatchRound(ctx context.Context, orgID int64, id string) (int, error) {
	var round int
	err := s.q.QueryRow(ctx, `UPDATE batches SET round = round + 1, updated_at = now() WHERE org_id = $1 AND id = $2 RETURNING round`,
		orgID, id).Scan(&round)
	return round, translate("next batch round", err)
}

// CompleteBatch locks the batch row first (FOR UPDATE), then checks its
// rows in a statement of its own: under READ COMMITTED that statement sees
// every transaction that held the lock before, so of two transactions
// finishing a batch's last two rows, the second to get the lock sees the
// first's row finished, and exactly one of them completes the round. A
// single UPDATE ... WHERE NOT EXISTS would not do: each would check the
// rows in a snapshot without the other's, and neither would complete it.
func (s *Store) CompleteBatch(ctx context.Context, orgID int64, id string) (store.BatchCompletion, bool, error) {
	var round int
	err := s.q.QueryRow(ctx, `SELECT round FROM batches
		WHERE org_id = $1 AND id = $2 AND callback_url <> '' AND notified_round < round FOR UPDATE`, orgID, id).Scan(&round)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.BatchCompletion{}, false, nil
	} else if err != nil {
		return store.BatchCompletion{}, false, translate("complete batch", err)
	}
	err = s.q.QueryRow(ctx, `UPDATE batches b SET notified_round = round
		WHERE org_id = $1 AND id = $2 AND state = $3 AND notified_round < round
		AND NOT EXISTS (SELECT 1 FROM batch_rows r WHERE r.batch_id = b.id AND r.status IN ($4, $5))
		RETURNING round`, orgID, id, store.BatchImported, store.RowPending, store.RowQueued).Scan(&round)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.BatchCompletion{}, false, nil
	} else if err != nil {
		return store.BatchCompletion{}, false, translate("complete batch", err)
	}
	counts, err := s.CountBatchRows(ctx, orgID, id)
	return store.BatchCompletion{Round: round, Counts: counts}, err == nil, err
}
