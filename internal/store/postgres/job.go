package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// SaveJob inserts j, or replaces every field of the record with j.ID but
// created_at, which stays the first save's. The upsert's WHERE leaves a
// finished record alone, in the same statement, so no save can slip in
// between a check and the write: a statement that changed no row met a
// finished record.
func (s *Store) SaveJob(ctx context.Context, j store.JobRecord) error {
	numbers, err := numbersArg(j.Numbers)
	if err != nil {
		return fmt.Errorf("postgres: save job: %w", err)
	}
	attempts, err := store.AttemptLogJSON(j.AttemptLog)
	if err != nil {
		return fmt.Errorf("postgres: save job: %w", err)
	}
	tag, err := s.q.Exec(ctx,
		`INSERT INTO jobs (id, org_id, type, request, numbers, state, attempts, error_code,
			error_message, reason, provider, result, changes, created_at, updated_at, finished_at, attempt_log)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
			COALESCE($14, now()), COALESCE($15, $14, now()), $16, $19)
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
		WHERE jobs.state NOT IN ($17, $18)`,
		j.ID, j.OrgID, j.Type, j.Request, numbers, string(j.State), j.Attempts, string(j.ErrorCode),
		j.ErrorMessage, j.Reason, j.Provider, j.Result, j.Changes,
		timeArg(j.CreatedAt), timeArg(j.UpdatedAt), j.FinishedAt,
		string(jobs.StateSucceeded), string(jobs.StateFailed), attempts)
	return matched("save job", tag, err, store.ErrFinished)
}

const jobColumns = `id, org_id, type, request, numbers, state, attempts, error_code, error_message,
	reason, provider, result, changes, created_at, updated_at, finished_at, attempt_log,
	cancel_requested_by, cancel_requested_at`

func scanJob(row pgx.Row) (store.JobRecord, error) {
	var (
		j        store.JobRecord
		attempts []byte
	)
	err := row.Scan(&j.ID, &j.OrgID, &j.Type, &j.Request, &j.Numbers, &j.State, &j.Attempts, &j.ErrorCode, &j.ErrorMessage,
		&j.Reason, &j.Provider, &j.Result, &j.Changes, &j.CreatedAt, &j.UpdatedAt, &j.FinishedAt, &attempts,
		&j.CancelRequestedBy, &j.CancelRequestedAt)
	if err != nil {
		return store.JobRecord{}, err
	}
	if j.AttemptLog, err = store.ParseAttemptLog(attempts); err != nil {
		return store.JobRecord{}, err
	}
	if len(j.Numbers) == 0 {
		j.Numbers = nil // what SaveJob stored as []
	}
	return j, nil
}

func (s *Store) GetJob(ctx context.Context, orgID int64, id string) (store.JobRecord, error) {
	row := s.q.QueryRow(ctx,
		`SELECT `+jobColumns+` FROM jobs WHERE org_id = $1 AND id = $2`, orgID, id)
	j, err := scanJob(row)
	return j, translate("get job", err)
}

// ListJobs pages backwards through (created_at, id), which the jobs_created,
// jobs_org_created and jobs_org_request indexes hold in that order.
func (s *Store) ListJobs(ctx context.Context, f store.JobFilter) ([]store.JobRecord, error) {
	var w where
	if f.OrgID != 0 {
		w.add("org_id = ?", f.OrgID)
	}
	if f.State != "" {
		w.add("state = ?", string(f.State))
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
		w.add("numbers @> jsonb_build_array(?::text)", f.Number)
	}
	if !f.Since.IsZero() {
		w.add("updated_at >= ?", f.Since)
	}
	if f.Before != nil {
		w.add("(created_at, id) < (?, ?)", f.Before.CreatedAt, f.Before.ID)
	}
	n := w.arg(limit(f.Limit, 50))
	rows, err := s.q.Query(ctx,
		`SELECT `+jobColumns+` FROM jobs`+w.String()+`
		ORDER BY created_at DESC, id DESC LIMIT `+n, w.args...)
	js, err := collect(rows, err, scanJob)
	return js, translate("list jobs", err)
}

func (s *Store) CountFailures(ctx context.Context, since time.Time) ([]store.FailureCount, error) {
	rows, err := s.q.Query(ctx,
		`SELECT reason, provider, org_id, count(*) FROM jobs
		WHERE state = $1 AND updated_at >= $2
		GROUP BY reason, provider, org_id
		ORDER BY count(*) DESC, reason, provider, org_id`, string(jobs.StateFailed), since)
	cs, err := collect(rows, err, func(row pgx.Row) (store.FailureCount, error) {
		var c store.FailureCount
		return c, row.Scan(&c.Reason, &c.Provider, &c.OrgID, &c.Count)
	})
	return cs, translate("count failures", err)
}

// RequestCancel inserts j with the request when the run has no record, or
// sets the request on its record (keeping an earlier one) in one
// statement whose WHERE leaves a finished record, or another org's, alone.
func (s *Store) RequestCancel(ctx context.Context, j store.JobRecord, by string, at time.Time) (store.JobRecord, error) {
	numbers, err := numbersArg(j.Numbers)
	if err != nil {
		return store.JobRecord{}, fmt.Errorf("postgres: request cancel: %w", err)
	}
	row := s.q.QueryRow(ctx,
		`INSERT INTO jobs (id, org_id, type, request, numbers, state, attempts, provider, created_at, updated_at,
			cancel_requested_by, cancel_requested_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $9)
		ON CONFLICT (id) DO UPDATE SET
			cancel_requested_by = CASE WHEN jobs.cancel_requested_at IS NULL THEN excluded.cancel_requested_by ELSE jobs.cancel_requested_by END,
			cancel_requested_at = COALESCE(jobs.cancel_requested_at, excluded.cancel_requested_at)
		WHERE jobs.state NOT IN ($11, $12) AND jobs.org_id = excluded.org_id
		RETURNING `+jobColumns,
		j.ID, j.OrgID, j.Type, j.Request, numbers, string(j.State), j.Attempts, j.Provider, at.UTC(), by,
		string(jobs.StateSucceeded), string(jobs.StateFailed))
	out, err := scanJob(row)
	if errors.Is(err, pgx.ErrNoRows) {
		old, gerr := s.GetJob(ctx, j.OrgID, j.ID)
		if gerr != nil {
			return store.JobRecord{}, gerr
		}
		return old, fmt.Errorf("postgres: request cancel: %w", store.ErrFinished)
	}
	return out, translate("request cancel", err)
}
