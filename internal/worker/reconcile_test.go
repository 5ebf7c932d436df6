package worker_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestReconcileRepairsDrift: someone changes the voice URL in the
// provider's console; the reconcile job puts it back and says so.
func TestReconcileRepairsDrift(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.mustAdd(t, "+12125551234", "+12025551234")
		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		if _, out, _ := h.attach(t, "agent_1", "+12025551234"); out.State != jobs.StateSucceeded {
			t.Fatalf("attach: %+v", out)
		}
		for _, n := range []string{"+12125551234", "+12025551234"} {
			mustOK(t, h.Twilio.UpdateNumber(twiliotest.SandboxAccountSID, n, func(n *twiliotest.Number) {
				n.VoiceURL = "https://someone-else.example.com/voice"
			}))
		}
		want := map[string]string{"+12125551234": webhookBase + "/voice/inbound", "+12025551234": "https://agents.example.com/answer/1"}
		for num, url := range want {
			job, out := h.run(t, func(ctx context.Context) (jobs.Job, error) {
				return h.enqueueReconcile(ctx, num)
			})
			var res jobs.ReconcileResult
			mustOK(t, json.Unmarshal(out.Data, &res))
			if out.State != jobs.StateSucceeded || !res.Repaired {
				t.Errorf("reconcile %s: %+v %+v, want a repair", num, out, res)
			}
			if got := h.voiceURL(num); got != url {
				t.Errorf("%s routes to %q after reconcile, want %q", num, got, url)
			}
			rec, err := h.Store.GetJob(context.Background(), h.OrgID, job.ID)
			mustOK(t, err)
			if len(rec.Changes) == 0 {
				t.Errorf("reconcile %s recorded no change", num)
			}
		}
		// No drift: nothing written.
		h.Twilio.ResetCalls()
		_, out := h.run(t, func(ctx context.Context) (jobs.Job, error) { return h.enqueueReconcile(ctx, "+12125551234") })
		var res jobs.ReconcileResult
		mustOK(t, json.Unmarshal(out.Data, &res))
		if res.Repaired || h.Twilio.Writes() != 0 {
			t.Errorf("reconcile without drift: %+v, %d writes", res, h.Twilio.Writes())
		}
	})
}

// TestReconcileScanCoversEveryNumber: the periodic scan enqueues a check
// per number; drifted ones get repaired.
func TestReconcileScanCoversEveryNumber(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.mustAdd(t, "+12125551234", "+12025551234")
		mustOK(t, h.Twilio.UpdateNumber(twiliotest.SandboxAccountSID, "+12025551234", func(n *twiliotest.Number) { n.VoiceURL = "https://x.example.com/" }))
		out := h.enqueueRaw(t, jobs.TypeReconcileScan, nil, "scan-1")
		if out.State != jobs.StateSucceeded || string(out.Data) != `{"enqueued":2}` {
			t.Fatalf("scan: %+v (%s)", out, out.Data)
		}
		deadline := h.waitFor(t, func() bool { return h.voiceURL("+12025551234") == webhookBase+"/voice/inbound" })
		if !deadline {
			t.Errorf("drifted number not repaired by the scan")
		}
	})
}

// TestReconcileScanRerunEnqueuesNothingTwice: the scan enqueues its checks
// in one attempt, and a second delivery of the same scan (asynq's
// redelivery after a crash) finds every check already enqueued and
// succeeds without adding any.
func TestReconcileScanRerunEnqueuesNothingTwice(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.mustAdd(t, "+12125551234", "+12025551234")
		checks := func() int {
			t.Helper()
			var q *asynq.QueueInfo
			h.waitFor(t, func() bool {
				var err error
				q, err = inspector(h).GetQueueInfo(jobs.QueueBulk)
				return err == nil && q.Size == q.Completed // Size counts the completed too
			})
			return q.Completed
		}
		for run := 1; run <= 2; run++ {
			out := h.enqueueRaw(t, jobs.TypeReconcileScan, nil, "scan-1")
			if out.State != jobs.StateSucceeded || string(out.Data) != `{"enqueued":2}` {
				t.Fatalf("scan run %d: %+v (%s)", run, out, out.Data)
			}
			info, err := inspector(h).GetTaskInfo(jobs.QueueCritical, "scan-1")
			mustOK(t, err)
			if info.Retried != 0 {
				t.Errorf("scan run %d retried %d times, want done in one attempt", run, info.Retried)
			}
			if n := checks(); n != 2 {
				t.Errorf("after scan run %d: %d checks ran, want 2", run, n)
			}
			h.waitFor(t, func() bool { // asynq marks the task done after the outcome is out
				info, err = inspector(h).GetTaskInfo(jobs.QueueCritical, "scan-1")
				return err == nil && info.State == asynq.TaskStateCompleted
			})
			mustOK(t, inspector(h).DeleteTask(jobs.QueueCritical, "scan-1"))
		}
	})
}

// TestReconcileReleasesClaimsOfFailedJobs: a PENDING link whose attach job
// failed for good is released, so the number can be linked again; one whose
// job may still run is left alone.
func TestReconcileReleasesClaimsOfFailedJobs(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		h.mustAdd(t, "+12125551234", "+12025551234")
		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		for num, job := range map[string]string{"+12125551234": "attach-dead", "+12025551234": "attach-running"} {
			row, err := h.Store.GetNumber(ctx, h.OrgID, num)
			mustOK(t, err)
			_, err = h.Store.CreateLink(ctx, store.Link{OrgID: h.OrgID, NumberID: row.ID, TargetID: "agent_1", Status: store.LinkPending, JobID: job})
			mustOK(t, err)
		}
		now := time.Now().UTC()
		mustOK(t, h.Store.SaveJob(ctx, store.JobRecord{ID: "attach-dead", OrgID: h.OrgID, Type: jobs.TypeAttach, State: jobs.StateFailed, Attempts: 11, ErrorCode: jobs.CodeProviderUnavailable, CreatedAt: now, UpdatedAt: now, FinishedAt: &now}))
		mustOK(t, h.Store.SaveJob(ctx, store.JobRecord{ID: "attach-running", OrgID: h.OrgID, Type: jobs.TypeAttach, State: jobs.StateRetrying, Attempts: 3, CreatedAt: now, UpdatedAt: now}))

		for _, num := range []string{"+12125551234", "+12025551234"} {
			if _, out := h.run(t, func(ctx context.Context) (jobs.Job, error) { return h.enqueueReconcile(ctx, num) }); out.State != jobs.StateSucceeded {
				t.Fatalf("reconcile %s: %+v", num, out)
			}
		}
		avail, err := h.Store.ListAvailableNumbers(ctx, h.OrgID)
		mustOK(t, err)
		if len(avail) != 1 || avail[0].E164 != "+12125551234" {
			t.Errorf("available after reconcile: %+v, want only the failed job's number released", avail)
		}
		if _, out, _ := h.attach(t, "agent_1", "+12125551234"); out.State != jobs.StateSucceeded {
			t.Errorf("linking the released number: %+v", out)
		}
	})
}
