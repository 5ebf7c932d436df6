package worker

import (
	"context"
	"errors"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// A run is cancelled by a request on its durable record (store.RequestCancel,
// from the admin dashboard or POST /v1/jobs/{id}/cancel). The worker
// honours it when an attempt starts, before the handler does anything, and
// when an attempt fails transiently (it would otherwise retry): the run
// then fails for good with jobs.CodeCancelled through the job's normal
// failure path, which records the outcome, counts its batch row, calls its
// callback and tells waiters. A running attempt is never interrupted; if it
// succeeds, the run has succeeded and the request came too late.

// cancelRequest returns the record's cancel request, if there is one.
func cancelRequest(rec store.JobRecord) *jobError {
	if rec.CancelRequestedAt == nil {
		return nil
	}
	return permanent(jobs.CodeCancelled, "cancelled by %s at %s", rec.CancelRequestedBy,
		rec.CancelRequestedAt.UTC().Format(time.RFC3339))
}

// releaseClaims is a cancelled run's release hook: it deletes the claims
// the run holds on its numbers (an add's ADDING row, an attach's PENDING
// links, each tagged with the run's id), in the transaction that records
// the run as failed, so the numbers can be added or linked again at once.
// A handler's own release hook covers only what its current attempt
// claimed; a run cancelled between attempts has none, so this one reads
// the claims back from the store by the run's id. A provider already
// pointed at the target by an earlier attempt is put back on its route by
// the next job on the number, or by reconcile.
func releaseClaims(ctx context.Context, orgID int64, runID string, numbers []string) func(tx store.Store) error {
	return func(tx store.Store) error {
		for _, e164 := range numbers {
			n, err := tx.GetNumber(ctx, orgID, e164)
			if errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if n.State == store.NumberAdding && n.JobID == runID {
				if err := tx.DeleteNumber(ctx, orgID, n.ID, runID); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				continue
			}
			l, err := tx.GetLink(ctx, orgID, n.ID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if l.Status == store.LinkPending && l.JobID == runID {
				if err := tx.DeleteLink(ctx, orgID, n.ID, l.TargetID); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
		}
		return nil
	}
}

// cancelledWhileRunning re-reads rec's record when its attempt failed
// transiently, and returns the cancel request made meanwhile, if any: the
// run then ends now instead of after its backoff. A failed read is no
// request (the next attempt checks again).
func (w *Worker) cancelledWhileRunning(ctx context.Context, rec *store.JobRecord) *jobError {
	if rec.OrgID == 0 {
		return nil
	}
	cur, err := w.store.GetJob(ctx, rec.OrgID, rec.ID)
	if err != nil {
		return nil
	}
	return cancelRequest(cur)
}
