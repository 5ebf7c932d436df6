package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// slowProvider makes every provider call take d.
func slowProvider(t *testing.T, h *harness, d time.Duration) {
	t.Helper()
	f := h.Twilio.Faults()
	f.Latency = d
	mustOK(t, h.Twilio.SetFaults(f))
}

// waitActive waits until the job is running.
func waitActive(t *testing.T, h *harness, job jobs.Job) {
	t.Helper()
	if !h.waitFor(t, func() bool {
		info, err := inspector(h).GetTaskInfo(job.Queue, job.ID)
		return err == nil && info.State.String() == "active"
	}) {
		t.Fatal("job never started")
	}
}

// TestShutdownFinishesInFlightJobs: on shutdown a worker stops taking new
// tasks but finishes the ones it runs within the shutdown timeout.
func TestShutdownFinishesInFlightJobs(t *testing.T) {
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	h := &harness{env}
	env.Server.Shutdown()
	srv := env.StartWorker(t, 10*time.Second)
	slowProvider(t, h, 700*time.Millisecond)
	job, err := h.Jobs.AddPhone(context.Background(), jobs.AddPhoneRequest{OrgID: h.OrgID, UserID: userID,
		PhoneNumber: "+12125551234", Provider: jobs.ProviderTwilio, Credentials: sandboxCreds})
	mustOK(t, err)
	waitActive(t, h, job)
	srv.Shutdown() // returns once in-flight tasks are done
	info, err := inspector(h).GetTaskInfo(job.Queue, job.ID)
	mustOK(t, err)
	if info.State.String() != "completed" {
		t.Errorf("after a graceful shutdown the job is %s, want completed", info.State)
	}
	if n, ok := h.Twilio.Number(twiliotest.SandboxAccountSID, "+12125551234"); !ok || n.VoiceURL != webhookBase+"/voice/inbound" {
		t.Errorf("in-flight job did not finish its provider work: %+v", n)
	}
}

// TestShutdownRequeuesUnfinishedJobs: a job still running when the
// shutdown timeout ends goes back to the queue, and another worker
// finishes it, once.
func TestShutdownRequeuesUnfinishedJobs(t *testing.T) {
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	h := &harness{env}
	env.Server.Shutdown()
	srv := env.StartWorker(t, 200*time.Millisecond)
	slowProvider(t, h, 2*time.Second)
	job, err := h.Jobs.AddPhone(context.Background(), jobs.AddPhoneRequest{OrgID: h.OrgID, UserID: userID,
		PhoneNumber: "+12125551234", Provider: jobs.ProviderTwilio, Credentials: sandboxCreds})
	mustOK(t, err)
	waitActive(t, h, job)
	srv.Shutdown()
	info, err := inspector(h).GetTaskInfo(job.Queue, job.ID)
	mustOK(t, err)
	if s := info.State.String(); s != "pending" && s != "retry" && s != "scheduled" {
		t.Fatalf("after the shutdown timeout the job is %s, want it back in the queue", s)
	}

	slowProvider(t, h, 0)
	env.StartWorker(t, time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := h.Jobs.Wait(ctx, job)
	mustOK(t, err)
	if out.State != jobs.StateSucceeded {
		t.Errorf("re-queued job: %+v, want succeeded", out)
	}
}
