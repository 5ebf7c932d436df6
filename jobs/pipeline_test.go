package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/jobs"
)

// batchPayloads are n add-phone payloads of batch rows, ids bat_t-<i>.0.
func batchPayloads(t *testing.T, e *env, n int) []jobs.AddPhone {
	t.Helper()
	sealed, err := e.keys.SealCredentials(jobs.Credentials{AccountID: "AC0123456789", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]jobs.AddPhone, n)
	for i := range ps {
		ps[i] = jobs.AddPhone{OrgID: 1, UserID: "64e5f12345abcdef12345678", PhoneNumber: fmt.Sprintf("+1212555%04d", i),
			Provider: jobs.ProviderTwilio, Credentials: sealed, RequestID: fmt.Sprintf("bat_t-%d.0", i+1), BatchID: "bat_t"}
	}
	return ps
}

// TestEnqueueAddPhonesAsAsynq: the pipelined enqueue writes what asynq's
// own Client writes for the same task, byte for byte, and the tasks are
// asynq's in every way that shows: the Inspector reads them, a second
// enqueue of an id joins the task whichever way either was sent, and an
// asynq server runs every one of them.
func TestEnqueueAddPhonesAsAsynq(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, jobs.Options{Queue: jobs.QueueBulk})
	ps := batchPayloads(t, e, 2*jobs.MaxPipeline+50) // three round trips

	// The same task through asynq (EnqueueAddPhone), then through the pipeline.
	key := "asynq:{" + jobs.QueueBulk + "}:t:" + ps[0].RequestID
	if _, err := e.client.EnqueueAddPhone(ctx, ps[0]); err != nil {
		t.Fatal(err)
	}
	byAsynq, err := e.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.insp.DeleteTask(jobs.QueueBulk, ps[0].RequestID); err != nil {
		t.Fatal(err)
	}
	e.rdb.Del(ctx, "asynq:queues") // the pipeline publishes the queue itself
	// Redis may have forgotten the script (a restart): it is loaded again.
	if err := e.rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := e.client.EnqueueAddPhones(ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	byPipeline, err := e.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal([]byte(byPipeline["msg"]), []byte(byAsynq["msg"])) || byPipeline["state"] != byAsynq["state"] {
		t.Fatalf("the pipeline wrote\n%q, state %q\nasynq writes\n%q, state %q", byPipeline["msg"], byPipeline["state"], byAsynq["msg"], byAsynq["state"])
	}
	if len(got) != len(ps) {
		t.Fatalf("%d jobs for %d payloads", len(got), len(ps))
	}
	for i, job := range got {
		want := jobs.Job{ID: ps[i].RequestID, Request: jobs.RequestOf(ps[i].RequestID), Type: jobs.TypeAddPhone, Queue: jobs.QueueBulk}
		if job != want {
			t.Fatalf("job %d = %+v, want %+v", i, job, want)
		}
	}
	if queues, _ := e.insp.Queues(); len(queues) != 1 || queues[0] != jobs.QueueBulk {
		t.Errorf("asynq's queues = %v, want [bulk]", queues)
	}
	info := e.task(t, got[1])
	if f, want := factsOf(info), (taskFacts{ID: ps[1].RequestID, Queue: jobs.QueueBulk, Type: jobs.TypeAddPhone, State: asynq.TaskStatePending,
		MaxRetry: jobs.DefaultMaxRetry, Timeout: jobs.DefaultTimeout, Retention: jobs.DefaultRetention}); f != want {
		t.Errorf("the Inspector reads %+v, want %+v", f, want)
	}
	if n := e.taskCount(t, jobs.QueueBulk); n != len(ps) {
		t.Errorf("%d tasks in the queue, want %d", n, len(ps))
	}

	// Enqueued again, through either path: joined, nothing added.
	again, err := e.client.EnqueueAddPhones(ctx, ps[:3])
	if err != nil {
		t.Fatal(err)
	}
	for i, job := range again {
		if !job.Existing {
			t.Errorf("pipeline again, job %d: not Existing", i)
		}
	}
	if job, err := e.client.EnqueueAddPhone(ctx, ps[5]); err != nil || !job.Existing {
		t.Errorf("asynq again: %+v, %v; want Existing", job, err)
	}
	if n := e.taskCount(t, jobs.QueueBulk); n != len(ps) {
		t.Errorf("%d tasks after enqueueing again, want %d", n, len(ps))
	}

	// A plain asynq server runs them all, payloads intact.
	var mu sync.Mutex
	seen := map[string]jobs.AddPhone{}
	srv := asynq.NewServerFromRedisClient(e.rdb, asynq.Config{Concurrency: 4, Queues: map[string]int{jobs.QueueBulk: 1},
		TaskCheckInterval: 10 * time.Millisecond, Logger: quietLogger{}})
	if err := srv.Start(asynq.HandlerFunc(func(_ context.Context, task *asynq.Task) error {
		var p jobs.AddPhone
		if err := json.Unmarshal(task.Payload(), &p); err != nil {
			return err
		}
		mu.Lock()
		seen[task.ResultWriter().TaskID()] = p
		mu.Unlock()
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == len(ps) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server ran %d of %d tasks", n, len(ps))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range ps {
		if seen[p.RequestID] != p {
			t.Fatalf("task %s ran with %+v, want %+v", p.RequestID, seen[p.RequestID], p)
		}
	}
}

// TestEnqueueAddPhonesValidatesFirst: one bad payload and nothing is sent.
func TestEnqueueAddPhonesValidatesFirst(t *testing.T) {
	e := newEnv(t, jobs.Options{Queue: jobs.QueueBulk})
	ps := batchPayloads(t, e, 10)
	ps[7].UserID = ""
	if _, err := e.client.EnqueueAddPhones(context.Background(), ps); err == nil {
		t.Fatal("a payload without a user: no error")
	}
	if n, err := e.rdb.Exists(context.Background(), "asynq:{"+jobs.QueueBulk+"}:pending", "asynq:queues").Result(); err != nil || n != 0 {
		t.Fatalf("%d of asynq's keys written (%v), want none", n, err)
	}
}

// quietLogger keeps the asynq server's log out of the test output.
type quietLogger struct{}

func (quietLogger) Debug(...any) {}
func (quietLogger) Info(...any)  {}
func (quietLogger) Warn(...any)  {}
func (quietLogger) Error(...any) {}
func (quietLogger) Fatal(...any) {}

// scriptCalls counts the SCRIPT commands a client sends, alone or in a
// pipeline.
type scriptCalls struct{ n atomic.Int64 }

func (h *scriptCalls) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *scriptCalls) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "script" {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h *scriptCalls) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if c.Name() == "script" {
				h.n.Add(1)
			}
		}
		return next(ctx, cmds)
	}
}

