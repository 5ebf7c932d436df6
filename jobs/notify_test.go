package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/jobs"
)

// TestWaitNotified: Wait returns when the worker announces the outcome, not
// at its next poll.
func TestWaitNotified(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	const poll = time.Second // the default fallback
	client := jobs.NewClient(e.rdb, e.keys, jobs.Options{PollInterval: poll})
	t.Cleanup(func() { client.Close() })
	finished := make(chan time.Time, 1)
	startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		time.Sleep(50 * time.Millisecond)
		if err := writeOutcome(task, runOutcome(task)); err != nil {
			return err
		}
		finished <- time.Now()
		return jobs.NotifyDone(ctx, e.rdb, task.ResultWriter().TaskID())
	}))
	job := e.addPhone(t, addPhoneReq())
	o := waitFor(t, client, job, 5*time.Second)
	returned := time.Now()
	if o.Message != job.ID {
		t.Errorf("Wait = %+v, want the outcome of %s", o, job.ID)
	}
	if lag := returned.Sub(<-finished); lag > 300*time.Millisecond {
		t.Errorf("Wait returned %v after the outcome was announced, want well under the %v poll", lag, poll)
	}
}

// TestWaitOutcomeWhileActive: a final outcome counts although the handler
// has not returned yet (workers announce right after writing it).
func TestWaitOutcomeWhileActive(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	release := make(chan struct{})
	startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		if err := finish(ctx, e.rdb, task, runOutcome(task)); err != nil {
			return err
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}))
	t.Cleanup(func() { close(release) }) // before the server shuts down
	job := e.addPhone(t, addPhoneReq())
	if o := waitFor(t, e.client, job, 5*time.Second); o.Message != job.ID {
		t.Errorf("Wait = %+v, want the outcome of %s", o, job.ID)
	}
	if st := e.task(t, job).State; st != asynq.TaskStateActive {
		t.Errorf("task state after Wait = %v, want active (the handler is still running)", st)
	}
	// And the finished run is not joined by a repeat: it is over.
	if again := e.addPhone(t, addPhoneReq()); again.ID == job.ID || again.Existing {
		t.Errorf("AddPhone after the outcome = %+v, want a new run", again)
	}
}

// TestWaitFallbackWithoutNotify: without an announcement Wait still returns,
// at its next poll.
func TestWaitFallbackWithoutNotify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	client := jobs.NewClient(e.rdb, e.keys, jobs.Options{PollInterval: 200 * time.Millisecond})
	t.Cleanup(func() { client.Close() })
	startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		time.Sleep(50 * time.Millisecond)
		return writeOutcome(task, runOutcome(task)) // no NotifyDone
	}))
	job := e.addPhone(t, addPhoneReq())
	if o := waitFor(t, client, job, 5*time.Second); o.Message != job.ID {
		t.Errorf("Wait = %+v, want the outcome of %s", o, job.ID)
	}
}

// countReads counts the task reads (asynq's GetTaskInfo checks the queue
// with one SISMEMBER each) made through a Redis client.
type countReads struct{ n atomic.Int64 }

