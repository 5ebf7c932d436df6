package cancellation_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/cancellation"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

const (
	number = twiliotest.SandboxNumberNYC
	// prompt bounds how long a cancelled job may take to end: far below the
	// hour its backoff is pushed to.
	prompt = 10 * time.Second
)

func canceller(env *workertest.Env) cancellation.Canceller {
	return cancellation.Canceller{Store: env.Store, Queue: asynq.NewInspectorFromRedisClient(env.Redis)}
}

func setFaults(t *testing.T, env *workertest.Env, change func(*twiliotest.Faults)) {
	t.Helper()
	f := env.Twilio.Faults()
	change(&f)
	if err := env.Twilio.SetFaults(f); err != nil {
		t.Fatal(err)
	}
}

// waitRecord polls the job's record until ok says so.
func waitRecord(t *testing.T, env *workertest.Env, id string, within time.Duration, ok func(store.JobRecord) bool) store.JobRecord {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		rec, err := env.Store.GetJob(context.Background(), env.OrgID, id)
		if err == nil && ok(rec) {
			return rec
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: record %+v (%v) not as wanted after %v", id, rec, err, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func retrying(r store.JobRecord) bool { return r.State == jobs.StateRetrying }
func ended(r store.JobRecord) bool    { return r.State.Terminal() }

// postpone moves a retrying task's next attempt an hour away, as a long
// backoff would, so a test sees that the cancel does not wait for it. On a
// slow machine the short backoff may end first: it then tries again once
// the next attempt has failed too.
func postpone(t *testing.T, rdb redis.UniversalClient, queue, id string) {
	t.Helper()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	deadline := time.Now().Add(prompt)
	for {
		at := time.Now().Add(time.Hour)
		err := rdb.ZAddXX(context.Background(), "asynq:{"+queue+"}:retry", redis.Z{Score: float64(at.Unix()), Member: id}).Err()
		if err != nil {
			t.Fatal(err)
		}
		info, err := insp.GetTaskInfo(queue, id)
		if err == nil && info.State == asynq.TaskStateRetry && !info.NextProcessAt.Before(at.Add(-time.Second)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("postpone %s: %+v, %v; want it retrying in an hour", id, info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func wantCancelled(t *testing.T, rec store.JobRecord, by string) {
	t.Helper()
	if rec.State != jobs.StateFailed || rec.ErrorCode != jobs.CodeCancelled || rec.Reason != store.ReasonCancelled ||
		!strings.Contains(rec.ErrorMessage, "cancelled by "+by) || rec.CancelRequestedBy != by || rec.CancelRequestedAt == nil {
		t.Errorf("record %+v, want failed, code cancelled, reason cancelled, cancelled by %s", rec, by)
	}
}

// callbacks receives completion callbacks.
type callbacks struct {
	mu     sync.Mutex
	events []map[string]any
}

func (c *callbacks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var e map[string]any
	_ = json.Unmarshal(b, &e)
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
}

func (c *callbacks) wait(t *testing.T, within time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		if len(c.events) > 0 {
			e := c.events[0]
			c.mu.Unlock()
			return e
		}
		c.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no callback")
	return nil
}

// TestCancelRetryingAddPhone: an add-phone job retrying after a provider
// failure, holding its number's ADDING claim, is cancelled: it ends
// cancelled at once (its next attempt was an hour away), the claim is
// released so the number can be added again right away, and its callback
// reports the cancelled outcome.
func TestCancelRetryingAddPhone(t *testing.T) {
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		ctx := context.Background()
		cb := &callbacks{}
		cbSrv := httptest.NewServer(cb)
		defer cbSrv.Close()
		// The lookup succeeds and the claim is taken; the route write is
		// applied but answered 500, so the attempt fails transiently.
		setFaults(t, env, func(f *twiliotest.Faults) { f.AmbiguousWrites = 100 })
		job, err := env.Jobs.AddPhone(ctx, jobs.AddPhoneRequest{OrgID: env.OrgID, UserID: workertest.UserID, PhoneNumber: number,
			Provider: jobs.ProviderTwilio, Credentials: workertest.TwilioCreds, CallbackURL: cbSrv.URL + "/done"})
		if err != nil {
			t.Fatal(err)
		}
		waitRecord(t, env, job.ID, prompt, retrying)
		postpone(t, env.Redis, jobs.QueueCritical, job.ID)
		if n, err := env.Store.GetNumber(ctx, env.OrgID, number); err != nil || n.State != store.NumberAdding {
			t.Fatalf("number before the cancel: %+v, %v; want its ADDING claim", n, err)
		}
		setFaults(t, env, func(f *twiliotest.Faults) { f.AmbiguousWrites = 0 })

		res, err := canceller(env).Cancel(ctx, env.OrgID, job.ID, "ops")
		if err != nil || res.Outcome != cancellation.Requested || !res.Changed() {
			t.Fatalf("Cancel = %+v, %v; want %q", res, err, cancellation.Requested)
		}
		waitCtx, stop := context.WithTimeout(ctx, prompt)
		defer stop()
		out, err := env.Jobs.Wait(waitCtx, job)
		if err != nil || out.State != jobs.StateFailed || out.Code != jobs.CodeCancelled {
			t.Fatalf("outcome %+v, %v; want failed, cancelled, within %v", out, err, prompt)
		}
		wantCancelled(t, waitRecord(t, env, job.ID, prompt, ended), "ops")
		if n, err := env.Store.GetNumber(ctx, env.OrgID, number); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("number after the cancel: %+v, %v; want its claim released", n, err)
		}
		e := cb.wait(t, prompt)
		if e["job_id"] != job.ID || e["state"] != "failed" || e["code"] != "cancelled" {
			t.Errorf("callback %v, want the job failed with code cancelled", e)
		}

		// Cancelling again changes nothing and says so.
		again, err := canceller(env).Cancel(ctx, env.OrgID, job.ID, "someone")
		if err != nil || again.Outcome != cancellation.AlreadyCancelled || again.Changed() || again.Job.CancelRequestedBy != "ops" {
			t.Errorf("second Cancel = %+v, %v; want %q, unchanged", again, err, cancellation.AlreadyCancelled)
		}

		// The same number can be added again at once.
		job2, err := env.Jobs.AddPhone(ctx, jobs.AddPhoneRequest{OrgID: env.OrgID, UserID: workertest.UserID, PhoneNumber: number,
			Provider: jobs.ProviderTwilio, Credentials: workertest.TwilioCreds})
		if err != nil {
			t.Fatal(err)
		}
		if job2.ID == job.ID {
			t.Fatalf("the new add joined the cancelled run %s", job.ID)
		}
		if out, err := env.Jobs.Wait(waitCtx, job2); err != nil || out.State != jobs.StateSucceeded {
			t.Errorf("add again: %+v, %v; want succeeded", out, err)
		}
	})
}

// TestCancelRetryingAttach: an attach retrying on a provider outage holds
// a PENDING link; cancelled, it ends cancelled at once and the link is
// released, so the number can be linked to another target.
func TestCancelRetryingAttach(t *testing.T) {
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		ctx := context.Background()
		add, err := env.Jobs.AddPhone(ctx, jobs.AddPhoneRequest{OrgID: env.OrgID, UserID: workertest.UserID, PhoneNumber: number,
			Provider: jobs.ProviderTwilio, Credentials: workertest.TwilioCreds})
		if err != nil {
			t.Fatal(err)
		}
		waitCtx, stop := context.WithTimeout(ctx, 3*prompt)
		defer stop()
		if out, err := env.Jobs.Wait(waitCtx, add); err != nil || out.State != jobs.StateSucceeded {
			t.Fatalf("add: %+v, %v", out, err)
		}
		for _, id := range []string{"agent_a", "agent_b"} {
			if _, err := env.Store.CreateTarget(ctx, store.Target{ID: id, OrgID: env.OrgID, Kind: store.TargetAgent, Name: id,
				AnswerURL: "https://agents.example.com/" + id}); err != nil {
				t.Fatal(err)
			}
		}
		setFaults(t, env, func(f *twiliotest.Faults) { f.ErrorRate = 1 })
		job, err := env.Jobs.Attach(ctx, jobs.Attach{OrgID: env.OrgID, TargetID: "agent_a", Numbers: []string{number}})
		if err != nil {
			t.Fatal(err)
		}
		waitRecord(t, env, job.ID, prompt, retrying)
		postpone(t, env.Redis, jobs.QueueCritical, job.ID)
		n, err := env.Store.GetNumber(ctx, env.OrgID, number)
		if err != nil {
			t.Fatal(err)
		}
		if l, err := env.Store.GetLink(ctx, env.OrgID, n.ID); err != nil || l.Status != store.LinkPending {
			t.Fatalf("link before the cancel: %+v, %v; want PENDING", l, err)
		}
		setFaults(t, env, func(f *twiliotest.Faults) { f.ErrorRate = 0 })

		if res, err := canceller(env).Cancel(ctx, env.OrgID, job.ID, "ops"); err != nil || res.Outcome != cancellation.Requested {
			t.Fatalf("Cancel = %+v, %v; want %q", res, err, cancellation.Requested)
		}
		wantCancelled(t, waitRecord(t, env, job.ID, prompt, ended), "ops")
		if l, err := env.Store.GetLink(ctx, env.OrgID, n.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("link after the cancel: %+v, %v; want it released", l, err)
		}
		other, err := env.Jobs.Attach(ctx, jobs.Attach{OrgID: env.OrgID, TargetID: "agent_b", Numbers: []string{number}})
		if err != nil {
			t.Fatal(err)
		}
		if out, err := env.Jobs.Wait(waitCtx, other); err != nil || out.State != jobs.StateSucceeded {
			t.Errorf("attach to another target after the cancel: %+v, %v; want succeeded", out, err)
		}
	})
}

// TestCancelSucceeded: cancelling a job that succeeded changes nothing and
// says so, without an error.
func TestCancelSucceeded(t *testing.T) {
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		ctx := context.Background()
		job, err := env.Jobs.AddPhone(ctx, jobs.AddPhoneRequest{OrgID: env.OrgID, UserID: workertest.UserID, PhoneNumber: number,
			Provider: jobs.ProviderTwilio, Credentials: workertest.TwilioCreds})
		if err != nil {
			t.Fatal(err)
		}
		before := waitRecord(t, env, job.ID, prompt, ended)
		res, err := canceller(env).Cancel(ctx, env.OrgID, job.ID, "ops")
		if err != nil || res.Outcome != cancellation.AlreadySucceeded || res.Changed() || !strings.Contains(res.String(), "already succeeded") {
			t.Fatalf("Cancel = %+v (%s), %v; want %q", res, res, err, cancellation.AlreadySucceeded)
		}
		after, err := env.Store.GetJob(ctx, env.OrgID, job.ID)
		if err != nil || after.State != jobs.StateSucceeded || after.CancelRequestedAt != nil || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("record after the cancel: %+v, %v; want it unchanged", after, err)
		}
		if n, err := env.Store.GetNumber(ctx, env.OrgID, number); err != nil || n.State != store.NumberActive {
			t.Errorf("number: %+v, %v; want it active", n, err)
		}
		if _, err := canceller(env).Cancel(ctx, env.OrgID, "add-nothing.x", "ops"); !errors.Is(err, cancellation.ErrNotFound) {
			t.Errorf("Cancel of an unknown job: %v, want ErrNotFound", err)
		}
		if _, err := canceller(env).Cancel(ctx, env.OrgID+1000, job.ID, "ops"); !errors.Is(err, cancellation.ErrNotFound) {
			t.Errorf("Cancel of another org's job: %v, want ErrNotFound", err)
		}
	})
}

