package worker_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
)

const (
	webhookBase = workertest.WebhookBase
	userID      = workertest.UserID
)

var sandboxCreds = workertest.TwilioCreds

// harness adds job helpers to a workertest.Env.
type harness struct{ *workertest.Env }

func backends(t *testing.T, test func(t *testing.T, h *harness)) {
	workertest.Each(t, func(t *testing.T, env *workertest.Env) { test(t, &harness{env}) })
}

// addPhone enqueues and waits for the outcome.
func (h *harness) addPhone(t *testing.T, r jobs.AddPhoneRequest) (jobs.Job, jobs.Outcome) {
	t.Helper()
	if r.OrgID == 0 {
		r.OrgID = h.OrgID
	}
	if r.UserID == "" {
		r.UserID = userID
	}
	if r.Provider == "" {
		r.Provider = jobs.ProviderTwilio
	}
	if r.Credentials == (jobs.Credentials{}) {
		r.Credentials = sandboxCreds
	}
	job, err := h.Jobs.AddPhone(context.Background(), r)
	mustOK(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := h.Jobs.Wait(ctx, job)
	mustOK(t, err)
	return job, out
}

// enqueueRaw enqueues a payload as-is, bypassing Client (to replay a run).
func (h *harness) enqueueRaw(t *testing.T, typ string, payload []byte, id string) jobs.Outcome {
	t.Helper()
	c := asynq.NewClientFromRedisClient(h.Redis)
	_, err := c.Enqueue(asynq.NewTask(typ, payload), asynq.TaskID(id), asynq.Queue(jobs.QueueCritical), asynq.Retention(time.Hour))
	mustOK(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := h.Jobs.Wait(ctx, jobs.Job{ID: id, Queue: jobs.QueueCritical})
	mustOK(t, err)
	return out
}

func inspector(h *harness) *asynq.Inspector { return asynq.NewInspectorFromRedisClient(h.Redis) }

func mustOK(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// enqueueReconcile enqueues a reconcile check of one number, as the scan does.
func (h *harness) enqueueReconcile(ctx context.Context, number string) (jobs.Job, error) {
	id := "reconcile-test-" + number + "-" + time.Now().Format("150405.000000000")
	p, _ := json.Marshal(jobs.Reconcile{OrgID: h.OrgID, Number: number})
	_, err := asynq.NewClientFromRedisClient(h.Redis).EnqueueContext(ctx, asynq.NewTask(jobs.TypeReconcile, p),
		asynq.TaskID(id), asynq.Queue(jobs.QueueBulk), asynq.Retention(time.Hour))
	return jobs.Job{ID: id, Queue: jobs.QueueBulk}, err
}

// waitFor polls cond for up to 20 seconds.
func (h *harness) waitFor(t *testing.T, cond func() bool) bool {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}
