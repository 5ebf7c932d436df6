package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// target creates an app or agent answering at url.
func (h *harness) target(t *testing.T, id, url string) store.Target {
	t.Helper()
	tg, err := h.Store.CreateTarget(context.Background(), store.Target{ID: id, OrgID: h.OrgID, Kind: store.TargetAgent, Name: id, AnswerURL: url})
	mustOK(t, err)
	return tg
}

func (h *harness) run(t *testing.T, enqueue func(context.Context) (jobs.Job, error)) (jobs.Job, jobs.Outcome) {
	t.Helper()
	job, err := enqueue(context.Background())
	mustOK(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := h.Jobs.Wait(ctx, job)
	mustOK(t, err)
	return job, out
}

func (h *harness) attach(t *testing.T, targetID string, numbers ...string) (jobs.Job, jobs.Outcome, jobs.AttachResult) {
	t.Helper()
	job, out := h.run(t, func(ctx context.Context) (jobs.Job, error) {
		return h.Jobs.Attach(ctx, jobs.Attach{OrgID: h.OrgID, TargetID: targetID, Numbers: numbers})
	})
	var res jobs.AttachResult
	if len(out.Data) > 0 {
		mustOK(t, json.Unmarshal(out.Data, &res))
	}
	return job, out, res
}

func (h *harness) unlink(t *testing.T, targetID, number string) jobs.Outcome {
	t.Helper()
	_, out := h.run(t, func(ctx context.Context) (jobs.Job, error) {
		return h.Jobs.Unlink(ctx, jobs.Unlink{OrgID: h.OrgID, TargetID: targetID, Number: number})
	})
	return out
}

func (h *harness) mustAdd(t *testing.T, numbers ...string) {
	t.Helper()
	for _, n := range numbers {
		if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: n}); out.State != jobs.StateSucceeded {
			t.Fatalf("add %s: %+v", n, out)
		}
	}
}

func (h *harness) voiceURL(number string) string {
	n, _ := h.Twilio.Number(twiliotest.SandboxAccountSID, number)
	return n.VoiceURL
}

func TestAttachRoutesToTheTargetAndAgainIsSuccess(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.mustAdd(t, "+12125551234", "+12025551234")
		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		_, out, res := h.attach(t, "agent_1", "+12125551234", "+12025551234")
		if out.State != jobs.StateSucceeded || len(res.Numbers) != 2 || res.Numbers[0].Status != jobs.NumberLinked || res.Numbers[1].Status != jobs.NumberLinked {
			t.Fatalf("attach: %+v %+v", out, res)
		}
		for _, n := range []string{"+12125551234", "+12025551234"} {
			if got := h.voiceURL(n); got != "https://agents.example.com/answer/1" {
				t.Errorf("%s routes to %q", n, got)
			}
			row, _ := h.Store.GetNumber(context.Background(), h.OrgID, n)
			if l, err := h.Store.GetLink(context.Background(), h.OrgID, row.ID); err != nil || l.Status != store.LinkActive || l.TargetID != "agent_1" {
				t.Errorf("%s link = %+v, %v; want ACTIVE to agent_1", n, l, err)
			}
		}

		h.Twilio.ResetCalls()
		_, out, res = h.attach(t, "agent_1", "+12125551234")
		if out.State != jobs.StateSucceeded || res.Numbers[0].Status != jobs.NumberAlreadyLinked {
			t.Errorf("linking again: %+v %+v, want success, already linked", out, res)
		}
		if w := h.Twilio.Writes(); w != 0 {
			t.Errorf("linking again made %d provider writes", w)
		}
	})
}

