package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// secondOrg adds another org with a user, as a second customer of the
// platform would be.
func secondOrg(t *testing.T, h *harness) int64 {
	t.Helper()
	ctx := context.Background()
	org, err := h.Store.CreateOrg(ctx, "globex")
	mustOK(t, err)
	_, err = h.Store.CreateUser(ctx, store.User{ID: "64e5f12345abcdef12340002", OrgID: org.ID, Name: "Grace"})
	mustOK(t, err)
	return org.ID
}

// TestAddPhoneManagedByAnotherOrg: a number one org manages cannot be
// taken by another org holding the same account's credentials, and the
// attempt touches nothing at the provider.
func TestAddPhoneManagedByAnotherOrg(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		org2 := secondOrg(t, h)
		num := plivotest.SandboxNumber1
		if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: num, Provider: jobs.ProviderPlivo, Credentials: workertest.PlivoCreds}); out.State != jobs.StateSucceeded {
			t.Fatalf("org 1 add: %+v", out)
		}
		before, _ := h.Plivo.Number(plivotest.SandboxAuthID, num)
		h.Plivo.ResetCalls()

		_, out := h.addPhone(t, jobs.AddPhoneRequest{OrgID: org2, UserID: "64e5f12345abcdef12340002", PhoneNumber: num,
			Provider: jobs.ProviderPlivo, Credentials: workertest.PlivoCreds})
		if out.State != jobs.StateFailed || out.Code != jobs.CodeManagedElsewhere {
			t.Fatalf("org 2 add: %+v, want failed %s", out, jobs.CodeManagedElsewhere)
		}
		if w := h.Plivo.Writes(); w != 0 {
			t.Errorf("org 2's refused add made %d provider writes, want 0", w)
		}
		if after, _ := h.Plivo.Number(plivotest.SandboxAuthID, num); after.AppID != before.AppID {
			t.Errorf("number moved from application %q to %q", before.AppID, after.AppID)
		}
		if _, err := h.Store.GetNumber(context.Background(), org2, num); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("org 2 inventory: %v, want not found", err)
		}
	})
}

// TestAddPhoneRaceAcrossOrgs: two orgs adding the same number at the same
// moment: one gets it, the other is refused, and only the winner writes
// at the provider.
func TestAddPhoneRaceAcrossOrgs(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		org2 := secondOrg(t, h)
		h.Twilio.ResetCalls()
		var wg sync.WaitGroup
		outs := make([]jobs.Outcome, 2)
		for i, r := range []jobs.AddPhoneRequest{
			{PhoneNumber: "+12125551234"},
			{OrgID: org2, UserID: "64e5f12345abcdef12340002", PhoneNumber: "+12125551234"},
		} {
			wg.Add(1)
			go func() { defer wg.Done(); _, outs[i] = h.addPhone(t, r) }()
		}
		wg.Wait()
		won, refused := 0, 0
		for _, o := range outs {
			switch {
			case o.State == jobs.StateSucceeded:
				won++
			case o.Code == jobs.CodeManagedElsewhere:
				refused++
			default:
				t.Errorf("outcome %+v", o)
			}
		}
		if won != 1 || refused != 1 {
			t.Errorf("%d succeeded, %d refused; want 1 and 1", won, refused)
		}
		if w := h.Twilio.Writes(); w != 1 {
			t.Errorf("%d provider writes, want 1 (the winner's)", w)
		}
	})
}

// faultyStore counts commits (a transaction, or a write outside one) and
// can fail the activation of a number: the step between the provider
// write and the number being saved as configured.
type faultyStore struct {
	store.Store
	inTx         bool
	commits      *atomic.Int64
	failActivate *atomic.Int64
}

func newFaultyStore(st store.Store) *faultyStore {
	return &faultyStore{Store: st, commits: new(atomic.Int64), failActivate: new(atomic.Int64)}
}

func (s *faultyStore) InTx(ctx context.Context, fn func(store.Store) error) error {
	if s.inTx {
		return fn(s)
	}
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		return fn(&faultyStore{Store: tx, inTx: true, commits: s.commits, failActivate: s.failActivate})
	})
	if err == nil {
		s.commits.Add(1)
	}
	return err
}

func (s *faultyStore) write(err error) error {
	if err == nil && !s.inTx {
		s.commits.Add(1)
	}
	return err
}

func (s *faultyStore) ActivateNumber(ctx context.Context, orgID int64, id string, voice json.RawMessage) error {
	if s.failActivate.Add(-1) >= 0 {
		return errors.New("injected: the database went away")
	}
	return s.write(s.Store.ActivateNumber(ctx, orgID, id, voice))
}

