package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"
)

// ErrNoPayload means Rerun found no task for the run in any queue (asynq
// trims its archive) or a task of a type that is not a request (a
// callback, a reconcile): there is nothing to ask for again.
var ErrNoPayload = errors.New("jobs: the run's request is not in asynq any more, or is not one that can be asked again")

// Rerun asks again for the request that run id belongs to, exactly as
// the caller asked the first time: it reads the run's payload back from
// asynq (a failed task stays archived, a finished one retained) and calls
// AddPhone, Attach or Unlink with it, so the request key, the collapsing
// of identical requests and the sealing of credentials are those of any
// other request. A request with a run in flight joins that run
// (Job.Existing); a finished one gets a new run. It returns ErrNoPayload
// when the payload is gone.
func (c *Client) Rerun(ctx context.Context, id string) (Job, error) {
	info, err := c.findTask(id)
	if err != nil {
		return Job{}, err
	}
	switch info.Type {
	case TypeAddPhone:
		var p AddPhone
		if err := json.Unmarshal(info.Payload, &p); err != nil {
			return Job{}, fmt.Errorf("jobs: rerun %s: %w", id, err)
		}
		creds, err := c.keys.OpenCredentials(p.Credentials)
		if err != nil {
			return Job{}, fmt.Errorf("jobs: rerun %s: %w", id, err)
		}
		return c.AddPhone(ctx, AddPhoneRequest{OrgID: p.OrgID, UserID: p.UserID, PhoneNumber: p.PhoneNumber, Provider: p.Provider,
			Credentials: creds, Override: p.Override, CallbackURL: p.CallbackURL})
	case TypeAttach:
		var p Attach
		if err := json.Unmarshal(info.Payload, &p); err != nil {
			return Job{}, fmt.Errorf("jobs: rerun %s: %w", id, err)
		}
		return c.Attach(ctx, p)
	case TypeUnlink:
		var p Unlink
		if err := json.Unmarshal(info.Payload, &p); err != nil {
			return Job{}, fmt.Errorf("jobs: rerun %s: %w", id, err)
		}
		return c.Unlink(ctx, p)
	}
	return Job{}, fmt.Errorf("%w (%s is a %s)", ErrNoPayload, id, info.Type)
}

// findTask looks for the task with id in every switchboard queue.
func (c *Client) findTask(id string) (*asynq.TaskInfo, error) {
	for q := range Queues() {
		info, err := c.insp.GetTaskInfo(q, id)
		switch {
		case err == nil:
			return info, nil
		case !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound):
			return nil, fmt.Errorf("jobs: rerun %s: inspect queue %s: %w", id, q, err)
		}
	}
	return nil, fmt.Errorf("%w (%s)", ErrNoPayload, id)
}
