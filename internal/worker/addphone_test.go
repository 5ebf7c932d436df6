package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

func TestAddPhone(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		job, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: "12125551234"})
		if out.State != jobs.StateSucceeded {
			t.Fatalf("outcome = %+v, want succeeded", out)
		}
		var res jobs.AddPhoneResult
		mustOK(t, json.Unmarshal(out.Data, &res))
		if res.PhoneNumber != "+12125551234" || res.UserID != userID || res.Provider != "twilio" || res.Existing {
			t.Errorf("result = %+v", res)
		}

		// The provider now routes the number to the platform; SMS untouched.
		n, _ := h.Twilio.Number(twiliotest.SandboxAccountSID, "+12125551234")
		got := map[string]string{"voice_url": n.VoiceURL, "voice_method": n.VoiceMethod, "status_callback": n.StatusCallback, "sms_url": n.SMSURL}
		want := map[string]string{"voice_url": webhookBase + "/voice/inbound", "voice_method": "POST",
			"status_callback": webhookBase + "/voice/status", "sms_url": twiliotest.SandboxSMSURL}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("provider configuration (-want +got):\n%s", diff)
		}
		if r, w := h.Twilio.Reads(), h.Twilio.Writes(); r != 1 || w != 1 {
			t.Errorf("provider calls: %d reads, %d writes; want 1 and 1", r, w)
		}

		// The inventory has the number, with its connection sealed.
		row, err := h.Store.GetNumber(ctx, h.OrgID, "+12125551234")
		mustOK(t, err)
		if row.ID != res.NumberID || row.UserID != userID || row.ProviderRef == "" {
			t.Errorf("stored number = %+v", row)
		}
		conn, err := h.Store.GetConnection(ctx, h.OrgID, row.ConnectionID)
		mustOK(t, err)
		if strings.Contains(string(conn.Credentials), twiliotest.SandboxAuthToken) {
			t.Error("connection credentials stored in plain text")
		}
		creds, err := h.Keys.OpenCredentials(conn.Credentials)
		mustOK(t, err)
		if creds != sandboxCreds {
			t.Error("stored credentials do not open to the job's credentials")
		}

		// The durable record says what happened.
		rec, err := h.Store.GetJob(ctx, h.OrgID, job.ID)
		mustOK(t, err)
		if rec.State != jobs.StateSucceeded || rec.Attempts != 1 || rec.FinishedAt == nil ||
			!cmp.Equal(rec.Numbers, []string{"+12125551234"}) || !strings.Contains(string(rec.Changes), "/voice/inbound") {
			t.Errorf("job record = %+v", rec)
		}

		// Nothing in Redis holds the auth token in plain text.
		assertNoSecretInRedis(t, h, twiliotest.SandboxAuthToken)
	})
}

func TestAddPhoneAgainIsDuplicateWithoutProviderWrites(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: "+12025551234"}); out.State != jobs.StateSucceeded {
			t.Fatalf("first add: %+v", out)
		}
		h.Twilio.ResetCalls()
		// Same request again, and the same number spelled without '+'.
		for _, num := range []string{"+12025551234", "12025551234"} {
			_, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: num})
			if out.State != jobs.StateFailed || out.Code != jobs.CodeDuplicate {
				t.Errorf("add %s again: %+v, want failed duplicate", num, out)
			}
		}
		if calls := h.Twilio.Reads() + h.Twilio.Writes(); calls != 0 {
			t.Errorf("duplicate adds made %d provider calls, want 0", calls)
		}
	})
}

func TestAddPhoneRetryAfterCrashFinishesItsOwnRow(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		job, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: "+14155550100"})
		if out.State != jobs.StateSucceeded {
			t.Fatalf("first run: %+v", out)
		}
		// Replay the very same payload (same RequestID), as asynq does when a
		// worker dies after the insert but before acknowledging the task.
		info, err := h.inspectPayload(job)
		mustOK(t, err)
		replay := h.enqueueRaw(t, jobs.TypeAddPhone, info, "replay-"+job.ID)
		if replay.State != jobs.StateSucceeded {
			t.Fatalf("replay: %+v, want succeeded", replay)
		}
		var first, second jobs.AddPhoneResult
		mustOK(t, json.Unmarshal(out.Data, &first))
		mustOK(t, json.Unmarshal(replay.Data, &second))
		if second.NumberID != first.NumberID || !second.Existing {
			t.Errorf("replay result %+v, want the first run's row %s marked existing", second, first.NumberID)
		}
	})
}

