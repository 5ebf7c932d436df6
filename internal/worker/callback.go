package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/version"
	"github.com/switchboardhq/switchboard/jobs"
)

// enqueueCallback schedules the delivery of a finished job's event as its
// own task, so a slow or failing receiver never holds up the job and is
// retried on its own schedule. The task id is derived from the job run (its
// id and CreatedAt), so a finish that is retried, or a replay of the run
// (replay), does not enqueue it twice while asynq keeps the first (a day:
// callback.Enqueue's retention).
func (w *Worker) enqueueCallback(ctx context.Context, url string, rec *store.JobRecord, out jobs.Outcome) error {
	if url == "" {
		return nil
	}
	if len(w.callbackSecret) == 0 {
		w.log.Error("job has a callback URL but SWITCHBOARD_CALLBACK_SECRET is not set; not delivering", "task_id", rec.ID)
		return nil
	}
	if err := w.callbacks.CheckURL(url); err != nil {
		w.log.Warn("callback URL refused; not delivering", "task_id", rec.ID, "error", err)
		return nil
	}
	id := fmt.Sprintf("callback-%s-%d", rec.ID, rec.CreatedAt.UnixNano())
	ev := callback.Event{
		ID: "evt_" + id, JobID: rec.ID, Type: rec.Type, OrgID: rec.OrgID, State: string(out.State),
		Code: string(out.Code), Message: out.Message, Data: out.Data, OccurredAt: rec.UpdatedAt,
	}
	return callback.Enqueue(ctx, w.queue.EnqueueContext, id, callback.Task{URL: url, Event: ev})
}

// enqueueBatchCallback schedules the callback of a batch's completion
// (batch.CompletionTask), which this job's transaction decided.
func (w *Worker) enqueueBatchCallback(ctx context.Context, b store.Batch, c store.BatchCompletion) error {
	if len(w.callbackSecret) == 0 {
		w.log.Error("batch has a callback URL but SWITCHBOARD_CALLBACK_SECRET is not set; not delivering", "batch_id", b.ID)
		return nil
	}
	return batch.EnqueueCompletion(ctx, w.store, b, c, w.queue.EnqueueContext)
}

// callbackTimeout bounds one delivery, connecting included
// (docs/callbacks.md): a receiver that stalls holds a worker slot no
// longer, and its event is retried.
const callbackTimeout = 10 * time.Second

// deliverCallback handles jobs.TypeCallback. A receiver that rejects the
// event (4xx) is not asked again; anything else is retried with
// callback.RetryDelay.
func (w *Worker) deliverCallback(ctx context.Context, t *asynq.Task) error {
	var ct callback.Task
	if err := json.Unmarshal(t.Payload(), &ct); err != nil {
		return fmt.Errorf("callback payload: %v: %w", err, asynq.SkipRetry)
	}
	client := w.callbacks.Client(callbackTimeout)
	err := callback.Deliver(ctx, client, ct.URL, w.callbackSecret, ct.Event, version.UserAgent())
	if errors.Is(err, callback.ErrRejected) {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}
