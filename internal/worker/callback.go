package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/version"
	"github.com/switchboardhq/switchboard/jobs"
)

// callbackTask is the payload of jobs.TypeCallback.
type callbackTask struct {
	URL   string         `json:"url"`
	Event callback.Event `json:"event"`
}

// enqueueCallback schedules the delivery of a finished job's event as its
// own task, so a slow or failing receiver never holds up the job and is
// retried on its own schedule. The task id is derived from the job run, so
// a finish that is retried does not deliver twice.
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
	payload, err := json.Marshal(callbackTask{URL: url, Event: ev})
	if err != nil {
		return err
	}
	_, err = w.queue.EnqueueContext(ctx, asynq.NewTask(jobs.TypeCallback, payload),
		asynq.TaskID(id), asynq.Queue(jobs.QueueDefault), asynq.MaxRetry(callback.MaxRetry),
		asynq.Timeout(30*time.Second), asynq.Retention(24*time.Hour))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

// deliverCallback handles jobs.TypeCallback. A receiver that rejects the
// event (4xx) is not asked again; anything else is retried with
// callback.RetryDelay.
func (w *Worker) deliverCallback(ctx context.Context, t *asynq.Task) error {
	var ct callbackTask
	if err := json.Unmarshal(t.Payload(), &ct); err != nil {
		return fmt.Errorf("callback payload: %v: %w", err, asynq.SkipRetry)
	}
	client := w.callbacks.Client(10 * time.Second)
	err := callback.Deliver(ctx, client, ct.URL, w.callbackSecret, ct.Event, version.UserAgent())
	if errors.Is(err, callback.ErrRejected) {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}
