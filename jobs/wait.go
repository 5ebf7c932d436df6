package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// ErrNotFinished is returned by Wait when ctx ends before the job reaches
// a terminal state. The job goes on; ask again later.
var ErrNotFinished = errors.New("jobs: job has not finished")

// ErrJobNotFound is returned by Wait when asynq holds no task with the
// job's id (it was never enqueued, or its retention expired).
var ErrJobNotFound = errors.New("jobs: job not found")

// DoneChannel is the Redis pub/sub channel on which workers announce that a
// job has finished; each message is the finished job's task id. A message
// only tells waiters to read the task now: Wait trusts the task, not the
// message, so a stray or duplicate message is harmless (pub/sub channels are
// shared by all databases of a Redis server).
const DoneChannel = "switchboard:jobs:done"

// NotifyDone announces on DoneChannel that jobID has finished. Workers call
// it right after writing the job's final Outcome as the task's result (and
// only then), so that Wait returns at once instead of at its next poll.
// Delivery is not guaranteed (pub/sub is fire and forget); Wait polls for
// what is lost.
func NotifyDone(ctx context.Context, rdb redis.UniversalClient, jobID string) error {
	if err := rdb.Publish(ctx, DoneChannel, jobID).Err(); err != nil {
		return fmt.Errorf("jobs: notify %s done: %w", jobID, err)
	}
	return nil
}

// WriteOutcome writes out as the result of task id in queue, and
// announces on DoneChannel that the job has finished, in one round trip
// (a pipeline, the write first). The result is written as asynq's
// ResultWriter writes it (the "result" field of the task's hash, whose key
// asynq v0.26 names asynq:{queue}:t:id), so Wait and asynq's Inspector read
// it as any task result; TestWriteOutcomeIsAsynqResult holds it to that.
// The announcement is best effort, like NotifyDone's: notifyErr says it
// failed, and only writeErr fails the outcome.
func WriteOutcome(ctx context.Context, rdb redis.UniversalClient, queue, id string, out Outcome) (writeErr, notifyErr error) {
	raw, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("jobs: write outcome of %s: %w", id, err), nil
	}
	pipe := rdb.Pipeline()
	hset := pipe.HSet(ctx, "asynq:{"+queue+"}:t:"+id, "result", raw)
	pub := pipe.Publish(ctx, DoneChannel, id)
	_, _ = pipe.Exec(ctx) // each command's error is its own
	if err := hset.Err(); err != nil {
		return fmt.Errorf("jobs: write outcome of %s: %w", id, err), nil
	}
	if err := pub.Err(); err != nil {
		return nil, fmt.Errorf("jobs: notify %s done: %w", id, err)
	}
	return nil, nil
}

// Wait blocks until the job has an outcome, its task disappears
// (ErrJobNotFound) or ctx ends (ErrNotFinished). It reads the task when it
// starts, whenever a worker announces the job on DoneChannel (and after the
// Client's subscription to it is (re)established, since announcements made
// meanwhile are lost), and every Options.PollInterval in case an
// announcement is lost anyway. It is meant for request/response front ends
// such as the HTTP API; workers keep the durable record in the database.
//
// A job has an outcome once its task holds an Outcome with a terminal
// State, even while the task is still active (workers write the outcome
// before their handler returns), or once its task is completed or archived.
// A task archived without an outcome reports StateFailed, CodeInternal.
func (c *Client) Wait(ctx context.Context, job Job) (Outcome, error) {
	// Register before the first read: an announcement made after the read
	// is then not missed.
	wake, stop := c.done.register(job.ID)
	defer stop()
	poll := time.NewTicker(c.opts.PollInterval)
	defer poll.Stop()
	for {
		info, err := c.insp.GetTaskInfo(job.Queue, job.ID)
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
			return Outcome{}, ErrJobNotFound
		case err != nil:
			return Outcome{}, fmt.Errorf("jobs: wait for %s: %w", job.ID, err)
		}
		o, done, err := outcomeOf(info)
		if err != nil {
			return Outcome{}, fmt.Errorf("jobs: wait for %s: %w", job.ID, err)
		}
		if done {
			return o, nil
		}
		select {
		case <-ctx.Done():
			return Outcome{}, ErrNotFinished
		case <-wake:
		case <-poll.C:
		}
	}
}

// outcomeOf returns the outcome of a task, and whether it has one yet.
func outcomeOf(info *asynq.TaskInfo) (o Outcome, done bool, err error) {
	ended := info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived
	if len(info.Result) > 0 {
		if err := json.Unmarshal(info.Result, &o); err != nil {
			if !ended {
				// Not an outcome, and the task runs on: what it ends with counts.
				return Outcome{}, false, nil
			}
			return Outcome{}, true, fmt.Errorf("unreadable outcome: %w", err)
		}
		if ended || o.State.Terminal() {
			return o, true, nil
		}
		return Outcome{}, false, nil // a progress note, not the outcome
	}
	if info.State == asynq.TaskStateArchived {
		// Archived without an outcome: the worker died on the last attempt
		// or a handler for the type is missing.
		return Outcome{State: StateFailed, Code: CodeInternal, Message: info.LastErr}, true, nil
	}
	return Outcome{}, false, nil
}

// finished reports whether a task's run is over, so that a new request
// needs a new run: its outcome is final, or the task is completed or
// archived.
func finished(info *asynq.TaskInfo) bool {
	if info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived {
		return true
	}
	_, done, _ := outcomeOf(info)
	return done
}
