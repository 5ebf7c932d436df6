package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// jobFunc is a handler's body: it returns the result data and nil for a
// succeeded job, or an error that categorize understands (and, optionally,
// data describing the partial outcome). a is the attempt: its record the
// handler may fill in (numbers, provider changes), and the hooks that
// commit the handler's last writes together with the outcome.
type jobFunc func(ctx context.Context, t *asynq.Task, a *attempt) (any, error)

// attempt is one run of a handler.
type attempt struct {
	rec *store.JobRecord
	// commit, when set, runs in the transaction that records the job as
	// succeeded, so the handler's last writes and the outcome are one
	// commit: both happen or neither does.
	commit func(tx store.Store) error
	// release, when set, runs in the transaction that records the job as
	// failed for good (a permanent error, retries exhausted, the deadline
	// passed): it undoes the claims the job took.
	release func(tx store.Store) error
	// batch is the batch import the job runs a row of (jobs.AddPhone's
	// BatchID), "" for other jobs: its row's status is recorded in the
	// transaction that records the outcome, so the batch's counters count
	// every finished job once (see store.Batches).
	batch string
	// addPhone is what an add-phone attempt read with its job record
	// (addPhoneReads); nil until then.
	addPhone *store.AddPhoneReads
	// linking is set once an add-phone job with a target has added its
	// number and is linking it: a failure from then on leaves the number
	// added, and a batch row says so (store.CodeLinkFailed).
	linking bool
}

// job adapts a jobFunc to asynq. It keeps the durable record of the run
// (one record per run: its task id), writes the outcome as the task's
// result when the job reaches a terminal state (that is what
// jobs.Client.Wait reads, notified through jobs.NotifyDone), and turns
// permanent failures into asynq.SkipRetry.
//
// The record is saved when an attempt ends (retrying, succeeded or
// failed), with the handler's last writes (attempt.commit) in the same
// transaction, so a successful add-phone job commits twice: its claim and
// its outcome. While an attempt runs, GET /v1/jobs/{id} reports it from
// asynq (active).
func (w *Worker) job(fn jobFunc) asynq.HandlerFunc { return w.jobReading(fn, nil) }

// firstReads reads the run's job record (store.ErrNotFound when there is
// none) together with the handler's own first reads, which it keeps in a:
// one round trip for all of them (see addPhoneReads).
type firstReads func(ctx context.Context, t *asynq.Task, orgID int64, id string, a *attempt) (store.JobRecord, error)

// jobReading is job for a handler whose first reads travel with the job
// record's; reads nil reads the record alone.
func (w *Worker) jobReading(fn jobFunc, reads firstReads) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		var head struct {
			OrgID       int64  `json:"org_id"`
			Provider    string `json:"provider"`
			CallbackURL string `json:"callback_url"`
			BatchID     string `json:"batch_id"`
		}
		_ = json.Unmarshal(t.Payload(), &head) // a bad payload is reported by fn
		now := storedTime()
		rec := &store.JobRecord{ID: id, Request: jobs.RequestOf(id), OrgID: head.OrgID, Type: t.Type(), Provider: head.Provider, State: jobs.StateActive,
			Attempts: retried + 1, CreatedAt: now, UpdatedAt: now}
		// Attempts counts every attempt of this run, including those asynq
		// does not count against MaxRetry (rate-limit waits) and those cut off
		// by a crash after the record was saved.
		var cancel *jobError
		a := &attempt{rec: rec, batch: head.BatchID}
		if head.OrgID != 0 {
			var old store.JobRecord
			var err error
			if reads != nil {
				old, err = reads(ctx, t, head.OrgID, id, a)
			} else {
				old, err = w.store.GetJob(ctx, head.OrgID, id)
			}
			switch {
			case err == nil && old.State.Terminal():
				// The run already finished (its outcome was recorded but the
				// task was delivered again): it is never run twice.
				return w.replay(ctx, t, old, head.BatchID, head.CallbackURL)
			case err == nil:
				rec.CreatedAt, rec.Attempts, rec.AttemptLog = old.CreatedAt, old.Attempts+1, old.AttemptLog
				if cancel = cancelRequest(old); cancel != nil {
					rec.Numbers, rec.Changes = old.Numbers, old.Changes
				}
			case !errors.Is(err, store.ErrNotFound):
				return internalError(fmt.Errorf("read job record: %w", err))
			}
		}

		var data any
		var err error
		if cancel != nil {
			// Cancelled (cancel.go): the handler does nothing this time.
			err = cancel
		} else {
			data, err = callSafely(ctx, fn, t, a)
		}
		rec.UpdatedAt = storedTime()
		var raw json.RawMessage
		if data != nil {
			b, merr := json.Marshal(data)
			if merr != nil {
				return internalError(merr)
			}
			raw = b
		}
		if err == nil {
			logAttempt(rec, now)
			rec.State, rec.Result, rec.FinishedAt = jobs.StateSucceeded, raw, &rec.UpdatedAt
			return w.finish(ctx, t, a, jobs.Outcome{State: jobs.StateSucceeded, Data: raw}, head.CallbackURL, nil)
		}

		je := categorize(err)
		rec.ErrorCode, rec.ErrorMessage, rec.Reason = je.Code, je.Message, je.reason()
		logAttempt(rec, now)
		overdue := rec.UpdatedAt.Sub(rec.CreatedAt) >= w.deadline
		retry := !je.Permanent && retried < maxRetry && !overdue
		if retry && cancel == nil {
			cancel = w.cancelledWhileRunning(ctx, rec)
		}
		if cancel != nil {
			je, retry = cancel, false
			rec.ErrorCode, rec.ErrorMessage, rec.Reason = je.Code, je.Message, je.reason()
			a.release = releaseClaims(context.WithoutCancel(ctx), rec.OrgID, rec.ID, rec.Numbers)
		}
		if retry {
			rec.State = jobs.StateRetrying
			if serr := w.save(context.WithoutCancel(ctx), rec); serr != nil {
				w.log.Error("save job record", "task_id", id, "error", serr)
			}
			return je
		}
		if !je.Permanent && je.Code != jobs.CodeInternal {
			je = gaveUp(je, overdue, w.deadline)
			rec.ErrorCode, rec.ErrorMessage = je.Code, je.Message
		}
		// A failed job may still report data: an attach job's per-number
		// outcomes say which numbers were linked before one failed.
		rec.State, rec.Result, rec.FinishedAt = jobs.StateFailed, raw, &rec.UpdatedAt
		out := jobs.Outcome{State: jobs.StateFailed, Code: je.Code, Message: je.Message, Data: raw}
		return w.finish(ctx, t, a, out, head.CallbackURL, fmt.Errorf("%w: %w", je, asynq.SkipRetry))
	}
}