func TestAddPhonePermanentFailures(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		cases := []struct {
			name   string
			req    jobs.AddPhoneRequest
			code   jobs.Code
			reason string
		}{
			{"wrong token", jobs.AddPhoneRequest{PhoneNumber: "+12125551234", Credentials: jobs.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: "wrongtoken"}}, jobs.CodeInvalidCredentials, store.ReasonBadCredentials},
			{"token with symbols", jobs.AddPhoneRequest{PhoneNumber: "+12125551234", Credentials: jobs.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: "not/a token"}}, jobs.CodeInvalidCredentials, store.ReasonBadCredentials},
			{"not owned", jobs.AddPhoneRequest{PhoneNumber: "+12125559999"}, jobs.CodeNotOwned, store.ReasonNotOwned},
			{"partial match is not ownership", jobs.AddPhoneRequest{PhoneNumber: "+1415555"}, jobs.CodeInvalidInput, store.ReasonInvalid},
			{"trunked number", jobs.AddPhoneRequest{PhoneNumber: twiliotest.SandboxNumberTrunked}, jobs.CodeConflict, store.ReasonConflict},
			{"unknown user", jobs.AddPhoneRequest{PhoneNumber: "+12125551234", UserID: "ffffffffffffffffffffffff"}, jobs.CodeUserNotFound, store.ReasonInvalid},
			{"malformed number", jobs.AddPhoneRequest{PhoneNumber: "12"}, jobs.CodeInvalidInput, store.ReasonInvalid},
			{"another provider's credentials", jobs.AddPhoneRequest{PhoneNumber: "+918000000001", Provider: jobs.ProviderPlivo}, jobs.CodeInvalidCredentials, store.ReasonBadCredentials},
		}
		for _, c := range cases {
			job, out := h.addPhone(t, c.req)
			if out.State != jobs.StateFailed || out.Code != c.code {
				t.Errorf("%s: outcome %+v, want failed %s", c.name, out, c.code)
				continue
			}
			rec, err := h.Store.GetJob(context.Background(), h.OrgID, job.ID)
			mustOK(t, err)
			if rec.Attempts != 1 || rec.State != jobs.StateFailed || rec.ErrorCode != c.code {
				t.Errorf("%s: record %+v, want one attempt, failed %s", c.name, rec, c.code)
			}
			// The dashboard groups failures by the record's reason and provider.
			if want := c.reason; rec.Reason != want || rec.Provider == "" {
				t.Errorf("%s: record reason %q, provider %q; want %q and the job's provider", c.name, rec.Reason, rec.Provider, want)
			}
		}
		if _, err := h.Store.GetNumber(context.Background(), h.OrgID, "+12125551234"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("failed jobs left a number behind: %v", err)
		}
		n, _ := h.Twilio.Number(twiliotest.SandboxAccountSID, twiliotest.SandboxNumberTrunked)
		if n.VoiceURL != "" || n.TrunkSID == "" {
			t.Errorf("trunked number was changed: %+v", n)
		}
	})
}

func TestAddPhoneOverrideTakesTrunkedNumber(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		before, _ := h.Twilio.Number(twiliotest.SandboxAccountSID, twiliotest.SandboxNumberTrunked)
		_, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: twiliotest.SandboxNumberTrunked, Override: true})
		if out.State != jobs.StateSucceeded {
			t.Fatalf("outcome %+v", out)
		}
		n, _ := h.Twilio.Number(twiliotest.SandboxAccountSID, twiliotest.SandboxNumberTrunked)
		if n.TrunkSID != "" || n.VoiceURL != webhookBase+"/voice/inbound" {
			t.Errorf("number after override: trunk %q voice %q", n.TrunkSID, n.VoiceURL)
		}
		row, err := h.Store.GetNumber(context.Background(), h.OrgID, twiliotest.SandboxNumberTrunked)
		mustOK(t, err)
		if !strings.Contains(string(row.Original), before.TrunkSID) {
			t.Errorf("original configuration %s does not keep trunk %s for restoring", row.Original, before.TrunkSID)
		}
	})
}

func TestAddPhoneRetriesTransientProviderFailure(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		f := h.Twilio.Faults()
		f.RateLimitNext = 1
		f.RetryAfter = 1
		mustOK(t, h.Twilio.SetFaults(f))
		job, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: "+12125551234"})
		if out.State != jobs.StateSucceeded {
			t.Fatalf("outcome %+v, want success after the 429", out)
		}
		rec, err := h.Store.GetJob(context.Background(), h.OrgID, job.ID)
		mustOK(t, err)
		if rec.Attempts != 2 {
			t.Errorf("attempts = %d, want 2", rec.Attempts)
		}
		// The attempt log: the rate-limited attempt with its error, then
		// the one that succeeded, each with its times.
		log := rec.AttemptLog
		if len(log) != 2 || log[0].N != 1 || log[0].Code == "" || log[0].Message == "" ||
			log[1].N != 2 || log[1].Code != "" || log[1].Message != "" {
			t.Fatalf("attempt log %+v, want attempt 1 with its error, attempt 2 without error", log)
		}
		for _, a := range log {
			if a.StartedAt.IsZero() || a.EndedAt.Before(a.StartedAt) {
				t.Errorf("attempt %d: started %v, ended %v", a.N, a.StartedAt, a.EndedAt)
			}
		}
		if !log[1].StartedAt.After(log[0].EndedAt) {
			t.Errorf("attempt 2 started %v, before attempt 1 ended %v", log[1].StartedAt, log[0].EndedAt)
		}
	})
}

