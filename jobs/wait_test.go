package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/jobs"
)

// server is an asynq server run by a test in place of switchboard's workers.
type server struct {
	srv  *asynq.Server
	once sync.Once
	log  *testLogger
}

// startServer runs h on every queue of rdb until the test ends or stop.
func startServer(t testing.TB, rdb redis.UniversalClient, h asynq.Handler) *server {
	t.Helper()
	log := &testLogger{t: t}
	s := &server{log: log, srv: asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Queues:                   jobs.Queues(),
		Concurrency:              2,
		TaskCheckInterval:        20 * time.Millisecond,
		DelayedTaskCheckInterval: 50 * time.Millisecond,
		ShutdownTimeout:          5 * time.Second,
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 50 * time.Millisecond },
		Logger:                   log,
		LogLevel:                 asynq.WarnLevel,
	})}
	if err := s.srv.Start(h); err != nil {
		t.Fatalf("asynq server: %v", err)
	}
	t.Cleanup(s.stop)
	return s
}

func (s *server) stop() {
	s.once.Do(func() {
		s.srv.Shutdown()
		s.log.close()
	})
}

// testLogger sends asynq's log to the test log while the server runs.
type testLogger struct {
	t      testing.TB
	mu     sync.Mutex
	closed bool
}

func (l *testLogger) logf(level string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.t.Logf("asynq %s: %s", level, fmt.Sprint(args...))
	}
}

func (l *testLogger) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}

func (l *testLogger) Debug(args ...any) { l.logf("debug", args...) }
func (l *testLogger) Info(args ...any)  { l.logf("info", args...) }
func (l *testLogger) Warn(args ...any)  { l.logf("warn", args...) }
func (l *testLogger) Error(args ...any) { l.logf("error", args...) }
func (l *testLogger) Fatal(args ...any) { l.logf("fatal", args...) }

// writeOutcome records o as the task's result, as switchboard's workers do.
func writeOutcome(task *asynq.Task, o jobs.Outcome) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	_, err = task.ResultWriter().Write(b)
	return err
}

// finish writes o as the task's final outcome and announces it, as
// switchboard's workers do.
func finish(ctx context.Context, rdb redis.UniversalClient, task *asynq.Task, o jobs.Outcome) error {
	if err := writeOutcome(task, o); err != nil {
		return err
	}
	return jobs.NotifyDone(ctx, rdb, task.ResultWriter().TaskID())
}

// runOutcome is what the test handlers below report: the run's own id, so a
// waiter can tell whose outcome it got.
func runOutcome(task *asynq.Task) jobs.Outcome {
	return jobs.Outcome{State: jobs.StateSucceeded, Message: task.ResultWriter().TaskID()}
}

// waitFor is Wait with a deadline, failing the test on an error.
func waitFor(t *testing.T, c *jobs.Client, job jobs.Job, d time.Duration) jobs.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	o, err := c.Wait(ctx, job)
	if err != nil {
		t.Fatalf("Wait(%s): %v", job.ID, err)
	}
	return o
}

// waitState polls until job's task is in state.
func waitState(t *testing.T, insp *asynq.Inspector, job jobs.Job, state asynq.TaskState) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, err := insp.GetTaskInfo(job.Queue, job.ID)
		if err == nil && info.State == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s did not reach state %v: %+v, %v", job.ID, state, info, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wait calls Wait with a generous deadline, for jobs a server will finish.
func (e *env) wait(t *testing.T, job jobs.Job) jobs.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	o, err := e.client.Wait(ctx, job)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return o
}

func TestWaitJobNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	ctx := context.Background()
	// Nothing was ever enqueued: the queue does not exist either.
	if o, err := e.client.Wait(ctx, jobs.Job{ID: "add-unknown", Type: jobs.TypeAddPhone, Queue: jobs.QueueCritical}); !errors.Is(err, jobs.ErrJobNotFound) {
		t.Errorf("Wait on an empty Redis = %+v, %v; want ErrJobNotFound", o, err)
	}

	job := e.addPhone(t, addPhoneReq())
	if o, err := e.client.Wait(ctx, jobs.Job{ID: "add-unknown", Type: jobs.TypeAddPhone, Queue: jobs.QueueCritical}); !errors.Is(err, jobs.ErrJobNotFound) {
		t.Errorf("Wait for an unknown id = %+v, %v; want ErrJobNotFound", o, err)
	}
	other := job
	other.Queue = jobs.QueueBulk
	if o, err := e.client.Wait(ctx, other); !errors.Is(err, jobs.ErrJobNotFound) {
		t.Errorf("Wait on the wrong queue = %+v, %v; want ErrJobNotFound", o, err)
	}
	if err := e.insp.DeleteTask(job.Queue, job.ID); err != nil {
		t.Fatal(err)
	}
	if o, err := e.client.Wait(ctx, job); !errors.Is(err, jobs.ErrJobNotFound) {
		t.Errorf("Wait for a deleted job = %+v, %v; want ErrJobNotFound", o, err)
	}
}