func (c *countReads) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *countReads) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (c *countReads) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "sismember" {
			c.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

// TestWaitDoesNotPoll: while nothing is announced, Wait reads the task only
// at its start, after subscribing and at its slow poll.
func TestWaitDoesNotPoll(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	job := e.addPhone(t, addPhoneReq())
	rdb := redis.NewClient(e.rdb.Options())
	t.Cleanup(func() { rdb.Close() })
	reads := &countReads{}
	rdb.AddHook(reads)
	client := jobs.NewClient(rdb, e.keys, jobs.Options{PollInterval: time.Second})
	t.Cleanup(func() { client.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	if o, err := client.Wait(ctx, job); !errors.Is(err, jobs.ErrNotFinished) {
		t.Fatalf("Wait = %+v, %v; want ErrNotFinished", o, err)
	}
	// One read at the start, one when the subscription is confirmed.
	if n := reads.n.Load(); n > 3 {
		t.Errorf("Wait read the task %d times in 700 ms with a 1 s poll, want at most 3", n)
	}
}

// TestWaitManyWaiters: one Client's subscription serves every Wait, each
// woken by its own job's announcement (the poll is too slow to matter).
func TestWaitManyWaiters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	client := jobs.NewClient(e.rdb, e.keys, jobs.Options{PollInterval: time.Hour})
	t.Cleanup(func() { client.Close() })
	startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		time.Sleep(20 * time.Millisecond)
		return finish(ctx, e.rdb, task, runOutcome(task))
	}))
	const jobsN, waitersPerJob = 10, 3
	var wg sync.WaitGroup
	for i := range jobsN {
		r := addPhoneReq()
		r.PhoneNumber = fmt.Sprintf("+1212555%04d", i)
		job := e.addPhone(t, r)
		for range waitersPerJob {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				o, err := client.Wait(ctx, job)
				if err != nil || o.Message != job.ID {
					t.Errorf("Wait(%s) = %+v, %v; want its own outcome", job.ID, o, err)
				}
			})
		}
	}
	wg.Wait()
}

// subscribers counts the connections subscribed to DoneChannel under
// clientName. A real Redis is shared with other tests, so its CLIENT LIST
// is filtered by name; miniredis has no CLIENT LIST but is the test's own.
func subscribers(t *testing.T, rdb *redis.Client, clientName string) int {
	t.Helper()
	ctx := context.Background()
	list, err := rdb.ClientList(ctx).Result()
	if err != nil || list == "" {
		n, err := rdb.PubSubNumSub(ctx, jobs.DoneChannel).Result()
		if err != nil {
			t.Fatal(err)
		}
		return int(n[jobs.DoneChannel])
	}
	count := 0
	for line := range strings.SplitSeq(list, "\n") {
		if strings.Contains(line, " name="+clientName+" ") && strings.Contains(line, " sub=1 ") {
			count++
		}
	}
	return count
}

func TestClientClose(t *testing.T) {
	t.Parallel()
	opt := testenv.Redis(t)
	opt.ClientName = fmt.Sprintf("jobs-close-test-%d", time.Now().UnixNano())
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	keys := mustRing(t, "k1:"+stdKey(1))

	idle := jobs.NewClient(rdb, keys, jobs.Options{})
	if err := idle.Close(); err != nil {
		t.Errorf("Close of an unused client: %v", err)
	}

	c := jobs.NewClient(rdb, keys, jobs.Options{PollInterval: 50 * time.Millisecond})
	job, err := c.AddPhone(context.Background(), addPhoneReq())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Wait(ctx, job); !errors.Is(err, jobs.ErrNotFinished) {
		t.Fatalf("Wait: %v", err)
	}
	if n := subscribers(t, rdb, opt.ClientName); n != 1 {
		t.Errorf("%d subscriptions after Wait, want 1", n)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for subscribers(t, rdb, opt.ClientName) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the subscription outlives Close")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// A closed client still waits, by polling.
	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { insp.Close() })
	go func() {
		time.Sleep(100 * time.Millisecond)
		if err := insp.ArchiveTask(job.Queue, job.ID); err != nil {
			t.Error(err)
		}
	}()
	if diff := cmp.Diff(jobs.Outcome{State: jobs.StateFailed, Code: jobs.CodeInternal}, waitFor(t, c, job, 5*time.Second)); diff != "" {
		t.Errorf("Wait after Close (-want +got):\n%s", diff)
	}
}

