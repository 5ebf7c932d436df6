package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// Outcomes of retrying one failed run.
const (
	retried          = "retried"           // a new run of its request was enqueued
	alreadySucceeded = "already succeeded" // another run of the request succeeded: nothing done
	alreadyRunning   = "already running"   // a run of the request is in flight: nothing enqueued
	notFailed        = "not failed"        // the run itself has not failed: nothing to retry
	payloadGone      = "payload gone"      // asynq no longer holds the request
)

// retryResult is what became of one retry.
type retryResult struct {
	Outcome string
	Run     string // the run that succeeded, is in flight, or was enqueued
}

func (r retryResult) String() string {
	if r.Run == "" {
		return r.Outcome
	}
	return fmt.Sprintf("%s (run %s)", r.Outcome, r.Run)
}

// maxRuns bounds how much of a request's history a retry reads.
const maxRuns = 50

// retry asks again for the request of the failed run rec, unless that
// would be pointless: a run of the request has succeeded meanwhile, or one
// is in flight. It goes through jobs.Client.Rerun, the HTTP API's path, so
// a run in flight that the history does not show yet is joined, not
// doubled. A request that succeeds between the check and the enqueue gets
// one more run, which finds the work done (handlers are idempotent).
func (h *Handler) retry(ctx context.Context, rec store.JobRecord) (retryResult, error) {
	if rec.State != jobs.StateFailed {
		return retryResult{Outcome: notFailed}, nil
	}
	runs, err := h.store.ListJobs(ctx, store.JobFilter{OrgID: rec.OrgID, Request: rec.Request, Limit: maxRuns})
	if err != nil {
		return retryResult{}, err
	}
	for _, run := range runs {
		switch run.State {
		case jobs.StateSucceeded:
			return retryResult{Outcome: alreadySucceeded, Run: run.ID}, nil
		case jobs.StatePending, jobs.StateActive, jobs.StateRetrying:
			return retryResult{Outcome: alreadyRunning, Run: run.ID}, nil
		}
	}
	job, err := h.jobs.Rerun(ctx, rec.ID)
	switch {
	case errors.Is(err, jobs.ErrNoPayload):
		return retryResult{Outcome: payloadGone}, nil
	case err != nil:
		return retryResult{}, err
	case job.Existing:
		return retryResult{Outcome: alreadyRunning, Run: job.ID}, nil
	}
	return retryResult{Outcome: retried, Run: job.ID}, nil
}

// failureFilter is a group of failures: one reason, optionally one
// provider and one org, over a recent window.
type failureFilter struct {
	Reason   string
	Provider string
	OrgID    int64
	Window   window
}

func (f failureFilter) jobFilter(h *Handler) store.JobFilter {
	return store.JobFilter{State: jobs.StateFailed, Reason: f.Reason, Provider: f.Provider, OrgID: f.OrgID, Since: f.Window.since(h.now())}
}

func (f failureFilter) String() string {
	s := []string{"reason " + f.Reason}
	if f.Provider != "" {
		s = append(s, "provider "+f.Provider)
	}
	if f.OrgID != 0 {
		s = append(s, fmt.Sprintf("org %d", f.OrgID))
	}
	return strings.Join(s, ", ") + ", " + f.Window.Label
}

// maxBulk bounds how many failed runs one retry-all reads.
const maxBulk = 1000

// failures lists the failed runs of f, newest first, one per request (the
// newest failed run of each: retrying a request once retries all of its
// failed runs).
func (h *Handler) failures(ctx context.Context, f failureFilter) ([]store.JobRecord, error) {
	jf := f.jobFilter(h)
	jf.Limit = maxBulk
	recs, err := h.store.ListJobs(ctx, jf)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []store.JobRecord
	for _, r := range recs {
		key := fmt.Sprint(r.OrgID, "/", r.Request)
		if !seen[key] {
			seen[key] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// retryAll retries every request of f's failures and counts the outcomes.
func (h *Handler) retryAll(ctx context.Context, f failureFilter) (map[string]int, error) {
	recs, err := h.failures(ctx, f)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, rec := range recs {
		res, err := h.retry(ctx, rec)
		if err != nil {
			return counts, fmt.Errorf("retry %s: %w", rec.ID, err)
		}
		counts[res.Outcome]++
	}
	return counts, nil
}

// countsText says what a bulk retry did, e.g. "2 retried, 1 already
// succeeded".
func countsText(counts map[string]int) string {
	var parts []string
	for _, o := range []string{retried, alreadySucceeded, alreadyRunning, notFailed, payloadGone} {
		if n := counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	if len(parts) == 0 {
		return "nothing to retry"
	}
	return strings.Join(parts, ", ")
}

// record stores an admin action; a failure to record is logged and the
// action stands (it already happened).
func (h *Handler) record(ctx context.Context, action, target string, count int, detail string) {
	a := store.AdminAction{At: h.now().UTC(), Actor: sessionOf(ctx).User, Action: action, Target: target, Count: count, Detail: detail}
	if _, err := h.store.RecordAdminAction(context.WithoutCancel(ctx), a); err != nil {
		h.log.Error("record admin action", "action", action, "target", target, "error", err)
	}
	h.log.Info("admin action", "user", a.Actor, "action", action, "target", target, "count", count, "detail", detail)
}