func TestAttachValidationIsAllOrNothing(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.mustAdd(t, "+12125551234")
		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		h.Twilio.ResetCalls()
		_, out, res := h.attach(t, "agent_1", "+12125551234", "+14155550100")
		if out.State != jobs.StateFailed || out.Code != jobs.CodeNumberNotFound {
			t.Fatalf("outcome %+v, want failed number_not_found", out)
		}
		if res.Numbers[0].Status != jobs.NumberSkipped || res.Numbers[1].Status != jobs.NumberFailed {
			t.Errorf("per-number outcomes %+v", res.Numbers)
		}
		row, _ := h.Store.GetNumber(context.Background(), h.OrgID, "+12125551234")
		if _, err := h.Store.GetLink(context.Background(), h.OrgID, row.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("valid number got linked anyway: %v", err)
		}
		if w := h.Twilio.Writes(); w != 0 {
			t.Errorf("rejected attach made %d provider writes", w)
		}
	})
}

func TestAttachErrors(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.mustAdd(t, "+12125551234")
		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		h.target(t, "agent_2", "https://agents.example.com/answer/2")
		if _, out, _ := h.attach(t, "agent_1", "+12125551234"); out.State != jobs.StateSucceeded {
			t.Fatalf("attach: %+v", out)
		}
		cases := []struct {
			name string
			p    jobs.Attach
			code jobs.Code
		}{
			{"linked to another target", jobs.Attach{TargetID: "agent_2", Numbers: []string{"+12125551234"}}, jobs.CodeLinkedElsewhere},
			{"unknown target", jobs.Attach{TargetID: "agent_9", Numbers: []string{"+12125551234"}}, jobs.CodeTargetNotFound},
			{"provider without connection", jobs.Attach{TargetID: "agent_1", Provider: "telnyx", Numbers: []string{"+12125551234"}}, jobs.CodeProviderNotConfigured},
			{"not strict E.164", jobs.Attach{TargetID: "agent_1", Numbers: []string{"12125551234"}}, jobs.CodeInvalidInput},
		}
		for _, c := range cases {
			c.p.OrgID = h.OrgID
			_, out := h.run(t, func(ctx context.Context) (jobs.Job, error) { return h.Jobs.Attach(ctx, c.p) })
			if out.State != jobs.StateFailed || out.Code != c.code {
				t.Errorf("%s: %+v, want failed %s", c.name, out, c.code)
			}
		}
		if got := h.voiceURL("+12125551234"); got != "https://agents.example.com/answer/1" {
			t.Errorf("failed attaches moved the number to %q", got)
		}
	})
}

// TestAttachNotFoundNamesTheProvider: a number missing from the inventory
// is reported as such, and when the attach asks for one provider's numbers
// the message says which, so a number added on another provider is not
// mistaken for a missing one.
func TestAttachNotFoundNamesTheProvider(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.mustAdd(t, "+12125551234")
		if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: plivotest.SandboxNumber1, Provider: jobs.ProviderPlivo, Credentials: workertest.PlivoCreds}); out.State != jobs.StateSucceeded {
			t.Fatalf("add the Plivo number: %+v", out)
		}
		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		cases := []struct {
			name string
			p    jobs.Attach
			want string
		}{
			{"any provider", jobs.Attach{TargetID: "agent_1", Numbers: []string{"+14155550100"}},
				"+14155550100 is not in the organization's inventory"},
			{"a Twilio number asked for as a Plivo one", jobs.Attach{TargetID: "agent_1", Provider: jobs.ProviderPlivo, Numbers: []string{"+12125551234"}},
				"+12125551234 is not in the organization's inventory as a plivo number"},
		}
		for _, c := range cases {
			c.p.OrgID = h.OrgID
			_, out := h.run(t, func(ctx context.Context) (jobs.Job, error) { return h.Jobs.Attach(ctx, c.p) })
			if out.State != jobs.StateFailed || out.Code != jobs.CodeNumberNotFound || out.Message != c.want {
				t.Errorf("%s: %s %s %q, want failed %s %q", c.name, out.State, out.Code, out.Message, jobs.CodeNumberNotFound, c.want)
			}
		}
	})
}