// storedTime is now as the stores keep it: UTC, to the microsecond
// (PostgreSQL's precision). A record read back then has the times it was
// written with, and so the id of its callback task, made from its
// CreatedAt, is the same when a replay enqueues it again.
func storedTime() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// logAttempt adds the attempt that started at start and just ended to
// rec's attempt log, with rec's error (none for a success), keeping the
// newest store.MaxAttemptLog. The log rides in the record's save at the
// end of the attempt, which happens anyway: it costs no write.
func logAttempt(rec *store.JobRecord, start time.Time) {
	rec.AttemptLog = append(rec.AttemptLog, store.JobAttempt{N: rec.Attempts, StartedAt: start, EndedAt: rec.UpdatedAt,
		Code: rec.ErrorCode, Message: rec.ErrorMessage})
	if n := len(rec.AttemptLog); n > store.MaxAttemptLog {
		rec.AttemptLog = slices.Clone(rec.AttemptLog[n-store.MaxAttemptLog:])
	}
}

// gaveUp is the final error of a job that failed transiently until its
// retries ran out or its deadline passed.
func gaveUp(je *jobError, overdue bool, deadline time.Duration) *jobError {
	out := *je
	out.Code, out.Permanent = jobs.CodeProviderUnavailable, true
	switch {
	case overdue && je.RateLimit:
		out.Message = fmt.Sprintf("rate limited for too long: gave up after %v (%s)", deadline, je.Message)
	case overdue:
		out.Message = fmt.Sprintf("provider unavailable for too long: gave up after %v (%s)", deadline, je.Message)
	}
	return &out
}

// finish records a terminal state in the database (with the attempt's
// commit or release hook, in one transaction), schedules the job's
// callback, writes the outcome as the task result and notifies waiters.
// The result is written last: a task whose result holds an outcome has
// finished for good (jobs.Client.Wait relies on it). If a write fails the
// attempt fails and is retried, so the outcome is never lost; handlers are
// idempotent, so the retry lands in the same state.
func (w *Worker) finish(ctx context.Context, t *asynq.Task, a *attempt, out jobs.Outcome, callbackURL string, err error) error {
	ctx = context.WithoutCancel(ctx)
	rec := a.rec
	hook := a.release
	if out.State == jobs.StateSucceeded {
		hook = a.commit
	}
	var serr error
	var completed *store.BatchCompletion
	switch {
	case hook != nil || (a.batch != "" && rec.OrgID != 0):
		serr = w.store.InTx(ctx, func(tx store.Store) error {
			if hook != nil {
				if err := hook(tx); err != nil {
					return err
				}
			}
			if rec.OrgID == 0 {
				return nil
			}
			if err := tx.SaveJob(ctx, *rec); err != nil {
				return err
			}
			if err := finishBatchRow(ctx, tx, a, rec); err != nil || a.batch == "" {
				return err
			}
			// This row may be the batch's last: of the transactions
			// finishing the last rows, exactly one completes it.
			c, ok, err := tx.CompleteBatch(ctx, rec.OrgID, a.batch)
			if ok {
				completed = &c
			}
			return err
		})
	case rec.OrgID != 0: // system tasks keep no record
		serr = w.store.SaveJob(ctx, *rec)
	}
	if errors.Is(serr, store.ErrFinished) {
		// Another delivery of this run finished first; its outcome stands.
		if old, gerr := w.store.GetJob(ctx, rec.OrgID, rec.ID); gerr == nil {
			return w.replay(ctx, t, old, a.batch, callbackURL)
		}
	}
	if serr != nil {
		return internalError(fmt.Errorf("save job record: %w", serr))
	}
	if cerr := w.enqueueCallback(ctx, callbackURL, rec, out); cerr != nil {
		return internalError(fmt.Errorf("enqueue callback: %w", cerr))
	}
	if completed != nil {
		if cerr := w.enqueueBatchCallback(ctx, store.Batch{OrgID: rec.OrgID, ID: a.batch}, *completed); cerr != nil {
			return internalError(fmt.Errorf("enqueue batch callback: %w", cerr))
		}
	}
	if werr := w.writeOutcome(ctx, rec.ID, out); werr != nil {
		return werr
	}
	return err
}