// TestEnqueueAddPhonesLoadsTheScriptOnlyWhenMissing: once Redis has the
// enqueue script, a pipelined enqueue is its round trips of EVALSHA and
// nothing more; it loads the script only when Redis answers NOSCRIPT.
func TestEnqueueAddPhonesLoadsTheScriptOnlyWhenMissing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, jobs.Options{Queue: jobs.QueueBulk})
	ps := batchPayloads(t, e, 2*jobs.MaxPipeline)
	if _, err := e.client.EnqueueAddPhones(ctx, ps[:1]); err != nil { // loads the script if Redis lacks it
		t.Fatal(err)
	}
	h := &scriptCalls{}
	e.rdb.AddHook(h)
	if _, err := e.client.EnqueueAddPhones(ctx, ps[1:]); err != nil {
		t.Fatal(err)
	}
	if n := h.n.Load(); n != 0 {
		t.Errorf("%d SCRIPT commands for an enqueue with the script loaded, want 0", n)
	}
}

// TestEnqueueAddPhonesFailsWhenItCannotPublishTheQueue: a task in a queue
// asynq's set of queues does not list is invisible to the Inspector and the
// dashboard, so a failure to publish the queue fails the enqueue, enqueues
// nothing, and the next enqueue publishes it.
func TestEnqueueAddPhonesFailsWhenItCannotPublishTheQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, jobs.Options{Queue: jobs.QueueBulk})
	ps := batchPayloads(t, e, 3)
	// SADD of a key that holds a string fails (WRONGTYPE).
	if err := e.rdb.Set(ctx, "asynq:queues", "not a set", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := e.client.EnqueueAddPhones(ctx, ps); err == nil || len(got) != 0 {
		t.Fatalf("EnqueueAddPhones with the queue set unwritable = %d jobs, %v; want an error and none", len(got), err)
	}
	if n := e.rdb.Exists(ctx, "asynq:{"+jobs.QueueBulk+"}:pending").Val(); n != 0 {
		t.Errorf("the failed enqueue left tasks pending")
	}
	e.rdb.Del(ctx, "asynq:queues")
	if _, err := e.client.EnqueueAddPhones(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if queues := e.rdb.SMembers(ctx, "asynq:queues").Val(); len(queues) != 1 || queues[0] != jobs.QueueBulk {
		t.Errorf("asynq:queues = %v after the second enqueue, want [%s]", queues, jobs.QueueBulk)
	}
}
