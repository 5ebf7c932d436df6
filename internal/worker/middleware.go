package worker

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/hibiken/asynq"
)

// logging logs each attempt's outcome. It never logs payloads: they hold
// sealed credentials and customer numbers.
func (w *Worker) logging(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		id, _ := asynq.GetTaskID(ctx)
		retried, _ := asynq.GetRetryCount(ctx)
		err := next.ProcessTask(ctx, t)
		attrs := []any{"type", t.Type(), "task_id", id, "attempt", retried + 1, "duration", time.Since(start).Round(time.Millisecond)}
		if err != nil {
			outcome := "retried"
			if errors.Is(err, asynq.SkipRetry) {
				outcome = "failed"
			}
			w.metrics.Job(t.Type(), outcome, time.Since(start))
			w.log.Warn("job attempt failed", append(attrs, "error", err.Error())...)
			return err
		}
		w.metrics.Job(t.Type(), "succeeded", time.Since(start))
		w.log.Info("job attempt done", attrs...)
		return nil
	})
}

// recovery turns a handler panic into an internal error, so the job record
// says what happened and the worker process lives on.
func (w *Worker) recovery(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) (err error) {
		defer func() {
			if r := recover(); r != nil {
				w.log.Error("job panicked", "type", t.Type(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = internalError(fmt.Errorf("panic: %v", r))
			}
		}()
		return next.ProcessTask(ctx, t)
	})
}