// TestAttachRace: 50 concurrent attach jobs for one number to 50 targets
// leave exactly one link, and the provider routes to its target.
func TestAttachRace(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.mustAdd(t, "+12125551234")
		const n = 50
		jobsOut := make([]jobs.Job, n)
		for i := range n {
			h.target(t, fmt.Sprintf("agent_%d", i), fmt.Sprintf("https://agents.example.com/answer/%d", i))
		}
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j, err := h.Jobs.Attach(context.Background(), jobs.Attach{OrgID: h.OrgID, TargetID: fmt.Sprintf("agent_%d", i), Numbers: []string{"+12125551234"}})
				if err != nil {
					t.Error(err)
				}
				jobsOut[i] = j
			}()
		}
		wg.Wait()
		won, lost := -1, 0
		for i, j := range jobsOut {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			out, err := h.Jobs.Wait(ctx, j)
			cancel()
			mustOK(t, err)
			switch {
			case out.State == jobs.StateSucceeded:
				if won >= 0 {
					t.Errorf("jobs %d and %d both linked the number", won, i)
				}
				won = i
			case out.Code == jobs.CodeLinkedElsewhere:
				lost++
			default:
				t.Errorf("job %d: %+v", i, out)
			}
		}
		if won < 0 || lost != n-1 {
			t.Fatalf("winner %d, %d conflicts; want one winner and %d conflicts", won, lost, n-1)
		}
		row, _ := h.Store.GetNumber(context.Background(), h.OrgID, "+12125551234")
		l, err := h.Store.GetLink(context.Background(), h.OrgID, row.ID)
		mustOK(t, err)
		want := fmt.Sprintf("agent_%d", won)
		if l.TargetID != want || l.Status != store.LinkActive {
			t.Errorf("link %+v, want ACTIVE to %s", l, want)
		}
		if got := h.voiceURL("+12125551234"); got != fmt.Sprintf("https://agents.example.com/answer/%d", won) {
			t.Errorf("provider routes to %q, want the winner's answer URL", got)
		}
	})
}

// TestAddPhoneRace: 20 distinct add-phone jobs for one number, running
// concurrently, store one row; every other job is a duplicate.
func TestAddPhoneRace(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		const n = 20
		sealed, err := h.Keys.SealCredentials(sandboxCreds)
		mustOK(t, err)
		c := asynq.NewClientFromRedisClient(h.Redis)
		ids := make([]string, n)
		for i := range n {
			p, _ := json.Marshal(jobs.AddPhone{OrgID: h.OrgID, UserID: userID, PhoneNumber: "+12025551234",
				Provider: jobs.ProviderTwilio, Credentials: sealed, RequestID: fmt.Sprintf("race-%d", i)})
			ids[i] = fmt.Sprintf("race-%d", i)
			_, err := c.Enqueue(asynq.NewTask(jobs.TypeAddPhone, p), asynq.TaskID(ids[i]), asynq.Queue(jobs.QueueCritical), asynq.Retention(time.Hour))
			mustOK(t, err)
		}
		ok := 0
		for _, id := range ids {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			out, err := h.Jobs.Wait(ctx, jobs.Job{ID: id, Queue: jobs.QueueCritical})
			cancel()
			mustOK(t, err)
			if out.State == jobs.StateSucceeded {
				ok++
			} else if out.Code != jobs.CodeDuplicate {
				t.Errorf("job %s: %+v", id, out)
			}
		}
		if ok != 1 {
			t.Errorf("%d jobs succeeded, want 1", ok)
		}
		nums, err := h.Store.ListNumbers(context.Background(), store.NumberFilter{OrgID: h.OrgID})
		mustOK(t, err)
		if len(nums) != 1 {
			t.Errorf("%d number rows, want 1", len(nums))
		}
	})
}