func TestWaitNotFinished(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	job := e.addPhone(t, addPhoneReq())

	const d = 150 * time.Millisecond
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	o, err := e.client.Wait(ctx, job)
	if !errors.Is(err, jobs.ErrNotFinished) {
		t.Fatalf("Wait = %+v, %v; want ErrNotFinished", o, err)
	}
	if el := time.Since(start); el < d {
		t.Errorf("Wait returned after %v, before its context ended (%v)", el, d)
	}
	if diff := cmp.Diff(jobs.Outcome{}, o); diff != "" {
		t.Errorf("Wait returned an outcome with ErrNotFinished (-want +got):\n%s", diff)
	}

	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := e.client.Wait(canceled, job); !errors.Is(err, jobs.ErrNotFinished) {
		t.Errorf("Wait with a canceled context: err = %v, want ErrNotFinished", err)
	}
	// The job goes on.
	if st := e.task(t, job).State; st != asynq.TaskStatePending {
		t.Errorf("state after Wait = %v, want pending", st)
	}
}

func TestWaitSucceeded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		// Do what a worker does: decode the payload, open the credentials.
		var p jobs.AddPhone
		if err := json.Unmarshal(task.Payload(), &p); err != nil {
			return err
		}
		creds, err := e.keys.OpenCredentials(p.Credentials)
		if err != nil {
			return err
		}
		data, _ := json.Marshal(jobs.AddPhoneResult{NumberID: "num_" + creds.AccountID, UserID: p.UserID, PhoneNumber: p.PhoneNumber, Provider: p.Provider, CreatedAt: created})
		return finish(ctx, e.rdb, task, jobs.Outcome{State: jobs.StateSucceeded, Data: data})
	}))
	req := addPhoneReq()
	job := e.addPhone(t, req)
	o := e.wait(t, job)

	if o.State != jobs.StateSucceeded || o.Code != "" || o.Message != "" {
		t.Errorf("Wait = %+v, want succeeded", o)
	}
	var got jobs.AddPhoneResult
	if err := json.Unmarshal(o.Data, &got); err != nil {
		t.Fatalf("outcome data %q: %v", o.Data, err)
	}
	want := jobs.AddPhoneResult{NumberID: "num_" + req.Credentials.AccountID, UserID: req.UserID, PhoneNumber: req.PhoneNumber, Provider: req.Provider, CreatedAt: created}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AddPhoneResult (-want +got):\n%s", diff)
	}
	// Wait may return as soon as the outcome is written, before the
	// handler has returned; the task then completes.
	waitState(t, e.insp, job, asynq.TaskStateCompleted)
	// Waiting again reads the same retained outcome.
	if diff := cmp.Diff(o, e.wait(t, job)); diff != "" {
		t.Errorf("second Wait (-want +got):\n%s", diff)
	}
}

func TestWaitBlocksWhileRunning(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	release := make(chan struct{})
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		// A progress note written early is not the outcome.
		if err := writeOutcome(task, jobs.Outcome{State: jobs.StateActive}); err != nil {
			return err
		}
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		return finish(ctx, e.rdb, task, jobs.Outcome{State: jobs.StateSucceeded, Message: "done"})
	}))
	t.Cleanup(free) // registered after the server, so it runs before Shutdown
	job := e.addPhone(t, addPhoneReq())
	waitState(t, e.insp, job, asynq.TaskStateActive)

	type result struct {
		o   jobs.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		o, err := e.client.Wait(ctx, job)
		done <- result{o, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("Wait returned %+v, %v while the job was running", r.o, r.err)
	case <-time.After(300 * time.Millisecond):
	}
	if dup := e.addPhone(t, addPhoneReq()); !dup.Existing {
		t.Errorf("AddPhone while the job runs: Existing = false")
	}
	free()
	r := <-done
	if r.err != nil {
		t.Fatalf("Wait: %v", r.err)
	}
	if diff := cmp.Diff(jobs.Outcome{State: jobs.StateSucceeded, Message: "done"}, r.o); diff != "" {
		t.Errorf("Wait (-want +got):\n%s", diff)
	}
}