// TestCancelWhileRunning: a cancel that arrives while an attempt runs does
// not interrupt it. If the attempt fails transiently, the job ends
// cancelled at once, not after its backoff; if it succeeds, the job has
// succeeded and the cancel came too late.
func TestCancelWhileRunning(t *testing.T) {
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		ctx := context.Background()
		insp := asynq.NewInspectorFromRedisClient(env.Redis)
		active := func(id string) {
			t.Helper()
			deadline := time.Now().Add(prompt)
			for {
				if info, err := insp.GetTaskInfo(jobs.QueueCritical, id); err == nil && info.State == asynq.TaskStateActive {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("task %s never ran", id)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		// running waits until job id's attempt is in a provider call: asynq
		// marks a task active before the handler has read its record, and a
		// cancel recorded before that read is honoured at the attempt's start.
		calls := func() (n int) {
			for _, c := range env.Twilio.Calls() {
				n += c
			}
			return n
		}
		running := func(id string, before int) {
			t.Helper()
			active(id)
			for deadline := time.Now().Add(prompt); calls() <= before; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("task %s made no provider call", id)
				}
			}
		}
		// Every answer takes two seconds and fails (500, or the adapter's 2s
		// timeout): the first attempt fails while the cancel is recorded.
		setFaults(t, env, func(f *twiliotest.Faults) { f.Latency, f.ErrorRate = 2*time.Second, 1 })
		before := calls()
		job, err := env.Jobs.AddPhone(ctx, jobs.AddPhoneRequest{OrgID: env.OrgID, UserID: workertest.UserID, PhoneNumber: number,
			Provider: jobs.ProviderTwilio, Credentials: workertest.TwilioCreds})
		if err != nil {
			t.Fatal(err)
		}
		running(job.ID, before)
		res, err := canceller(env).Cancel(ctx, env.OrgID, job.ID, "ops")
		if err != nil || res.Outcome != cancellation.WhileRunning || !res.Changed() {
			t.Fatalf("Cancel = %+v, %v; want %q", res, err, cancellation.WhileRunning)
		}
		rec := waitRecord(t, env, job.ID, prompt, func(r store.JobRecord) bool { return r.State != jobs.StateActive && r.State != jobs.StatePending })
		wantCancelled(t, rec, "ops")
		if rec.Attempts != 1 {
			t.Errorf("attempts %d, want 1: the job ended when its attempt failed", rec.Attempts)
		}

		// The running attempt succeeds: the cancel came too late. (Each answer
		// takes a second, under the adapter's 2s timeout.)
		setFaults(t, env, func(f *twiliotest.Faults) { f.Latency, f.ErrorRate = time.Second, 0 })
		before = calls()
		job2, err := env.Jobs.AddPhone(ctx, jobs.AddPhoneRequest{OrgID: env.OrgID, UserID: workertest.UserID, PhoneNumber: twiliotest.SandboxNumberDC,
			Provider: jobs.ProviderTwilio, Credentials: workertest.TwilioCreds})
		if err != nil {
			t.Fatal(err)
		}
		running(job2.ID, before)
		if res, err := canceller(env).Cancel(ctx, env.OrgID, job2.ID, "ops"); err != nil || res.Outcome != cancellation.WhileRunning {
			t.Fatalf("Cancel = %+v, %v; want %q", res, err, cancellation.WhileRunning)
		}
		if rec := waitRecord(t, env, job2.ID, 4*prompt, ended); rec.State != jobs.StateSucceeded {
			t.Errorf("record %+v, want succeeded: the cancel came too late", rec)
		}
		if res, err := canceller(env).Cancel(ctx, env.OrgID, job2.ID, "ops"); err != nil || res.Outcome != cancellation.AlreadySucceeded {
			t.Errorf("Cancel after it succeeded = %+v, %v; want %q", res, err, cancellation.AlreadySucceeded)
		}
	})
}
