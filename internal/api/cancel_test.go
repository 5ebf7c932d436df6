package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestCancelJob: POST /v1/jobs/{id}/cancel on a job retrying after a
// provider outage answers 202 with the job and its cancel request; the job
// then ends failed with code cancelled. Cancelling it again answers 200,
// a succeeded job 409 (unchanged), an unknown or another org's job 404.
func TestCancelJob(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPIWith(t, env, api.Params{Wait: 20 * time.Second, Queue: asynq.NewInspectorFromRedisClient(env.Redis)})
	ctx := context.Background()
	waitRecord := func(id string, ok func(store.JobRecord) bool) store.JobRecord {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			rec, err := env.Store.GetJob(ctx, env.OrgID, id)
			if err == nil && ok(rec) {
				return rec
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s: %+v, %v", id, rec, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	f := env.Twilio.Faults()
	f.ErrorRate = 1
	if err := env.Twilio.SetFaults(f); err != nil {
		t.Fatal(err)
	}
	job, err := env.Jobs.AddPhone(ctx, jobs.AddPhoneRequest{OrgID: env.OrgID, UserID: workertest.UserID, PhoneNumber: twiliotest.SandboxNumberNYC,
		Provider: jobs.ProviderTwilio, Credentials: workertest.TwilioCreds})
	if err != nil {
		t.Fatal(err)
	}
	waitRecord(job.ID, func(r store.JobRecord) bool { return r.State == jobs.StateRetrying })

	if code, _ := e.do(t, "POST", "/v1/jobs/"+job.ID+"/cancel", nil, nil); code != 401 {
		t.Errorf("cancel without a key: %d, want 401", code)
	}
	_, otherKey := e.newOrg(t, "other")
	if code, body := e.do(t, "POST", "/v1/jobs/"+job.ID+"/cancel", xAPIKey(otherKey), nil); code != 404 {
		t.Errorf("cancel of another org's job: %d %v, want 404", code, body)
	}
	if rec := waitRecord(job.ID, func(store.JobRecord) bool { return true }); rec.CancelRequestedAt != nil {
		t.Fatalf("refused cancels recorded a request: %+v", rec)
	}

	code, header, body := e.call(t, "POST", "/v1/jobs/"+job.ID+"/cancel", xAPIKey(e.key), nil)
	d := dataOf(body)
	cr, _ := d["cancel_requested"].(map[string]any)
	if code != 202 || header.Get("Location") != "/v1/jobs/"+job.ID || str(d, "id") != job.ID || cr == nil || cr["by"] != "api" || !isoMillis.MatchString(str(cr, "at")) {
		t.Fatalf("cancel: %d %v %v, want 202 with the job and its cancel request", code, header, body)
	}
	rec := waitRecord(job.ID, func(r store.JobRecord) bool { return r.State.Terminal() })
	if rec.State != jobs.StateFailed || rec.ErrorCode != jobs.CodeCancelled {
		t.Errorf("record %+v, want failed, cancelled", rec)
	}
	code, body = e.do(t, "GET", "/v1/jobs/"+job.ID, xAPIKey(e.key), nil)
	d = dataOf(body)
	if errObj, _ := d["error"].(map[string]any); code != 200 || str(d, "state") != "failed" || errObj == nil || errObj["code"] != "cancelled" || d["cancel_requested"] == nil {
		t.Errorf("GET the cancelled job: %d %v, want failed with error code cancelled", code, body)
	}
	if code, body := e.do(t, "POST", "/v1/jobs/"+job.ID+"/cancel", xAPIKey(e.key), nil); code != 200 || str(dataOf(body), "state") != "failed" {
		t.Errorf("cancel again: %d %v, want 200 with the cancelled job", code, body)
	}

	f.ErrorRate = 0
	if err := env.Twilio.SetFaults(f); err != nil {
		t.Fatal(err)
	}
	done, err := env.Jobs.AddPhone(ctx, jobs.AddPhoneRequest{OrgID: env.OrgID, UserID: workertest.UserID, PhoneNumber: twiliotest.SandboxNumberDC,
		Provider: jobs.ProviderTwilio, Credentials: workertest.TwilioCreds})
	if err != nil {
		t.Fatal(err)
	}
	before := waitRecord(done.ID, func(r store.JobRecord) bool { return r.State.Terminal() })
	code, body = e.do(t, "POST", "/v1/jobs/"+done.ID+"/cancel", xAPIKey(e.key), nil)
	errObj, _ := body["error"].(map[string]any)
	if code != 409 || errObj == nil || errObj["code"] != "not_cancellable" || !strings.Contains(str(errObj, "message"), "already succeeded") {
		t.Errorf("cancel of a succeeded job: %d %v, want 409 not_cancellable saying it already succeeded", code, body)
	}
	if after := waitRecord(done.ID, func(store.JobRecord) bool { return true }); after.State != jobs.StateSucceeded || after.CancelRequestedAt != nil || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("succeeded record after the cancel: %+v, want it unchanged", after)
	}
	if code, _ := e.do(t, "POST", "/v1/jobs/add-unknown.abc/cancel", xAPIKey(e.key), nil); code != 404 {
		t.Errorf("cancel of an unknown job: %d, want 404", code)
	}

	// A job scheduled an hour away, never run and so without a record: the
	// cancel records one, runs the task at once, and the worker ends it.
	queued := enqueueLater(t, e, "attach-queued.1", e.OrgID)
	if code, body := e.do(t, "POST", "/v1/jobs/"+queued+"/cancel", xAPIKey(e.key), nil); code != 202 || str(dataOf(body), "state") != "queued" {
		t.Errorf("cancel of a scheduled job: %d %v, want 202 with the queued job", code, body)
	}
	if rec := waitRecord(queued, func(r store.JobRecord) bool { return r.State.Terminal() }); rec.ErrorCode != jobs.CodeCancelled || rec.Attempts != 1 {
		t.Errorf("scheduled job after the cancel: %+v, want failed, cancelled, at its first attempt", rec)
	}
}

// TestCancelAnswersWaitingRequest: a synchronous seed request waiting on a
// job that is cancelled meanwhile answers 409 with the cancel in plain
// words, not a 500; the number it asked for is not added.
func TestCancelAnswersWaitingRequest(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPIWith(t, env, api.Params{Wait: 20 * time.Second, Queue: asynq.NewInspectorFromRedisClient(env.Redis)})
		ctx := context.Background()
		f := env.Twilio.Faults()
		f.ErrorRate = 1
		if err := env.Twilio.SetFaults(f); err != nil {
			t.Fatal(err)
		}
		type answer struct {
			code int
			body map[string]any
		}
		answered := make(chan answer, 1)
		go func() {
			code, body := e.do(t, "POST", "/api/call/add-phone", bearer(e.key), addPhoneBody(twiliotest.SandboxNumberNYC, twiliotest.SandboxAuthToken))
			answered <- answer{code, body}
		}()
		var id string
		for deadline := time.Now().Add(10 * time.Second); id == ""; time.Sleep(20 * time.Millisecond) {
			recs, err := env.Store.ListJobs(ctx, store.JobFilter{OrgID: env.OrgID, State: jobs.StateRetrying})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) > 0 {
				id = recs[0].ID
			}
			if time.Now().After(deadline) {
				t.Fatal("the add-phone job never retried")
			}
		}
		if code, body := e.do(t, "POST", "/v1/jobs/"+id+"/cancel", xAPIKey(e.key), nil); code != 202 {
			t.Fatalf("cancel: %d %v, want 202", code, body)
		}
		select {
		case a := <-answered:
			if a.code != 409 || a.body["message"] != "The request was cancelled by an operator before it finished" || a.body["status"] != false {
				t.Errorf("the waiting add-phone answered %d %v, want 409 saying it was cancelled", a.code, a.body)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the waiting add-phone did not answer after its job was cancelled")
		}
		if _, err := env.Store.GetNumber(ctx, env.OrgID, twiliotest.SandboxNumberNYC); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("number after the cancel: %v, want not found", err)
		}
	})
}
