package worker_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"

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
