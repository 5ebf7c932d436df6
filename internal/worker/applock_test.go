package worker_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

// TestConcurrentAttachesCreateOneApplication: several workers attaching
// numbers to the same new target at once create one Plivo application for
// it, not one each.
func TestConcurrentAttachesCreateOneApplication(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.StartWorker(t, time.Second) // a second worker process
		numbers := []string{plivotest.SandboxNumber1, plivotest.SandboxNumber2, plivotest.SandboxNumber3}
		for _, n := range numbers {
			if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: n, Provider: jobs.ProviderPlivo, Credentials: workertest.PlivoCreds}); out.State != jobs.StateSucceeded {
				t.Fatalf("add %s: %+v", n, out)
			}
		}
		const answer = "https://agents.example.com/answer/plivo"
		h.target(t, "agent_p", answer)
		f := h.Plivo.Faults()
		f.Latency = 30 * time.Millisecond // widen the window between listing and creating
		mustOK(t, h.Plivo.SetFaults(f))

		var wg sync.WaitGroup
		outs := make([]jobs.Outcome, len(numbers))
		for i, n := range numbers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, outs[i] = h.run(t, func(ctx context.Context) (jobs.Job, error) {
					return h.Jobs.Attach(ctx, jobs.Attach{OrgID: h.OrgID, TargetID: "agent_p", Numbers: []string{n}})
				})
			}()
		}
		wg.Wait()
		for i, out := range outs {
			if out.State != jobs.StateSucceeded {
				t.Errorf("attach %s: %+v", numbers[i], out)
			}
		}
		// The target route's application name, as docs/jobs.md describes it.
		sum := sha256.Sum256([]byte(answer + "\n" + webhookBase + "/voice/hangup"))
		name := providers.RouteName(h.OrgID, "t"+hex.EncodeToString(sum[:6]))
		if n := h.Plivo.Applications(plivotest.SandboxAuthID, name); n != 1 {
			t.Errorf("%d applications named %s, want 1", n, name)
		}
		for _, n := range numbers {
			if got := h.Plivo.VoiceURL(plivotest.SandboxAuthID, n); got != answer {
				t.Errorf("%s routes to %q", n, got)
			}
		}
	})
}

// TestNewApplicationsTakeOneAttempt: an add and an attach that create and
// record a Plivo application (the default route's, then the target's) each
// finish in their first attempt; recording the application is part of
// the work, not a failure that a retry papers over.
func TestNewApplicationsTakeOneAttempt(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		h.target(t, "agent_p", "https://agents.example.com/answer/plivo")
		num := plivotest.SandboxNumber1
		add, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: num, Provider: jobs.ProviderPlivo, Credentials: workertest.PlivoCreds})
		if out.State != jobs.StateSucceeded {
			t.Fatalf("add %s: %+v", num, out)
		}
		attach, out := h.run(t, func(ctx context.Context) (jobs.Job, error) {
			return h.Jobs.Attach(ctx, jobs.Attach{OrgID: h.OrgID, TargetID: "agent_p", Numbers: []string{num}})
		})
		if out.State != jobs.StateSucceeded {
			t.Fatalf("attach %s: %+v", num, out)
		}
		for name, job := range map[string]jobs.Job{"add": add, "attach": attach} {
			rec, err := h.Store.GetJob(ctx, h.OrgID, job.ID)
			mustOK(t, err)
			if rec.Attempts != 1 {
				t.Errorf("%s took %d attempts (%+v), want 1", name, rec.Attempts, rec.AttemptLog)
			}
		}
	})
}
