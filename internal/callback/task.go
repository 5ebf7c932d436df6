package callback

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/jobs"
)

// Enqueue enqueues the delivery of ct as a jobs.TypeCallback task
// with the task id id (deterministic: enqueueing it again is a no-op while
// asynq retains it). enqueue is an asynq.Client's EnqueueContext (or
// jobs.Client.EnqueueTask).
func Enqueue(ctx context.Context, enqueue func(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error), id string, ct Task) error {
	payload, err := json.Marshal(ct)
	if err != nil {
		return err
	}
	_, err = enqueue(ctx, asynq.NewTask(jobs.TypeCallback, payload),
		asynq.TaskID(id), asynq.Queue(jobs.QueueDefault), asynq.MaxRetry(MaxRetry),
		asynq.Timeout(30*time.Second), asynq.Retention(24*time.Hour))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}