// finishBatchRow records a batch job's terminal state on its batch row.
// A row whose number was added but not linked gets store.CodeLinkFailed,
// with the job's own code in its reason.
func finishBatchRow(ctx context.Context, tx store.Store, a *attempt, rec *store.JobRecord) error {
	if a.batch == "" {
		return nil
	}
	status, code, reason := store.RowSucceeded, string(rec.ErrorCode), rec.ErrorMessage
	if rec.State == jobs.StateFailed {
		status = store.RowFailed
		if a.linking {
			code, reason = store.CodeLinkFailed, fmt.Sprintf("added, but the link failed (%s): %s", rec.ErrorCode, rec.ErrorMessage)
		}
	}
	_, err := tx.FinishBatchRows(ctx, rec.OrgID, rec.ID, status, code, reason)
	return err
}

// replay answers a delivery of a run that already finished with the
// recorded outcome, changing nothing. The attempt that finished it may
// have failed to enqueue a callback after its commit, and this is its
// retry: the job's own callback is enqueued again (its task id is the
// same as the first time, so one already enqueued is not enqueued twice),
// and a run of a batch's row enqueues its batch's completion callback
// again when the batch's current round is complete (batch.Redeliver).
func (w *Worker) replay(ctx context.Context, t *asynq.Task, rec store.JobRecord, batchID, callbackURL string) error {
	ctx = context.WithoutCancel(ctx)
	out := jobs.Outcome{State: rec.State, Code: rec.ErrorCode, Message: rec.ErrorMessage, Data: rec.Result}
	if err := w.enqueueCallback(ctx, callbackURL, &rec, out); err != nil {
		return internalError(fmt.Errorf("enqueue callback again: %w", err))
	}
	if batchID != "" && len(w.callbackSecret) > 0 {
		if err := batch.Redeliver(ctx, w.store, rec.OrgID, batchID, w.queue.EnqueueContext); err != nil {
			return internalError(fmt.Errorf("enqueue batch callback again: %w", err))
		}
	}
	if err := w.writeOutcome(ctx, rec.ID, out); err != nil {
		return err
	}
	if rec.State == jobs.StateFailed {
		return fmt.Errorf("%w: %w", &jobError{Code: rec.ErrorCode, Message: rec.ErrorMessage, Permanent: true}, asynq.SkipRetry)
	}
	return nil
}

// writeOutcome stores out as the task result and tells waiters, in one
// Redis round trip (jobs.WriteOutcome). The notification is best effort:
// waiters also poll, slowly.
func (w *Worker) writeOutcome(ctx context.Context, id string, out jobs.Outcome) error {
	queue, _ := asynq.GetQueueName(ctx)
	werr, nerr := jobs.WriteOutcome(ctx, w.rdb, queue, id, out)
	if werr != nil {
		return internalError(werr)
	}
	if nerr != nil {
		w.log.Warn("notify job waiters", "task_id", id, "error", nerr)
	}
	return nil
}

// decodePayload reads a task's payload as P and validates it. Every
// failure is a permanent invalid_input: a payload that cannot be read
// reads no better on a retry.
func decodePayload[P interface{ Validate() error }](t *asynq.Task) (P, error) {
	var p P
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return p, permanent(jobs.CodeInvalidInput, "payload is not valid JSON")
	}
	if err := p.Validate(); err != nil {
		return p, categorize(err)
	}
	return p, nil
}

// callSafely runs fn, turning a panic into an internal error so the record
// says what happened.
func callSafely(ctx context.Context, fn jobFunc, t *asynq.Task, a *attempt) (data any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = internalError(fmt.Errorf("panic: %v\n%s", r, debug.Stack()))
		}
	}()
	return fn(ctx, t, a)
}

// save writes the job record. System tasks (the reconcile scan) belong to
// no org and keep no record: asynq's own history covers them.
func (w *Worker) save(ctx context.Context, rec *store.JobRecord) error {
	if rec.OrgID == 0 {
		return nil
	}
	err := w.store.SaveJob(ctx, *rec)
	if errors.Is(err, store.ErrFinished) {
		// Another delivery of this run finished it meanwhile; finished
		// records are never rewritten, and that outcome stands.
		return nil
	}
	return err
}
