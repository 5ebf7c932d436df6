package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
)

const batchColumns = `id, org_id, state, provider, account, target_id, strict, row_count, created_at, updated_at,
	callback_url, round, notified_round`

func scanBatch(row scanner) (store.Batch, error) {
	var b store.Batch
	err := row.Scan(&b.ID, &b.OrgID, &b.State, &b.Provider, &b.Account, &b.TargetID, &b.Strict, &b.Rows,
		timeColumn{&b.CreatedAt}, timeColumn{&b.UpdatedAt}, &b.CallbackURL, &b.Round, &b.NotifiedRound)
	return b, err
}

// CreateBatch inserts the batch or, on its id, reads the one there: the
// DO NOTHING leaves an existing row alone, and the read that follows finds
// it (in the org, or ErrNotFound, which is another org's id: ErrConflict).
func (s *Store) CreateBatch(ctx context.Context, b store.Batch) (store.Batch, bool, error) {
	created := timeValue(orNow(b.CreatedAt))
	state := b.State
	if state == "" {
		state = store.BatchImporting
	}
	row := queryRow(ctx, s.w,
		`INSERT INTO batches (id, org_id, state, provider, account, target_id, strict, row_count, created_at, updated_at, callback_url)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING
		RETURNING `+batchColumns,
		b.ID, b.OrgID, state, b.Provider, b.Account, b.TargetID, b.Strict, created, created, b.CallbackURL)
	out, err := scanBatch(row)
	if err == nil {
		return out, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return store.Batch{}, false, s.translate("create batch", err)
	}
	out, err = s.GetBatch(ctx, b.OrgID, b.ID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Batch{}, false, fmt.Errorf("sqlite: create batch: %w: id %s is another org's", store.ErrConflict, b.ID)
	}
	return out, false, err
}

func (s *Store) GetBatch(ctx context.Context, orgID int64, id string) (store.Batch, error) {
	row := queryRow(ctx, s.r, `SELECT `+batchColumns+` FROM batches WHERE org_id = ? AND id = ?`, orgID, id)
	b, err := scanBatch(row)
	return b, s.translate("get batch", err)
}

func (s *Store) ListBatches(ctx context.Context, n int) ([]store.Batch, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+batchColumns+` FROM batches ORDER BY created_at DESC, id DESC LIMIT ?`, limit(n, 50))
	bs, err := collect(rows, err, func(row scanner) (store.Batch, error) { return scanBatch(row) })
	return bs, s.translate("list batches", err)
}

// SetBatchState updates the batch unless it is canceled; a statement that
// matched nothing tells the two apart with a read.
func (s *Store) SetBatchState(ctx context.Context, orgID int64, id, state string, rows int) error {
	res, err := s.w.ExecContext(ctx,
		`UPDATE batches SET state = ?, row_count = CASE WHEN ? >= 0 THEN ? ELSE row_count END, updated_at = ?
		WHERE org_id = ? AND id = ? AND state <> ?`,
		state, rows, rows, timeValue(time.Now()), orgID, id, store.BatchCanceled)
	if err != nil {
		return s.translate("set batch state", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return nil
	}
	if _, err := s.GetBatch(ctx, orgID, id); err != nil {
		return err
	}
	return fmt.Errorf("sqlite: set batch state: %w", store.ErrFinished)
}

// batchRowColumns are the columns AddBatchRows writes, in order.
const batchRowColumns = `org_id, batch_id, line, phone_number, provider, account, user_id, target_id, e164,
	connection_id, status, column_name, code, reason, run, job_id`

// AddBatchRows inserts the rows in one multi-row statement (16 parameters
// a row, far below SQLite's 32766 for the importer's pages).
func (s *Store) AddBatchRows(ctx context.Context, rows []store.BatchRow) ([]int, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	var b strings.Builder
	args := make([]any, 0, len(rows)*16)
	b.WriteString(`INSERT INTO batch_rows (` + batchRowColumns + `) VALUES `)
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
		args = append(args, r.OrgID, r.BatchID, r.Line, r.PhoneNumber, r.Provider, r.Account, r.UserID, r.TargetID, r.E164,
			r.ConnectionID, r.Status, r.Column, r.Code, r.Reason, r.Run, r.JobID)
	}
	b.WriteString(` ON CONFLICT (batch_id, line) DO NOTHING RETURNING line`)
	rs, err := s.w.QueryContext(ctx, b.String(), args...)
	lines, err := collect(rs, err, func(row scanner) (int, error) {
		var n int
		return n, row.Scan(&n)
	})
	slices.Sort(lines)
	return lines, s.translate("add batch rows", err)
}

func scanBatchRow(row scanner) (store.BatchRow, error) {
	var r store.BatchRow
	err := row.Scan(&r.OrgID, &r.BatchID, &r.Line, &r.PhoneNumber, &r.Provider, &r.Account, &r.UserID, &r.TargetID, &r.E164,
		&r.ConnectionID, &r.Status, &r.Column, &r.Code, &r.Reason, &r.Run, &r.JobID)
	return r, err
}

// jsonList is a list as a JSON array, for IN (SELECT value FROM json_each(?)).
func jsonList[T any](vs []T) string {
	b, _ := json.Marshal(vs)
	return string(b)
}

func (s *Store) ListBatchRows(ctx context.Context, f store.BatchRowFilter) ([]store.BatchRow, error) {
	var w where
	w.add("org_id = ?", f.OrgID)
	w.add("batch_id = ?", f.BatchID)
	w.add("line > ?", f.AfterLine)
	if f.Statuses != nil {
		w.add("status IN (SELECT value FROM json_each(?))", jsonList(f.Statuses))
	}
	n := w.arg(limit(f.Limit, 100))
	rows, err := s.r.QueryContext(ctx, `SELECT `+batchRowColumns+` FROM batch_rows`+w.String()+` ORDER BY line LIMIT `+n, w.args...)
	rs, err := collect(rows, err, scanBatchRow)
	return rs, s.translate("list batch rows", err)
}

