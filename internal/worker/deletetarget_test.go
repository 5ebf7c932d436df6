package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

func (h *harness) deleteTarget(t *testing.T, targetID string) (jobs.Job, jobs.Outcome, jobs.DeleteTargetResult) {
	t.Helper()
	job, out := h.run(t, func(ctx context.Context) (jobs.Job, error) {
		return h.Jobs.DeleteTarget(ctx, jobs.DeleteTarget{OrgID: h.OrgID, TargetID: targetID})
	})
	var res jobs.DeleteTargetResult
	if len(out.Data) > 0 {
		mustOK(t, json.Unmarshal(out.Data, &res))
	}
	return job, out, res
}

// TestDeleteTargetUnlinksThenDeletes: one job unlinks every number of the
// target (each back on the default route) and deletes it. The first
// unlink write is applied but answered 500: the retry resumes and lands in
// the same state, each number written once more at most. A second delete
// finds no target.
func TestDeleteTargetUnlinksThenDeletes(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		numbers := []string{twiliotest.SandboxNumberNYC, twiliotest.SandboxNumberDC, twiliotest.SandboxNumberSF}
		h.mustAdd(t, numbers...)
		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		if _, out, _ := h.attach(t, "agent_1", numbers...); out.State != jobs.StateSucceeded {
			t.Fatalf("attach: %+v", out)
		}
		f := h.Twilio.Faults()
		f.AmbiguousWrites = 1
		mustOK(t, h.Twilio.SetFaults(f))

		job, out, res := h.deleteTarget(t, "agent_1")
		if out.State != jobs.StateSucceeded {
			t.Fatalf("delete: %+v", out)
		}
		if diff := cmp.Diff(jobs.DeleteTargetResult{TargetID: "agent_1", Numbers: numbers, Deleted: true}, res); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
		if rec, err := h.Store.GetJob(ctx, h.OrgID, job.ID); err != nil || rec.Attempts != 2 || rec.Type != jobs.TypeDeleteTarget {
			t.Errorf("record %+v %v, want a %s job of 2 attempts", rec, err, jobs.TypeDeleteTarget)
		}
		for _, n := range numbers {
			if got := h.voiceURL(n); got != webhookBase+"/voice/inbound" {
				t.Errorf("%s routes to %q, want the default route", n, got)
			}
		}
		if _, err := h.Store.GetTarget(ctx, h.OrgID, "agent_1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("target after delete: %v, want not found", err)
		}
		if avail, err := h.Store.ListAvailableNumbers(ctx, h.OrgID); err != nil || len(avail) != len(numbers) {
			t.Errorf("available numbers %v %v, want all %d", avail, err, len(numbers))
		}

		if _, out, _ := h.deleteTarget(t, "agent_1"); out.State != jobs.StateFailed || out.Code != jobs.CodeTargetNotFound {
			t.Errorf("delete again: %+v, want failed %s", out, jobs.CodeTargetNotFound)
		}
	})
}

// TestDeleteTargetKeepsWhatCannotBeUnlinked: a number the provider refuses
// to reset for good (wired to a SIP trunk since) fails the job with its
// reason; the other number is unlinked, and the target stays with the
// refused number's link, so nothing routes to a deleted target.
func TestDeleteTargetKeepsWhatCannotBeUnlinked(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		good, trunked := twiliotest.SandboxNumberNYC, twiliotest.SandboxNumberDC
		h.mustAdd(t, good, trunked)
		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		if _, out, _ := h.attach(t, "agent_1", good, trunked); out.State != jobs.StateSucceeded {
			t.Fatalf("attach: %+v", out)
		}
		mustOK(t, h.Twilio.UpdateNumber(twiliotest.SandboxAccountSID, trunked, func(n *twiliotest.Number) { n.TrunkSID = twiliotest.SandboxTrunkSID }))

		_, out, res := h.deleteTarget(t, "agent_1")
		if out.State != jobs.StateFailed || out.Code != jobs.CodeConflict || !strings.HasPrefix(out.Message, trunked+": ") {
			t.Fatalf("delete: %+v, want failed %s naming %s", out, jobs.CodeConflict, trunked)
		}
		if diff := cmp.Diff(jobs.DeleteTargetResult{TargetID: "agent_1", Numbers: []string{good}}, res); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
		if got := h.voiceURL(good); got != webhookBase+"/voice/inbound" {
			t.Errorf("%s routes to %q, want the default route", good, got)
		}
		if _, err := h.Store.GetTarget(ctx, h.OrgID, "agent_1"); err != nil {
			t.Errorf("target after a failed delete: %v, want it kept", err)
		}
		links, err := h.Store.ListLinks(ctx, h.OrgID, "agent_1", "")
		if mustOK(t, err); len(links) != 1 || links[0].E164 != trunked {
			t.Errorf("links left %+v, want only %s", links, trunked)
		}
	})
}
