package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
)

// TestRateLimitWaitsDoNotUseRetries: a job the provider answers 429 (with
// Retry-After) more times than its MaxRetry still succeeds on a real asynq
// server, because waiting out a rate limit is not a failure (isFailure).
func TestRateLimitWaitsDoNotUseRetries(t *testing.T) {
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	const maxRetry, burst = 1, 3 // three 429s: more than the 1+1 attempts MaxRetry allows
	f := env.Twilio.Faults()
	f.RateLimitNext, f.RetryAfter = burst, 1
	mustOK(t, env.Twilio.SetFaults(f))

	client := jobs.NewClient(env.Redis, env.Keys, jobs.Options{MaxRetry: maxRetry})
	job, err := client.AddPhone(context.Background(), jobs.AddPhoneRequest{
		OrgID: env.OrgID, UserID: userID, Provider: jobs.ProviderTwilio, Credentials: sandboxCreds, PhoneNumber: "+12125551234",
	})
	mustOK(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	out, err := client.Wait(ctx, job)
	mustOK(t, err)
	if out.State != jobs.StateSucceeded {
		t.Fatalf("outcome %+v, want success after %d 429s with MaxRetry %d", out, burst, maxRetry)
	}
	if left := env.Twilio.Faults().RateLimitNext; left != 0 {
		t.Errorf("%d of the %d 429s left unanswered", left, burst)
	}
	rec, err := env.Store.GetJob(context.Background(), env.OrgID, job.ID)
	mustOK(t, err)
	if rec.Attempts != burst+1 {
		t.Errorf("attempts = %d, want %d (one per 429, then the success)", rec.Attempts, burst+1)
	}
	info, err := inspector(&harness{env}).GetTaskInfo(job.Queue, job.ID)
	mustOK(t, err)
	if info.Retried != 0 {
		t.Errorf("asynq counted %d retries, want 0: rate-limit waits are not failures", info.Retried)
	}
}
