package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// SaveJob inserts j, or replaces every field of the record with j.ID but
// created_at, which stays the first save's. The upsert's WHERE leaves a
// finished record alone, in the same statement, so no save can slip in
// between a check and the write: a statement that changed no row met a
// finished record.
func (s *Store) SaveJob(ctx context.Context, j store.JobRecord) error {
	numbers, err := numbersValue(j.Numbers)
	if err != nil {
		return fmt.Errorf("sqlite: save job: %w", err)
	}
	attempts, err := store.AttemptLogJSON(j.AttemptLog)
	if err != nil {
		return fmt.Errorf("sqlite: save job: %w", err)
	}
	created := orNow(j.CreatedAt)
	updated := j.UpdatedAt
	if updated.IsZero() {
		updated = created
	}
	res, err := s.w.ExecContext(ctx,
		`INSERT INTO jobs (id, org_id, type, request, numbers, state, attempts, error_code,
			error_message, reason, provider, result, changes, created_at, updated_at, finished_at, attempt_log)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			org_id = excluded.org_id,
			type = excluded.type,
			request = excluded.request,
			numbers = excluded.numbers,
			state = excluded.state,
			attempts = excluded.attempts,
			error_code = excluded.error_code,
			error_message = excluded.error_message,
			reason = excluded.reason,
			provider = excluded.provider,
			result = excluded.result,
			changes = excluded.changes,
			updated_at = excluded.updated_at,
			finished_at = excluded.finished_at,
			attempt_log = excluded.attempt_log
		WHERE jobs.state NOT IN (?, ?)`,
		j.ID, j.OrgID, j.Type, j.Request, numbers, j.State, j.Attempts, j.ErrorCode,
		j.ErrorMessage, j.Reason, j.Provider, jsonValue(j.Result), jsonValue(j.Changes),
		timeValue(created), timeValue(updated), nullTimeValue(j.FinishedAt), string(attempts),
		jobs.StateSucceeded, jobs.StateFailed)
	return s.matched("save job", res, err, store.ErrFinished)
}

const jobColumns = `id, org_id, type, request, numbers, state, attempts, error_code, error_message,
	reason, provider, result, changes, created_at, updated_at, finished_at, attempt_log,
	cancel_requested_by, cancel_requested_at`

func scanJob(row scanner) (store.JobRecord, error) {
	var (
		j        store.JobRecord
		numbers  string
		attempts string
	)
	err := row.Scan(&j.ID, &j.OrgID, &j.Type, &j.Request, &numbers, &j.State, &j.Attempts, &j.ErrorCode, &j.ErrorMessage,
		&j.Reason, &j.Provider, jsonColumn{&j.Result}, jsonColumn{&j.Changes},
		timeColumn{&j.CreatedAt}, timeColumn{&j.UpdatedAt}, nullTimeColumn{&j.FinishedAt}, &attempts,
		&j.CancelRequestedBy, nullTimeColumn{&j.CancelRequestedAt})
	if err != nil {
		return store.JobRecord{}, err
	}
	if j.AttemptLog, err = store.ParseAttemptLog([]byte(attempts)); err != nil {
		return store.JobRecord{}, err
	}
	if err := json.Unmarshal([]byte(numbers), &j.Numbers); err != nil {
		return store.JobRecord{}, fmt.Errorf("numbers: %w", err)
	}
	if len(j.Numbers) == 0 {
		j.Numbers = nil // what SaveJob stored as []
	}
	return j, nil
}

func (s *Store) GetJob(ctx context.Context, orgID int64, id string) (store.JobRecord, error) {
	row := queryRow(ctx, s.r,
		`SELECT `+jobColumns+` FROM jobs WHERE org_id = ? AND id = ?`, orgID, id)
	j, err := scanJob(row)
	return j, s.translate("get job", err)
}