func (s *faultyStore) SaveJob(ctx context.Context, j store.JobRecord) error {
	return s.write(s.Store.SaveJob(ctx, j))
}

func (s *faultyStore) CreateNumber(ctx context.Context, n store.Number) (store.Number, error) {
	out, err := s.Store.CreateNumber(ctx, n)
	return out, s.write(err)
}

func (s *faultyStore) UpsertConnection(ctx context.Context, c store.Connection) (store.Connection, error) {
	out, err := s.Store.UpsertConnection(ctx, c)
	return out, s.write(err)
}

func (s *faultyStore) UpdateNumberVoice(ctx context.Context, orgID int64, id string, voice json.RawMessage) error {
	return s.write(s.Store.UpdateNumberVoice(ctx, orgID, id, voice))
}

func (s *faultyStore) DeleteNumber(ctx context.Context, orgID int64, id, jobID string) error {
	return s.write(s.Store.DeleteNumber(ctx, orgID, id, jobID))
}

func (s *faultyStore) SaveApplication(ctx context.Context, connID, name, appID string, fence int64) error {
	return s.write(s.Store.SaveApplication(ctx, connID, name, appID, fence))
}

func (s *faultyStore) CreateLink(ctx context.Context, l store.Link) (store.Link, error) {
	out, err := s.Store.CreateLink(ctx, l)
	return out, s.write(err)
}

func (s *faultyStore) SetLinkStatus(ctx context.Context, orgID int64, numberID, targetID, status string) (store.Link, error) {
	out, err := s.Store.SetLinkStatus(ctx, orgID, numberID, targetID, status)
	return out, s.write(err)
}

func (s *faultyStore) DeleteLink(ctx context.Context, orgID int64, numberID, targetID string) error {
	return s.write(s.Store.DeleteLink(ctx, orgID, numberID, targetID))
}

// eachFaulty is backends with the store behind a faultyStore.
func eachFaulty(t *testing.T, test func(t *testing.T, h *harness, st *faultyStore)) {
	for _, b := range workertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st := newFaultyStore(b.Open(t))
			test(t, &harness{workertest.Start(t, st)}, st)
		})
	}
}

// TestAddPhoneCommitsTwice: a successful add-phone job commits twice —
// the claim (the number, with the connection when new) and the activation with
// the outcome — and a second number on the same connection does not
// rewrite the unchanged connection.
func TestAddPhoneCommitsTwice(t *testing.T) {
	eachFaulty(t, func(t *testing.T, h *harness, st *faultyStore) {
		for _, num := range []string{"+12125551234", "+12025551234"} {
			st.commits.Store(0)
			if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: num}); out.State != jobs.StateSucceeded {
				t.Fatalf("add %s: %+v", num, out)
			}
			if n := st.commits.Load(); n != 2 {
				t.Errorf("add %s: %d commits, want 2", num, n)
			}
		}
		conns, err := h.Store.ListConnections(context.Background(), h.OrgID)
		mustOK(t, err)
		if len(conns) != 1 || !conns[0].UpdatedAt.Equal(conns[0].CreatedAt) {
			t.Errorf("connections = %+v, want one, never rewritten", conns)
		}
	})
}

// TestAddPhoneKeepsOriginalAcrossCrash: when the step after the provider
// write fails, the retry must not record switchboard's own route as the
// number's original configuration: the customer's real one (a legacy
// voice URL and a TwiML application) is captured before the first write.
func TestAddPhoneKeepsOriginalAcrossCrash(t *testing.T) {
	eachFaulty(t, func(t *testing.T, h *harness, st *faultyStore) {
		const num, legacy = "+14155550100", "https://legacy.example.com/voice"
		mustOK(t, h.Twilio.UpdateNumber(twiliotest.SandboxAccountSID, num, func(n *twiliotest.Number) { n.VoiceURL = legacy }))
		st.failActivate.Store(1)
		job, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: num})
		if out.State != jobs.StateSucceeded {
			t.Fatalf("add: %+v", out)
		}
		if n, _ := h.Twilio.Number(twiliotest.SandboxAccountSID, num); n.VoiceURL != webhookBase+"/voice/inbound" {
			t.Fatalf("provider voice URL %q", n.VoiceURL)
		}
		row, err := h.Store.GetNumber(context.Background(), h.OrgID, num)
		mustOK(t, err)
		var original providers.VoiceConfig
		mustOK(t, json.Unmarshal(row.Original, &original))
		if original.VoiceURL != legacy {
			t.Errorf("original voice URL = %q, want the customer's %q", original.VoiceURL, legacy)
		}
		if row.State != store.NumberActive {
			t.Errorf("state %s", row.State)
		}
		rec, err := h.Store.GetJob(context.Background(), h.OrgID, job.ID)
		mustOK(t, err)
		if rec.Attempts != 2 {
			t.Errorf("attempts = %d, want 2 (the failed activation, then the resumed run)", rec.Attempts)
		}
	})
}

