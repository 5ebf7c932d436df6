package worker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// TestCancelBetweenAttemptsReleasesTheClaim: an add whose first attempt
// claimed the number (its ADDING row) and then failed transiently, and
// whose run is cancelled before the retry, fails with jobs.CodeCancelled
// at the next attempt and deletes its claim, so the number can be added
// again at once; the claim of the first attempt is not left behind.
func TestCancelBetweenAttemptsReleasesTheClaim(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		const num = "+12125551234"
		f := h.Twilio.Faults()
		f.AmbiguousWrites = 1 // the update applies, then answers 500: retried
		mustOK(t, h.Twilio.SetFaults(f))
		job, err := h.Jobs.AddPhone(ctx, jobs.AddPhoneRequest{OrgID: h.OrgID, UserID: userID, PhoneNumber: num, Provider: jobs.ProviderTwilio, Credentials: sandboxCreds})
		mustOK(t, err)

		var rec store.JobRecord
		if !h.waitFor(t, func() bool {
			rec, err = h.Store.GetJob(ctx, h.OrgID, job.ID)
			return err == nil && rec.State == jobs.StateRetrying
		}) {
			t.Fatalf("first attempt: record %+v, %v; want retrying", rec, err)
		}
		if n, err := h.Store.GetNumber(ctx, h.OrgID, num); err != nil || n.State != store.NumberAdding || n.JobID != job.ID {
			t.Fatalf("after the first attempt: number %+v, %v; want the run's ADDING claim", n, err)
		}
		_, err = h.Store.RequestCancel(ctx, rec, "api", time.Now().UTC())
		mustOK(t, err)

		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		out, err := h.Jobs.Wait(wctx, job)
		mustOK(t, err)
		if out.State != jobs.StateFailed || out.Code != jobs.CodeCancelled {
			t.Fatalf("outcome %s %s %q, want failed %s", out.State, out.Code, out.Message, jobs.CodeCancelled)
		}
		if n, err := h.Store.GetNumber(ctx, h.OrgID, num); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after the cancel: number %+v, %v; want the claim released", n, err)
		}
		if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: num}); out.State != jobs.StateSucceeded {
			t.Errorf("adding the number again: %s %s %q, want success", out.State, out.Code, out.Message)
		}
	})
}