// ListJobs pages backwards through (created_at, id), which the jobs_created,
// jobs_org_created and jobs_org_request indexes hold in that order.
func (s *Store) ListJobs(ctx context.Context, f store.JobFilter) ([]store.JobRecord, error) {
	var w where
	if f.OrgID != 0 {
		w.add("org_id = ?", f.OrgID)
	}
	if f.State != "" {
		w.add("state = ?", f.State)
	}
	if f.Type != "" {
		w.add("type = ?", f.Type)
	}
	if f.Request != "" {
		w.add("request = ?", f.Request)
	}
	if f.Reason != "" {
		w.add("reason = ?", f.Reason)
	}
	if f.Provider != "" {
		w.add("provider = ?", f.Provider)
	}
	if f.Number != "" {
		w.add("EXISTS (SELECT 1 FROM json_each(numbers) WHERE value = ?)", f.Number)
	}
	if !f.Since.IsZero() {
		w.add("updated_at >= ?", timeValue(f.Since))
	}
	if f.Before != nil {
		w.add("(created_at, id) < (?, ?)", timeValue(f.Before.CreatedAt), f.Before.ID)
	}
	n := w.arg(limit(f.Limit, 50))
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+jobColumns+` FROM jobs`+w.String()+`
		ORDER BY created_at DESC, id DESC LIMIT `+n, w.args...)
	js, err := collect(rows, err, scanJob)
	return js, s.translate("list jobs", err)
}

// numbersValue is the job's numbers as a JSON array; nil is stored as [].
func numbersValue(numbers []string) (string, error) {
	if numbers == nil {
		return "[]", nil
	}
	b, err := json.Marshal(numbers)
	return string(b), err
}

func (s *Store) CountFailures(ctx context.Context, since time.Time) ([]store.FailureCount, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT reason, provider, org_id, count(*) FROM jobs
		WHERE state = ? AND updated_at >= ?
		GROUP BY reason, provider, org_id
		ORDER BY count(*) DESC, reason, provider, org_id`, jobs.StateFailed, timeValue(since))
	cs, err := collect(rows, err, func(row scanner) (store.FailureCount, error) {
		var c store.FailureCount
		return c, row.Scan(&c.Reason, &c.Provider, &c.OrgID, &c.Count)
	})
	return cs, s.translate("count failures", err)
}

// RequestCancel inserts j with the request when the run has no record, or
// sets the request on its record (keeping an earlier one) in one
// statement whose WHERE leaves a finished record, or another org's, alone.
func (s *Store) RequestCancel(ctx context.Context, j store.JobRecord, by string, at time.Time) (store.JobRecord, error) {
	numbers, err := numbersValue(j.Numbers)
	if err != nil {
		return store.JobRecord{}, fmt.Errorf("sqlite: request cancel: %w", err)
	}
	when := timeValue(at)
	row := queryRow(ctx, s.w,
		`INSERT INTO jobs (id, org_id, type, request, numbers, state, attempts, provider, created_at, updated_at,
			cancel_requested_by, cancel_requested_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			cancel_requested_by = CASE WHEN jobs.cancel_requested_at IS NULL THEN excluded.cancel_requested_by ELSE jobs.cancel_requested_by END,
			cancel_requested_at = COALESCE(jobs.cancel_requested_at, excluded.cancel_requested_at)
		WHERE jobs.state NOT IN (?, ?) AND jobs.org_id = excluded.org_id
		RETURNING `+jobColumns,
		j.ID, j.OrgID, j.Type, j.Request, numbers, j.State, j.Attempts, j.Provider, when, when, by, when,
		jobs.StateSucceeded, jobs.StateFailed)
	out, err := scanJob(row)
	if errors.Is(err, sql.ErrNoRows) {
		old, gerr := s.GetJob(ctx, j.OrgID, j.ID)
		if gerr != nil {
			return store.JobRecord{}, gerr
		}
		return old, fmt.Errorf("sqlite: request cancel: %w", store.ErrFinished)
	}
	return out, s.translate("request cancel", err)
}
