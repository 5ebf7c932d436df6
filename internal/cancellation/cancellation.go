// Package cancellation cancels a job that has not finished: the one code
// path behind the admin dashboard's cancel button and POST
// /v1/jobs/{id}/cancel.
//
// Cancelling does not delete the asynq task: a retrying add-phone job holds
// its number's ADDING claim, an attach its PENDING links, and a deleted
// task would leave them blocking the numbers. Instead the request is
// recorded on the durable job record (store.RequestCancel, conditional on
// the run not having finished) and the task, when it waits for its
// backoff, is run at once (asynq's Inspector.RunTask). The worker sees the
// request when the attempt starts and ends the run failed with
// jobs.CodeCancelled through its normal failure path, which releases the
// claims, records the outcome, calls the job's callback and tells waiters
// (see internal/worker/cancel.go).
package cancellation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// Outcome is what became of a cancel request.
type Outcome string

const (
	// Requested: recorded, and the job, waiting to retry or in its queue,
	// runs at once and ends cancelled.
	Requested Outcome = "cancel requested"
	// WhileRunning: recorded while an attempt runs; the attempt is not
	// interrupted. If it fails, the job ends cancelled at once; if it
	// succeeds, the job has succeeded and the cancel came too late.
	WhileRunning Outcome = "cancel requested while an attempt runs"
	// AlreadySucceeded, AlreadyCancelled and AlreadyEnded: the job had
	// finished; nothing was changed.
	AlreadySucceeded Outcome = "already succeeded"
	AlreadyCancelled Outcome = "already cancelled"
	AlreadyEnded     Outcome = "already ended"
)

// Result is a cancel request's outcome and the job's record after it.
type Result struct {
	Outcome Outcome
	Job     store.JobRecord
}

// Changed reports whether the request was recorded (the job had not
// finished).
func (r Result) Changed() bool { return r.Outcome == Requested || r.Outcome == WhileRunning }

// String says what happened in plain words, for the dashboard and the API.
func (r Result) String() string {
	switch r.Outcome {
	case Requested:
		return fmt.Sprintf("cancel requested by %s: the job stops instead of retrying and ends cancelled", r.Job.CancelRequestedBy)
	case WhileRunning:
		return fmt.Sprintf("cancel requested by %s while an attempt runs: if the attempt fails the job ends cancelled; if it succeeds, the cancel came too late", r.Job.CancelRequestedBy)
	case AlreadySucceeded:
		return "the job already succeeded; nothing was cancelled"
	case AlreadyCancelled:
		return "the job was already cancelled; nothing changed"
	}
	return fmt.Sprintf("the job already ended (%s); nothing was cancelled", r.Job.State)
}

// ErrNotFound means the org has no such job, recorded or queued.
var ErrNotFound = errors.New("job not found")

// Canceller cancels jobs.
type Canceller struct {
	Store store.Store
	// Queue finds and runs the job's task. Without it the request is
	// still recorded, and honoured when the job's backoff ends.
	Queue *asynq.Inspector
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Cancel asks the org's job id to stop, on behalf of by (an admin user's
// name, or "api"). Asking again, or asking about a job that has finished
// meanwhile, changes nothing and says so: it is not an error. It returns
// ErrNotFound for a job the org does not have.
func (c Canceller) Cancel(ctx context.Context, orgID int64, id, by string) (Result, error) {
	rec, err := c.Store.GetJob(ctx, orgID, id)
	var task *asynq.TaskInfo
	switch {
	case errors.Is(err, store.ErrNotFound):
		// No attempt has ended yet: the job may wait in its queue.
		if task, err = c.task(orgID, id); err != nil {
			return Result{}, err
		}
		rec = recordOf(orgID, task)
	case err != nil:
		return Result{}, err
	}
	if rec.State.Terminal() {
		return finished(rec), nil
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	rec, err = c.Store.RequestCancel(ctx, rec, by, now().UTC())
	if errors.Is(err, store.ErrFinished) {
		return finished(rec), nil // it finished between the read and the request
	} else if err != nil {
		return Result{}, err
	}
	return Result{Outcome: c.run(orgID, id, task), Job: rec}, nil
}

func finished(rec store.JobRecord) Result {
	switch {
	case rec.State == jobs.StateSucceeded:
		return Result{Outcome: AlreadySucceeded, Job: rec}
	case rec.ErrorCode == jobs.CodeCancelled:
		return Result{Outcome: AlreadyCancelled, Job: rec}
	}
	return Result{Outcome: AlreadyEnded, Job: rec}
}

// run moves the job's task from its backoff (retry) or schedule to
// pending, so the worker honours the request now. A task that is active
// keeps running: the worker checks the request when the attempt fails.
func (c Canceller) run(orgID int64, id string, task *asynq.TaskInfo) Outcome {
	if c.Queue == nil {
		return Requested
	}
	if task == nil {
		t, err := c.task(orgID, id)
		if err != nil {
			return Requested // the task is gone or unreadable: the worker checks at the next attempt
		}
		task = t
	}
	switch task.State {
	case asynq.TaskStateActive:
		return WhileRunning
	case asynq.TaskStateRetry, asynq.TaskStateScheduled:
		if err := c.Queue.RunTask(task.Queue, id); err != nil {
			// It became active meanwhile (its backoff ended).
			return WhileRunning
		}
	}
	return Requested
}

// task finds the org's task id in the queues.
func (c Canceller) task(orgID int64, id string) (*asynq.TaskInfo, error) {
	if c.Queue == nil {
		return nil, ErrNotFound
	}
	for _, q := range []string{jobs.QueueCritical, jobs.QueueDefault, jobs.QueueBulk} {
		info, err := c.Queue.GetTaskInfo(q, id)
		if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if payloadOrg(info.Payload) != orgID {
			return nil, ErrNotFound
		}
		return info, nil
	}
	return nil, ErrNotFound
}

// head is what a record needs from a payload: never its (sealed)
// credentials.
type head struct {
	OrgID       int64    `json:"org_id"`
	Provider    string   `json:"provider"`
	Numbers     []string `json:"numbers"`
	Number      string   `json:"number"`
	PhoneNumber string   `json:"phone_number"`
}

func payloadOrg(payload []byte) int64 {
	var h head
	if json.Unmarshal(payload, &h) != nil {
		return 0
	}
	return h.OrgID
}

// recordOf is the record of a task no attempt of which has ended: pending,
// or active for its first attempt, and succeeded or failed when the task
// finished without a record (a system task; nothing to cancel then).
func recordOf(orgID int64, t *asynq.TaskInfo) store.JobRecord {
	var h head
	_ = json.Unmarshal(t.Payload, &h) // task checked the org
	rec := store.JobRecord{ID: t.ID, OrgID: orgID, Type: t.Type, Request: jobs.RequestOf(t.ID), Provider: h.Provider, Numbers: h.Numbers, State: jobs.StatePending}
	for _, n := range []string{h.Number, h.PhoneNumber} {
		if n != "" {
			rec.Numbers = append(rec.Numbers, n)
		}
	}
	switch t.State {
	case asynq.TaskStateActive:
		rec.State = jobs.StateActive
	case asynq.TaskStateCompleted:
		rec.State = jobs.StateSucceeded
	case asynq.TaskStateArchived:
		rec.State = jobs.StateFailed
	}
	return rec
}