func TestUnlinkRestoresTheDefaultRoute(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.mustAdd(t, "+12125551234")
		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		if _, out, _ := h.attach(t, "agent_1", "+12125551234"); out.State != jobs.StateSucceeded {
			t.Fatalf("attach: %+v", out)
		}
		out := h.unlink(t, "agent_1", "+12125551234")
		if out.State != jobs.StateSucceeded {
			t.Fatalf("unlink: %+v", out)
		}
		if got := h.voiceURL("+12125551234"); got != webhookBase+"/voice/inbound" {
			t.Errorf("after unlink the number routes to %q, want the default route", got)
		}
		avail, err := h.Store.ListAvailableNumbers(context.Background(), h.OrgID)
		mustOK(t, err)
		if len(avail) != 1 || avail[0].E164 != "+12125551234" {
			t.Errorf("available numbers %+v", avail)
		}
		if out := h.unlink(t, "agent_1", "+12125551234"); out.State != jobs.StateFailed || out.Code != jobs.CodeNotLinked {
			t.Errorf("unlink again: %+v, want failed not_linked", out)
		}
	})
}

// TestAttachAmbiguousWriteRetried: the provider applies the change but
// answers 500; the retry finds the work done and activates the link.
func TestAttachAmbiguousWriteRetried(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.mustAdd(t, "+12125551234")
		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		f := h.Twilio.Faults()
		f.AmbiguousWrites = 1
		mustOK(t, h.Twilio.SetFaults(f))
		job, out, res := h.attach(t, "agent_1", "+12125551234")
		if out.State != jobs.StateSucceeded || res.Numbers[0].Status != jobs.NumberLinked {
			t.Fatalf("attach: %+v %+v", out, res)
		}
		rec, err := h.Store.GetJob(context.Background(), h.OrgID, job.ID)
		mustOK(t, err)
		if rec.Attempts != 2 {
			t.Errorf("attempts %d, want 2", rec.Attempts)
		}
	})
}

// TestAttachPartialFailure: when the provider refuses one number of an
// attach (it was wired to a SIP trunk after it was added), the job fails
// with that number's reason, the other number is linked, and the refused
// number's claim is released: it is available again, and can be linked
// elsewhere.
func TestAttachPartialFailure(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		good, trunked := twiliotest.SandboxNumberNYC, twiliotest.SandboxNumberDC
		h.mustAdd(t, good, trunked)
		mustOK(t, h.Twilio.UpdateNumber(twiliotest.SandboxAccountSID, trunked, func(n *twiliotest.Number) { n.TrunkSID = twiliotest.SandboxTrunkSID }))
		h.target(t, "agent_one", "https://agents.example.com/one")

		_, out, res := h.attach(t, "agent_one", good, trunked)
		if out.State != jobs.StateFailed || out.Code != jobs.CodeConflict {
			t.Fatalf("outcome %+v, want failed %s", out, jobs.CodeConflict)
		}
		if len(res.Numbers) != 2 || res.Numbers[0].Status != jobs.NumberLinked || res.Numbers[1].Status != jobs.NumberFailed ||
			res.Numbers[1].Code != jobs.CodeConflict {
			t.Errorf("per-number outcomes %+v, want linked then failed conflict", res.Numbers)
		}
		if got := h.voiceURL(good); got != "https://agents.example.com/one" {
			t.Errorf("good number routes to %q", got)
		}
		avail, err := h.Store.ListAvailableNumbers(ctx, h.OrgID)
		mustOK(t, err)
		if len(avail) != 1 || avail[0].E164 != trunked {
			t.Errorf("available numbers %v, want only the refused %s", avail, trunked)
		}
		// Released for real: another target can take it (with override).
		h.target(t, "agent_two", "https://agents.example.com/two")
		_, out = h.run(t, func(ctx context.Context) (jobs.Job, error) {
			return h.Jobs.Attach(ctx, jobs.Attach{OrgID: h.OrgID, TargetID: "agent_two", Numbers: []string{trunked}, Override: true})
		})
		if out.State != jobs.StateSucceeded {
			t.Errorf("attach elsewhere: %+v", out)
		}
	})
}