// inspectPayload returns the payload asynq holds for job.
func (h *harness) inspectPayload(job jobs.Job) ([]byte, error) {
	info, err := inspector(h).GetTaskInfo(job.Queue, job.ID)
	if err != nil {
		return nil, err
	}
	return info.Payload, nil
}

func assertNoSecretInRedis(t *testing.T, h *harness, secret string) {
	t.Helper()
	ctx := context.Background()
	keys, err := h.Redis.Keys(ctx, "*").Result()
	mustOK(t, err)
	for _, k := range keys {
		typ, _ := h.Redis.Type(ctx, k).Result()
		var vals []string
		switch typ {
		case "string":
			v, _ := h.Redis.Get(ctx, k).Result()
			vals = append(vals, v)
		case "hash":
			m, _ := h.Redis.HGetAll(ctx, k).Result()
			for _, v := range m {
				vals = append(vals, v)
			}
		case "list":
			vals, _ = h.Redis.LRange(ctx, k, 0, -1).Result()
		case "set":
			vals, _ = h.Redis.SMembers(ctx, k).Result()
		case "zset":
			vals, _ = h.Redis.ZRange(ctx, k, 0, -1).Result()
		}
		for _, v := range vals {
			if strings.Contains(v, secret) {
				t.Errorf("redis key %s holds the secret in plain text", k)
			}
		}
	}
}

// TestBatchRowRunsShareTheirNumber: a later run of a batch import's row
// (the row retried, under a new run id of the same request "<batch>-<line>")
// finds the number the row's earlier run added and succeeds with that row;
// a run of another line that finds it is a duplicate.
func TestBatchRowRunsShareTheirNumber(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		sealed, err := h.Keys.SealCredentials(sandboxCreds)
		mustOK(t, err)
		row := func(run string) (jobs.Outcome, jobs.AddPhoneResult) {
			t.Helper()
			job, err := h.Jobs.EnqueueAddPhone(ctx, jobs.AddPhone{OrgID: h.OrgID, UserID: userID, PhoneNumber: "+12125551234", Provider: jobs.ProviderTwilio,
				Credentials: sealed, RequestID: run, BatchID: "batch_1"})
			mustOK(t, err)
			wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			out, err := h.Jobs.Wait(wctx, job)
			mustOK(t, err)
			var res jobs.AddPhoneResult
			if out.State == jobs.StateSucceeded {
				mustOK(t, json.Unmarshal(out.Data, &res))
			}
			return out, res
		}
		out, first := row("batch_1-2.r1")
		if out.State != jobs.StateSucceeded {
			t.Fatalf("line 2, first run: %+v", out)
		}
		if out, again := row("batch_1-2.r2"); out.State != jobs.StateSucceeded || again.NumberID != first.NumberID {
			t.Errorf("line 2, second run: %s %s %q (number %s), want success with the first run's number %s", out.State, out.Code, out.Message, again.NumberID, first.NumberID)
		}
		if out, _ := row("batch_1-3.r1"); out.State != jobs.StateFailed || out.Code != jobs.CodeDuplicate {
			t.Errorf("line 3: %s %s %q, want failed %s", out.State, out.Code, out.Message, jobs.CodeDuplicate)
		}
	})
}

// TestAddPhoneWithTarget: an add with a TargetID (as a batch import's row
// can ask) adds the number, links it to the target and routes it there, in
// one attempt.
func TestAddPhoneWithTarget(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		const num, answer = "+12125551234", "https://agents.example.com/answer/1"
		h.target(t, "agent_1", answer)
		sealed, err := h.Keys.SealCredentials(sandboxCreds)
		mustOK(t, err)
		job, err := h.Jobs.EnqueueAddPhone(ctx, jobs.AddPhone{OrgID: h.OrgID, UserID: userID, PhoneNumber: num, Provider: jobs.ProviderTwilio,
			Credentials: sealed, RequestID: "add-with-target.r1", TargetID: "agent_1"})
		mustOK(t, err)
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		out, err := h.Jobs.Wait(wctx, job)
		mustOK(t, err)
		if out.State != jobs.StateSucceeded {
			t.Fatalf("outcome %s %s %q, want success", out.State, out.Code, out.Message)
		}
		row, err := h.Store.GetNumber(ctx, h.OrgID, num)
		mustOK(t, err)
		if l, err := h.Store.GetLink(ctx, h.OrgID, row.ID); row.State != store.NumberActive || err != nil || l.Status != store.LinkActive || l.TargetID != "agent_1" {
			t.Errorf("number %s, link %+v, %v; want an active number with an ACTIVE link to agent_1", row.State, l, err)
		}
		if got := h.voiceURL(num); got != answer {
			t.Errorf("routes to %q, want %q", got, answer)
		}
		rec, err := h.Store.GetJob(ctx, h.OrgID, job.ID)
		mustOK(t, err)
		if rec.Attempts != 1 {
			t.Errorf("took %d attempts (%+v), want 1", rec.Attempts, rec.AttemptLog)
		}
	})
}
