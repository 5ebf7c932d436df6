package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// reconcileScan handles jobs.TypeReconcileScan: it pages through every
// number and enqueues one TypeReconcile per number on the bulk queue. The
// per-number task id carries the scan's task id, so a scan that is retried
// after a crash does not enqueue the same check twice.
func (w *Worker) reconcileScan(ctx context.Context, t *asynq.Task, a *attempt) (any, error) {
	scanID, _ := asynq.GetTaskID(ctx)
	enqueued, after := 0, ""
	for {
		page, err := w.store.ListNumbers(ctx, store.NumberFilter{AfterID: after, Limit: 500})
		if err != nil {
			return nil, internalError(err)
		}
		for _, n := range page {
			payload := mustJSON(jobs.Reconcile{OrgID: n.OrgID, Number: n.E164})
			_, err := w.queue.EnqueueContext(ctx, asynq.NewTask(jobs.TypeReconcile, payload),
				asynq.TaskID(fmt.Sprintf("reconcile-%s-%s", n.ID, scanID)), asynq.Queue(jobs.QueueBulk),
				asynq.MaxRetry(3), asynq.Timeout(jobs.DefaultTimeout), asynq.Retention(time.Hour))
			if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
				return nil, internalError(err)
			}
			enqueued++
		}
		if len(page) < 500 {
			return map[string]int{"enqueued": enqueued}, nil
		}
		after = page[len(page)-1].ID
	}
}

// reconcile handles jobs.TypeReconcile: it computes the route the number
// should have (its active link's target, or the org's default), reads the
// provider and writes only if the configuration drifted. A link still
// being made or removed is left to the job doing it.
func (w *Worker) reconcile(ctx context.Context, t *asynq.Task, a *attempt) (any, error) {
	p, err := decodePayload[jobs.Reconcile](t)
	if err != nil {
		return nil, err
	}
	a.rec.Numbers = []string{p.Number}
	res := jobs.ReconcileResult{Number: p.Number}
	n, err := w.store.GetNumber(ctx, p.OrgID, p.Number)
	if errors.Is(err, store.ErrNotFound) {
		res.Skipped = "number no longer in the inventory"
		return res, nil
	} else if err != nil {
		return nil, internalError(err)
	}
	if n.State == store.NumberAdding {
		// Its add job configures it; once that job failed for good, the
		// claim is released (and the provider was never, or only partly,
		// configured by a run that no longer owns the number).
		released, err := w.releaseDeadClaim(ctx, n)
		res.Skipped = "number being added"
		if released {
			res.Skipped = "released the claim of a failed add job"
		}
		return res, err
	}
	route, skip, err := w.expectedRoute(ctx, n)
	if err != nil || skip != "" {
		res.Skipped = skip
		return res, err
	}
	res.Route = route.Name
	acct, err := w.accountFor(ctx, n)
	if err != nil {
		return nil, err
	}
	ch, err := w.route(ctx, acct, n, route, false)
	if err != nil {
		return nil, err
	}
	if ch.Changed {
		res.Repaired = true
		w.metrics.DriftRepaired(n.Provider)
		a.rec.Changes = mustJSON([]numberChange{{Number: n.E164, Change: ch}})
		w.log.Warn("repaired provider drift", "number_id", n.ID, "provider", n.Provider, "route", route.Name)
	}
	return res, nil
}

// expectedRoute is the route n should have now, or why not to check it.
func (w *Worker) expectedRoute(ctx context.Context, n store.Number) (providers.Route, string, error) {
	l, err := w.store.GetLink(ctx, n.OrgID, n.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return w.defaultRoute(n.OrgID, false), "", nil
	case err != nil:
		return providers.Route{}, "", internalError(err)
	case l.Status != store.LinkActive:
		return w.staleClaim(ctx, n, l)
	}
	target, err := w.store.GetTarget(ctx, n.OrgID, l.TargetID)
	if errors.Is(err, store.ErrNotFound) {
		return providers.Route{}, "target deleted; its target:delete job restores the number", nil
	} else if err != nil {
		return providers.Route{}, "", internalError(err)
	}
	return w.targetRoute(target, false), "", nil
}

// staleClaim decides about a PENDING link. While the attach job that made
// it may still run, the number is left alone. Once that job has failed for
// good (retries exhausted on an outage, say) the claim would block the
// number forever: it is released, and the number goes back to the default
// route.
func (w *Worker) staleClaim(ctx context.Context, n store.Number, l store.Link) (providers.Route, string, error) {
	rec, err := w.store.GetJob(ctx, n.OrgID, l.JobID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return providers.Route{}, "link in progress", nil
	case err != nil:
		return providers.Route{}, "", internalError(err)
	case rec.State != jobs.StateFailed:
		return providers.Route{}, "link in progress", nil
	}
	if err := w.store.DeleteLink(ctx, n.OrgID, n.ID, l.TargetID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return providers.Route{}, "", internalError(err)
	}
	w.log.Warn("released a link claim left by a failed job", "number_id", n.ID, "job_id", l.JobID)
	return w.defaultRoute(n.OrgID, false), "", nil
}