// TestAddPhoneFailureReleasesClaim: a permanent provider refusal after the
// claim (a number on a SIP trunk) leaves no row, so the number can be
// added again (here with override).
func TestAddPhoneFailureReleasesClaim(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		_, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: twiliotest.SandboxNumberTrunked})
		if out.Code != jobs.CodeConflict {
			t.Fatalf("add trunked: %+v, want conflict", out)
		}
		if _, err := h.Store.GetNumber(context.Background(), h.OrgID, twiliotest.SandboxNumberTrunked); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("claim left behind: %v", err)
		}
		if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: twiliotest.SandboxNumberTrunked, Override: true}); out.State != jobs.StateSucceeded {
			t.Fatalf("add with override: %+v", out)
		}
	})
}

// TestRerunOfFinishedRunReplays: a finished run delivered again (asynq
// hands a task out again after a crash past the outcome) is not run a
// second time and its record is not overwritten.
func TestRerunOfFinishedRunReplays(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		job, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: "+12125551234"})
		if out.State != jobs.StateSucceeded {
			t.Fatalf("add: %+v", out)
		}
		rec, err := h.Store.GetJob(context.Background(), h.OrgID, job.ID)
		mustOK(t, err)
		var info *asynq.TaskInfo
		h.waitFor(t, func() bool { // the outcome is out before asynq marks the task done
			info, err = inspector(h).GetTaskInfo(job.Queue, job.ID)
			return err == nil && info.State == asynq.TaskStateCompleted
		})
		mustOK(t, inspector(h).DeleteTask(job.Queue, job.ID))
		h.Twilio.ResetCalls()
		again := h.enqueueRaw(t, jobs.TypeAddPhone, info.Payload, job.ID)
		var got, want any
		_ = json.Unmarshal(again.Data, &got)
		_ = json.Unmarshal(rec.Result, &want)
		if again.State != jobs.StateSucceeded || !cmp.Equal(got, want) {
			t.Errorf("replayed outcome %+v, want the recorded %s", again, rec.Result)
		}
		if c := h.Twilio.Reads() + h.Twilio.Writes(); c != 0 {
			t.Errorf("replay made %d provider calls", c)
		}
		after, err := h.Store.GetJob(context.Background(), h.OrgID, job.ID)
		mustOK(t, err)
		if after.Attempts != rec.Attempts || !after.UpdatedAt.Equal(rec.UpdatedAt) {
			t.Errorf("record changed: %+v -> %+v", rec, after)
		}
		// The replayed task of a succeeded run completes, as the run did:
		// not archived as failed.
		h.waitFor(t, func() bool {
			info, err = inspector(h).GetTaskInfo(job.Queue, job.ID)
			return err == nil && (info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived)
		})
		if info.State != asynq.TaskStateCompleted {
			t.Errorf("the replayed task is %v (%s), want completed", info.State, info.LastErr)
		}
	})
}

// TestDeadlineEndsEndlessRateLimits: a job that keeps being rate limited
// (waits that never use up its retries) fails once its deadline passes,
// saying why.
func TestDeadlineEndsEndlessRateLimits(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.Server.Shutdown() // the Env's worker has the default deadline
		h.StartWorkerWith(t, func(p *worker.Params) { p.JobDeadline = 3 * time.Second })
		f := h.Twilio.Faults()
		f.RateLimitNext, f.RetryAfter = 1000, 1
		mustOK(t, h.Twilio.SetFaults(f))
		_, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: "+12125551234"})
		if out.State != jobs.StateFailed || out.Code != jobs.CodeProviderUnavailable {
			t.Fatalf("outcome %+v, want failed %s", out, jobs.CodeProviderUnavailable)
		}
		if want := "rate limited for too long"; len(out.Message) < len(want) || out.Message[:len(want)] != want {
			t.Errorf("message %q, want it to start with %q", out.Message, want)
		}
	})
}