// BenchmarkWait measures how long Wait takes to return once a handler has
// written a job's outcome; ns/op is that latency, not the whole round trip.
// "notified" is the worker announcing the outcome (Wait polls at the
// default 1 s); "fallback-1s" is the same Wait when no announcement comes;
// "polled-50ms" is Wait as it was before announcements, polling every 50 ms.
func BenchmarkWait(b *testing.B) {
	for _, bc := range []struct {
		name   string
		notify bool
		poll   time.Duration
	}{
		{"notified", true, jobs.DefaultPollInterval},
		{"fallback-1s", false, jobs.DefaultPollInterval},
		{"polled-50ms", false, 50 * time.Millisecond},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, jobs.Options{PollInterval: bc.poll})
			var done sync.Map // task id -> when its outcome was written
			startServer(b, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
				time.Sleep(10 * time.Millisecond) // Wait is waiting by now
				if err := writeOutcome(task, runOutcome(task)); err != nil {
					return err
				}
				done.Store(task.ResultWriter().TaskID(), time.Now())
				if bc.notify {
					return jobs.NotifyDone(ctx, e.rdb, task.ResultWriter().TaskID())
				}
				return nil
			}))
			n := 0
			run := func() time.Duration {
				r := addPhoneReq()
				r.PhoneNumber = fmt.Sprintf("+1212%07d", n) // a new request each time
				n++
				job, err := e.client.AddPhone(context.Background(), r)
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if _, err := e.client.Wait(ctx, job); err != nil {
					b.Fatal(err)
				}
				returned := time.Now()
				at, ok := done.Load(job.ID)
				if !ok {
					b.Fatalf("Wait returned before the handler wrote %s's outcome", job.ID)
				}
				return returned.Sub(at.(time.Time))
			}
			run() // subscribe before measuring
			var total time.Duration
			b.ResetTimer()
			for range b.N {
				total += run()
			}
			b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/op")
		})
	}
}

// TestWriteOutcomeIsAsynqResult: WriteOutcome writes the task result asynq
// itself would (its Inspector reads the same bytes as a ResultWriter's),
// and announces it, so Wait returns at once rather than at its next poll.
func TestWriteOutcomeIsAsynqResult(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	const poll = time.Minute // only the announcement can end Wait in time
	client := jobs.NewClient(e.rdb, e.keys, jobs.Options{PollInterval: poll})
	t.Cleanup(func() { client.Close() })
	release := make(chan struct{})
	written := make(chan [2]error, 1)
	startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		queue, _ := asynq.GetQueueName(ctx)
		werr, nerr := jobs.WriteOutcome(ctx, e.rdb, queue, task.ResultWriter().TaskID(), runOutcome(task))
		written <- [2]error{werr, nerr}
		<-release // still active: the result alone is the outcome
		return nil
	}))
	t.Cleanup(func() { close(release) })
	job := e.addPhone(t, addPhoneReq())
	o := waitFor(t, client, job, 10*time.Second)
	if o.Message != job.ID || o.State != jobs.StateSucceeded {
		t.Errorf("Wait = %+v, want the outcome of %s", o, job.ID)
	}
	if errs := <-written; errs != [2]error{} {
		t.Errorf("WriteOutcome = write error %v, notify error %v; want neither", errs[0], errs[1])
	}
	want, _ := json.Marshal(jobs.Outcome{State: jobs.StateSucceeded, Message: job.ID})
	if got := e.task(t, job).Result; string(got) != string(want) {
		t.Errorf("asynq's task result = %s, want %s", got, want)
	}
}

// TestWriteOutcomeReportsAFailedWrite: an outcome Redis refuses is a write
// error (the worker must not count the job as done), not a failed
// announcement.
func TestWriteOutcomeReportsAFailedWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, jobs.Options{})
	// HSET of a key that holds a string fails (WRONGTYPE).
	if err := e.rdb.Set(ctx, "asynq:{default}:t:add-x", "not a hash", 0).Err(); err != nil {
		t.Fatal(err)
	}
	werr, nerr := jobs.WriteOutcome(ctx, e.rdb, "default", "add-x", jobs.Outcome{State: jobs.StateSucceeded})
	if werr == nil || nerr != nil {
		t.Errorf("WriteOutcome into a string key = write error %v, notify error %v; want a write error only", werr, nerr)
	}
}
