package worker_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

// TestJobWaitsOutSharedPause: the worker's providers go through the rate
// limiter. While another worker's 429 pauses the account, a job sends
// nothing to the provider and is rescheduled as rate limited.
func TestJobWaitsOutSharedPause(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		creds := providers.Credentials{AccountID: workertest.PlivoCreds.AccountID, Secret: workertest.PlivoCreds.Secret}
		if _, err := ratelimit.New(h.Redis, ratelimit.Defaults()).Pause(ctx, "plivo", ratelimit.AccountOf(creds), time.Minute); err != nil {
			t.Fatal(err)
		}
		h.Plivo.ResetCalls()
		job, err := h.Jobs.AddPhone(ctx, jobs.AddPhoneRequest{OrgID: h.OrgID, UserID: userID, PhoneNumber: plivotest.SandboxNumber1,
			Provider: jobs.ProviderPlivo, Credentials: workertest.PlivoCreds})
		mustOK(t, err)
		deadline := time.Now().Add(10 * time.Second)
		for {
			rec, err := h.Store.GetJob(ctx, h.OrgID, job.ID)
			if err != nil && !errors.Is(err, store.ErrNotFound) { // not found: not picked up yet
				t.Fatal(err)
			}
			if rec.State == jobs.StateRetrying {
				if rec.ErrorCode != jobs.CodeProviderUnavailable || !strings.Contains(rec.ErrorMessage, "switchboard's limiter") {
					t.Errorf("job error %s %q, want the limiter's refusal", rec.ErrorCode, rec.ErrorMessage)
				}
				break
			}
			if rec.State == jobs.StateSucceeded || rec.State == jobs.StateFailed || time.Now().After(deadline) {
				t.Fatalf("job %+v, want retrying after the limiter's refusal", rec)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if n := h.Plivo.Reads() + h.Plivo.Writes(); n != 0 {
			t.Fatalf("Plivo got %d requests during the pause", n)
		}
	})
}
