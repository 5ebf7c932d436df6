package worker_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/internal/worker"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
)

// TestCallbackDeliveredSigned: a finished job's callback URL receives one
// signed event per terminal state, retried while the receiver fails.
func TestCallbackDeliveredSigned(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		got := make(chan callback.Event, 4)
		var fails atomic.Int32
		fails.Store(1) // the receiver is down for the first delivery
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if err := callback.Verify([]byte(workertest.CallbackSecret), r.Header.Get(callback.SignatureHeader), body, time.Now(), callback.DefaultTolerance); err != nil {
				t.Errorf("signature: %v", err)
				http.Error(w, "bad signature", http.StatusBadRequest)
				return
			}
			if fails.Add(-1) >= 0 {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			var ev callback.Event
			mustOK(t, json.Unmarshal(body, &ev))
			got <- ev
		}))
		defer recv.Close()

		job, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: "+12125551234", CallbackURL: recv.URL + "/hooks/switchboard?token=abc"})
		if out.State != jobs.StateSucceeded {
			t.Fatalf("add: %+v", out)
		}
		if ev := onlyEvent(t, got, 300*time.Millisecond); ev.JobID != job.ID || ev.Type != jobs.TypeAddPhone || ev.State != "succeeded" ||
			ev.OrgID != h.OrgID || len(ev.Data) == 0 || ev.ID == "" {
			t.Errorf("event %+v", ev)
		}
	})
}

// TestCallbackSurvivesFailedStepAfterCommit: a step after the
// transaction that recorded the job succeeded fails once (the Redis
// command fails): the enqueue of the job's callback, or the outcome's
// write after it. The job's retry finds its record finished and replays
// it, which enqueues the callback again under the same task id: it is
// delivered exactly once either way (never lost, never twice).
func TestCallbackSurvivesFailedStepAfterCommit(t *testing.T) {
	for _, step := range []struct {
		name  string
		names []string
		key   string
	}{
		{"callback enqueue", workertest.Scripts, "callback-"},
		{"outcome write", []string{"hset"}, "asynq:{critical}:t:"},
	} {
		t.Run(step.name, func(t *testing.T) {
			backends(t, func(t *testing.T, h *harness) {
				got := make(chan callback.Event, 4)
				recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var ev callback.Event
					body, _ := io.ReadAll(r.Body)
					mustOK(t, json.Unmarshal(body, &ev))
					got <- ev
				}))
				defer recv.Close()
				h.Server.Shutdown()
				blip := &workertest.FailFirst{Names: step.names, Key: step.key}
				rdb := h.RedisWith(t, blip)
				h.StartWorkerWith(t, func(p *worker.Params) { p.Redis = rdb })

				job, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: "+12125551234", CallbackURL: recv.URL + "/hooks"})
				if out.State != jobs.StateSucceeded {
					t.Fatalf("add: %+v", out)
				}
				if !blip.Fired() {
					t.Fatal("the step was never taken")
				}
				if ev := onlyEvent(t, got, time.Second); ev.JobID != job.ID || ev.State != "succeeded" {
					t.Errorf("event %+v", ev)
				}
			})
		})
	}
}

// onlyEvent waits up to 30 s for an event on got, then quiet more for a
// second one, which fails the test.
func onlyEvent(t *testing.T, got <-chan callback.Event, quiet time.Duration) callback.Event {
	t.Helper()
	var ev callback.Event
	select {
	case ev = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("no callback delivered within 30s")
	}
	select {
	case again := <-got:
		t.Errorf("a second delivery: %+v", again)
	case <-time.After(quiet):
	}
	return ev
}
