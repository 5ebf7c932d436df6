package worker_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker"
	"github.com/switchboardhq/switchboard/jobs"
)

// syncBuffer is a bytes.Buffer safe for the worker's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records decodes the JSON log lines written so far.
func (b *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// TestRetriedAttemptLogs: an operator reading the worker's log sees the
// first attempt numbered 1, then the attempt that succeeded, and a retry
// that saved its job record logs no error. (asynq does not count a wait for
// a rate limit as a retry, so the attempt after a 429 is logged with the
// same number; the job record counts both.)
func TestRetriedAttemptLogs(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		// Replace the Env's worker with one whose log the test reads.
		h.Server.Shutdown()
		var logs syncBuffer
		h.StartWorkerWith(t, func(p *worker.Params) { p.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })

		f := h.Twilio.Faults()
		f.RateLimitNext, f.RetryAfter = 1, 1
		mustOK(t, h.Twilio.SetFaults(f))
		if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: "+12125551234"}); out.State != jobs.StateSucceeded {
			t.Fatalf("outcome %+v, want success after the 429", out)
		}

		attempts := func() (failed, done []float64) {
			for _, r := range logs.records(t) {
				switch r["msg"] {
				case "job attempt failed":
					failed = append(failed, r["attempt"].(float64))
				case "job attempt done":
					done = append(done, r["attempt"].(float64))
				}
			}
			return failed, done
		}
		h.waitFor(t, func() bool { _, done := attempts(); return len(done) > 0 })
		failed, done := attempts()
		if len(failed) != 1 || failed[0] != 1 || len(done) != 1 {
			t.Errorf("attempts logged: failed %v, done %v; want the failed attempt 1, then one done", failed, done)
		}
		for _, r := range logs.records(t) {
			if r["level"] == slog.LevelError.String() {
				t.Errorf("error logged: %v", r)
			}
		}
	})
}

// TestFailedAttemptLogsTheError: the log line of a failed attempt carries
// the job's code and message once, whether the failure is the worker's own
// (an attach of a number not in the inventory) or a provider's answer (an
// add of a number the account does not own), so an operator can match it
// to the job record.
func TestFailedAttemptLogsTheError(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.Server.Shutdown()
		var logs syncBuffer
		h.StartWorkerWith(t, func(p *worker.Params) { p.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })

		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		_, attach, _ := h.attach(t, "agent_1", "+14155550100")
		_, add := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: "+12125559999"})
		for _, out := range []jobs.Outcome{attach, add} {
			if out.State != jobs.StateFailed || out.Message == "" {
				t.Fatalf("outcome %s %s %q, want a failure", out.State, out.Code, out.Message)
			}
		}
		want := []string{
			string(attach.Code) + ": " + attach.Message + ": " + asynq.SkipRetry.Error(),
			string(add.Code) + ": " + add.Message + ": " + asynq.SkipRetry.Error(),
		}
		var got []string
		h.waitFor(t, func() bool {
			got = got[:0]
			for _, r := range logs.records(t) {
				if r["msg"] == "job attempt failed" {
					got = append(got, r["error"].(string))
				}
			}
			return len(got) >= len(want)
		})
		if !slices.Equal(got, want) {
			t.Errorf("failed attempts logged %q, want %q", got, want)
		}
	})
}

// TestAttemptLogKeepsTheNewest: a run that has already used up
// store.MaxAttemptLog entries of its record's attempt log drops the oldest
// when one more attempt ends, so the record stays small and still shows the
// latest attempts, numbered as the run counts them.
func TestAttemptLogKeepsTheNewest(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		job, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: "+12125551234"})
		if out.State != jobs.StateSucceeded {
			t.Fatalf("add: %+v", out)
		}
		payload, err := h.inspectPayload(job)
		mustOK(t, err)
		// A long run of the same request: 60 attempts so far, the newest
		// 50 in its log.
		const id, attempts = "long-run", 60
		start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		rec := store.JobRecord{ID: id, OrgID: h.OrgID, Type: jobs.TypeAddPhone, State: jobs.StateRetrying, Attempts: attempts, CreatedAt: start, UpdatedAt: start}
		for n := attempts - store.MaxAttemptLog + 1; n <= attempts; n++ {
			rec.AttemptLog = append(rec.AttemptLog, store.JobAttempt{N: n, StartedAt: start, EndedAt: start, Code: jobs.CodeProviderUnavailable, Message: "unavailable"})
		}
		mustOK(t, h.Store.SaveJob(ctx, rec))

		if out := h.enqueueRaw(t, jobs.TypeAddPhone, payload, id); out.State != jobs.StateSucceeded {
			t.Fatalf("attempt %d: %+v", attempts+1, out)
		}
		got, err := h.Store.GetJob(ctx, h.OrgID, id)
		mustOK(t, err)
		log := got.AttemptLog
		if got.Attempts != attempts+1 || len(log) != store.MaxAttemptLog {
			t.Fatalf("attempts %d with %d logged, want %d with %d logged", got.Attempts, len(log), attempts+1, store.MaxAttemptLog)
		}
		if first, last := log[0], log[len(log)-1]; first.N != attempts-store.MaxAttemptLog+2 || last.N != attempts+1 || last.Code != "" {
			t.Errorf("log runs from attempt %d to %d (%q), want %d to %d, the last without error", first.N, last.N, last.Code, attempts-store.MaxAttemptLog+2, attempts+1)
		}
	})
}
