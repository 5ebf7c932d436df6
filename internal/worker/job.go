package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// jobFunc is a handler's body: it returns the result data and nil for a
// succeeded job, or an error that categorize understands (and, optionally,
// data describing the partial outcome). rec is the job record the
// handler may fill in (numbers, provider changes).
type jobFunc func(ctx context.Context, t *asynq.Task, rec *store.JobRecord) (any, error)

// job adapts a jobFunc to asynq. It keeps the durable job record up to date
// on every attempt, writes the outcome as the task's result when the job
// reaches a terminal state (that is what jobs.Client.Wait reads), and turns
// permanent failures into asynq.SkipRetry.
func (w *Worker) job(fn jobFunc) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		var head struct {
			OrgID       int64  `json:"org_id"`
			CallbackURL string `json:"callback_url"`
		}
		_ = json.Unmarshal(t.Payload(), &head) // a bad payload is reported by fn
		now := time.Now().UTC()
		rec := &store.JobRecord{ID: id, OrgID: head.OrgID, Type: t.Type(), State: jobs.StateActive, Attempts: retried + 1, CreatedAt: now, UpdatedAt: now}
		// Attempts counts every attempt of this run, including those asynq
		// does not count against MaxRetry (rate-limit waits) and those cut off
		// by a crash. A terminal record belongs to an earlier run of a
		// replaced task, and stays as it is (see save).
		if old, err := w.store.GetJob(ctx, head.OrgID, id); head.OrgID != 0 && err == nil && !old.State.Terminal() {
			rec.CreatedAt, rec.Attempts = old.CreatedAt, old.Attempts+1
		}
		if err := w.save(ctx, rec); err != nil {
			return internalError(fmt.Errorf("save job record: %w", err))
		}

		data, err := callSafely(ctx, fn, t, rec)
		rec.UpdatedAt = time.Now().UTC()
		var raw json.RawMessage
		if data != nil {
			b, merr := json.Marshal(data)
			if merr != nil {
				return internalError(merr)
			}
			raw = b
		}
		if err == nil {
			rec.State, rec.Result, rec.FinishedAt = jobs.StateSucceeded, raw, &rec.UpdatedAt
			return w.finish(ctx, t, rec, jobs.Outcome{State: jobs.StateSucceeded, Data: raw}, head.CallbackURL, nil)
		}

		je := categorize(err)
		rec.ErrorCode, rec.ErrorMessage = je.Code, je.Message
		if !je.Permanent && retried < maxRetry {
			rec.State = jobs.StateRetrying
			if serr := w.save(context.WithoutCancel(ctx), rec); serr != nil {
				w.log.Error("save job record", "task_id", id, "error", serr)
			}
			return je
		}
		if !je.Permanent && je.Code != jobs.CodeInternal {
			je.Code, rec.ErrorCode = jobs.CodeProviderUnavailable, jobs.CodeProviderUnavailable
		}
		// A failed job may still report data: an attach job's per-number
		// outcomes say which numbers were linked before one failed.
		rec.State, rec.Result, rec.FinishedAt = jobs.StateFailed, raw, &rec.UpdatedAt
		out := jobs.Outcome{State: jobs.StateFailed, Code: je.Code, Message: je.Message, Data: raw}
		return w.finish(ctx, t, rec, out, head.CallbackURL, fmt.Errorf("%w: %w", je, asynq.SkipRetry))
	}
}

// finish records a terminal state in the database and as the task result,
// and schedules the job's callback.
// If either write fails the attempt fails and is retried, so the outcome is
// never lost; handlers are idempotent, so the retry lands in the same state.
func (w *Worker) finish(ctx context.Context, t *asynq.Task, rec *store.JobRecord, out jobs.Outcome, callbackURL string, err error) error {
	ctx = context.WithoutCancel(ctx)
	if serr := w.save(ctx, rec); serr != nil {
		return internalError(fmt.Errorf("save job record: %w", serr))
	}
	raw, merr := json.Marshal(out)
	if merr != nil {
		return internalError(merr)
	}
	if _, werr := t.ResultWriter().Write(raw); werr != nil {
		return internalError(fmt.Errorf("write job outcome: %w", werr))
	}
	if cerr := w.enqueueCallback(ctx, callbackURL, rec, out); cerr != nil {
		return internalError(fmt.Errorf("enqueue callback: %w", cerr))
	}
	return err
}

// callSafely runs fn, turning a panic into an internal error so the record
// says what happened.
func callSafely(ctx context.Context, fn jobFunc, t *asynq.Task, rec *store.JobRecord) (data any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = internalError(fmt.Errorf("panic: %v\n%s", r, debug.Stack()))
		}
	}()
	return fn(ctx, t, rec)
}

// save writes the job record. System tasks (the reconcile scan) belong to
// no org and keep no record: asynq's own history covers them.
func (w *Worker) save(ctx context.Context, rec *store.JobRecord) error {
	if rec.OrgID == 0 {
		return nil
	}
	err := w.store.SaveJob(ctx, *rec)
	if errors.Is(err, store.ErrFinished) {
		// TODO(store): the record is an earlier run's, of a task replaced
		// under the same id, and finished records are never rewritten.
		// Until runs get ids of their own this run keeps no record.
		return nil
	}
	return err
}