func TestWaitRetries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		if n, _ := asynq.GetRetryCount(ctx); n == 0 {
			// The first attempt fails transiently, leaving a result behind.
			if err := writeOutcome(task, jobs.Outcome{State: jobs.StateRetrying, Code: jobs.CodeProviderUnavailable}); err != nil {
				return err
			}
			return errors.New("provider timed out")
		}
		return finish(ctx, e.rdb, task, jobs.Outcome{State: jobs.StateSucceeded, Message: "second try"})
	}))
	job := e.addPhone(t, addPhoneReq())
	if diff := cmp.Diff(jobs.Outcome{State: jobs.StateSucceeded, Message: "second try"}, e.wait(t, job)); diff != "" {
		t.Errorf("Wait (-want +got):\n%s", diff)
	}
	if info := e.task(t, job); info.Retried != 1 {
		t.Errorf("task retried %d times, want 1", info.Retried)
	}
}

func TestWaitFailedOutcome(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	want := jobs.Outcome{State: jobs.StateFailed, Code: jobs.CodeNotOwned, Message: "the account does not own +12125551234"}
	startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		if err := finish(ctx, e.rdb, task, want); err != nil {
			return err
		}
		return fmt.Errorf("not owned: %w", asynq.SkipRetry)
	}))
	job := e.addPhone(t, addPhoneReq())
	got := e.wait(t, job)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Wait (-want +got):\n%s", diff)
	}
	waitState(t, e.insp, job, asynq.TaskStateArchived)
}

func TestWaitArchivedWithoutOutcome(t *testing.T) {
	t.Parallel()

	t.Run("archived by an operator", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, jobs.Options{})
		job := e.addPhone(t, addPhoneReq())
		if err := e.insp.ArchiveTask(job.Queue, job.ID); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(jobs.Outcome{State: jobs.StateFailed, Code: jobs.CodeInternal}, e.wait(t, job)); diff != "" {
			t.Errorf("Wait (-want +got):\n%s", diff)
		}
	})

	t.Run("handler failed without an outcome", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, jobs.Options{})
		startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
			return fmt.Errorf("worker blew up: %w", asynq.SkipRetry)
		}))
		job := e.addPhone(t, addPhoneReq())
		got := e.wait(t, job)
		if got.State != jobs.StateFailed || got.Code != jobs.CodeInternal || got.Data != nil {
			t.Errorf("Wait = %+v, want failed/internal", got)
		}
		if !strings.Contains(got.Message, "worker blew up") {
			t.Errorf("Message = %q, want the last error", got.Message)
		}
	})
}

func TestWaitUnreadableOutcome(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		_, err := task.ResultWriter().Write([]byte("not json"))
		return err
	}))
	job := e.addPhone(t, addPhoneReq())
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	o, err := e.client.Wait(ctx, job)
	if err == nil || errors.Is(err, jobs.ErrNotFinished) || errors.Is(err, jobs.ErrJobNotFound) {
		t.Errorf("Wait = %+v, %v; want an unreadable-outcome error", o, err)
	}
}

// TestWaitFirstRunAfterRepeat: a caller waiting on a finished run gets that
// run's outcome even after a repeat of the request has started a new run.
func TestWaitFirstRunAfterRepeat(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	srv := startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		return finish(ctx, e.rdb, task, runOutcome(task))
	}))
	first := e.addPhone(t, addPhoneReq())
	waitState(t, e.insp, first, asynq.TaskStateCompleted)
	srv.stop()
	second := e.addPhone(t, addPhoneReq())
	if second.ID == first.ID {
		t.Fatalf("the repeat reuses run %s", first.ID)
	}
	if o := waitFor(t, e.client, first, 5*time.Second); o.Message != first.ID {
		t.Errorf("Wait(first) = %+v, want the outcome of %s", o, first.ID)
	}
	// The second run is pending: it has no outcome yet.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if o, err := e.client.Wait(ctx, second); !errors.Is(err, jobs.ErrNotFinished) {
		t.Errorf("Wait(second) = %+v, %v; want ErrNotFinished", o, err)
	}
}