func (s *Store) SetBatchRowsStatus(ctx context.Context, orgID int64, batchID string, lines []int, from []string, to string) (int, error) {
	res, err := s.w.ExecContext(ctx,
		`UPDATE batch_rows SET status = ?
		WHERE org_id = ? AND batch_id = ? AND line IN (SELECT value FROM json_each(?))
			AND status IN (SELECT value FROM json_each(?))`, to, orgID, batchID, jsonList(lines), jsonList(from))
	return s.changed("set batch rows status", res, err)
}

// changed is how many rows a statement changed.
func (s *Store) changed(op string, res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, s.translate(op, err)
	}
	n, err := res.RowsAffected()
	return int(n), s.translate(op, err)
}

func (s *Store) RetryBatchRow(ctx context.Context, orgID int64, batchID string, line, run int, jobID string) error {
	res, err := s.w.ExecContext(ctx,
		`UPDATE batch_rows SET status = ?, run = ?, job_id = ?, code = '', reason = ''
		WHERE org_id = ? AND batch_id = ? AND line = ? AND run = ? AND status = ?`,
		store.RowPending, run, jobID, orgID, batchID, line, run-1, store.RowFailed)
	return s.affected("retry batch row", res, err)
}

const finishBatchRowsSQL = `UPDATE batch_rows SET status = ?, code = ?, reason = ?
	WHERE job_id = ? AND job_id <> '' AND org_id = ? AND status IN (?, ?)`

// FinishBatchRows repeats, as its second condition, the predicate of the
// partial index batch_rows_job (a job id that is not empty): neither
// planner can tell from "job_id = ?" alone that the bound value is never
// empty, so without it each finished batch job scanned all of batch_rows
// (SQLite always; PostgreSQL in a generic plan).
func (s *Store) FinishBatchRows(ctx context.Context, orgID int64, jobID, status, code, reason string) (int, error) {
	res, err := s.w.ExecContext(ctx, finishBatchRowsSQL,
		status, code, reason, jobID, orgID, store.RowPending, store.RowQueued)
	return s.changed("finish batch rows", res, err)
}

func (s *Store) CountBatchRows(ctx context.Context, orgID int64, batchID string) (store.BatchCounts, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT status, CASE WHEN status IN (?, ?) THEN code ELSE '' END, count(*)
		FROM batch_rows WHERE org_id = ? AND batch_id = ? GROUP BY 1, 2`,
		store.RowInvalid, store.RowFailed, orgID, batchID)
	type count struct {
		status, code string
		n            int
	}
	cs, err := collect(rows, err, func(row scanner) (count, error) {
		var c count
		return c, row.Scan(&c.status, &c.code, &c.n)
	})
	if err != nil {
		return store.BatchCounts{}, s.translate("count batch rows", err)
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
	list := jsonList(e164s)
	rows, err := s.r.QueryContext(ctx,
		`SELECT e164, '', 0 FROM numbers WHERE org_id = ? AND e164 IN (SELECT value FROM json_each(?))
		UNION ALL
		SELECT e164, batch_id, line FROM batch_rows
		WHERE org_id = ? AND e164 IN (SELECT value FROM json_each(?)) AND status IN ('pending', 'queued') AND batch_id <> ?`,
		orgID, list, orgID, list, batchID)
	type use struct {
		e164 string
		store.NumberUse
	}
	us, err := collect(rows, err, func(row scanner) (use, error) {
		var u use
		return u, row.Scan(&u.e164, &u.BatchID, &u.Line)
	})
	if err != nil {
		return nil, s.translate("numbers in use", err)
	}
	for _, u := range us {
		if old, ok := out[u.e164]; !ok || old.BatchID != "" {
			out[u.e164] = u.NumberUse // the inventory wins
		}
	}
	return out, nil
}

func (s *Store) NextBatchRound(ctx context.Context, orgID int64, id string) (int, error) {
	var round int
	err := queryRow(ctx, s.w, `UPDATE batches SET round = round + 1, updated_at = ? WHERE org_id = ? AND id = ? RETURNING round`,
		timeValue(time.Now()), orgID, id).Scan(&round)
	return round, s.translate("next batch round", err)
}

// CompleteBatch runs in the caller's transaction; SQLite has one writer
// at a time, so transactions finishing a batch's last rows run one after
// the other, and the second sees the first's row finished.
func (s *Store) CompleteBatch(ctx context.Context, orgID int64, id string) (store.BatchCompletion, bool, error) {
	var round int
	err := queryRow(ctx, s.w, `UPDATE batches SET notified_round = round
		WHERE org_id = ? AND id = ? AND callback_url <> '' AND state = ? AND notified_round < round
		AND NOT EXISTS (SELECT 1 FROM batch_rows r WHERE r.batch_id = batches.id AND r.status IN (?, ?))
		RETURNING round`, orgID, id, store.BatchImported, store.RowPending, store.RowQueued).Scan(&round)
	if errors.Is(err, sql.ErrNoRows) {
		return store.BatchCompletion{}, false, nil
	} else if err != nil {
		return store.BatchCompletion{}, false, s.translate("complete batch", err)
	}
	counts, err := s.CountBatchRows(ctx, orgID, id)
	return store.BatchCompletion{Round: round, Counts: counts}, err == nil, err
}
