package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// ErrNotFinished is returned by Wait when ctx ends before the job reaches
// a terminal state. The job goes on; ask again later.
var ErrNotFinished = errors.New("jobs: job has not finished")

// ErrJobNotFound is returned by Wait when asynq holds no task with the
// job's id (it was never enqueued, or its retention expired).
var ErrJobNotFound = errors.New("jobs: job not found")

// Wait polls the job's task until a worker records its outcome, the task
// disappears (ErrJobNotFound) or ctx ends (ErrNotFinished). It is meant for
// request/response front ends such as the HTTP API; workers keep the durable
// record in the database.
func (c *Client) Wait(ctx context.Context, job Job) (Outcome, error) {
	const interval = 50 * time.Millisecond
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		info, err := c.insp.GetTaskInfo(job.Queue, job.ID)
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
			return Outcome{}, ErrJobNotFound
		case err != nil:
			return Outcome{}, fmt.Errorf("jobs: wait for %s: %w", job.ID, err)
		case len(info.Result) > 0 && (info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived):
			var o Outcome
			if err := json.Unmarshal(info.Result, &o); err != nil {
				return Outcome{}, fmt.Errorf("jobs: wait for %s: unreadable outcome: %w", job.ID, err)
			}
			return o, nil
		case info.State == asynq.TaskStateArchived:
			// Archived without an outcome: the worker died on the last attempt
			// or a handler for the type is missing.
			return Outcome{State: StateFailed, Code: CodeInternal, Message: info.LastErr}, nil
		}
		select {
		case <-ctx.Done():
			return Outcome{}, ErrNotFinished
		case <-t.C:
		}
	}
}

// finished reports whether a task's run is over, so that a new request
// needs a new run: the task is completed or archived.
func finished(info *asynq.TaskInfo) bool {
	return info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived
}
