package sim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
)

func TestDrawIsSeeded(t *testing.T) {
	draw := func(seed uint64) []sim.Verdict {
		d := sim.NewDecider()
		d.Seed(seed)
		var vs []sim.Verdict
		for range 50 {
			vs = append(vs, d.Draw(sim.Odds{Latency: time.Millisecond, Jitter: time.Millisecond, TimeoutRate: 0.2, ErrorRate: 0.3}))
		}
		return vs
	}
	if a, b := draw(7), draw(7); !slices.Equal(a, b) {
		t.Error("same seed, different verdicts")
	}
	if slices.Equal(draw(7), draw(8)) {
		t.Error("seeds 7 and 8 drew the same verdicts")
	}
	if v := sim.NewDecider().Draw(sim.Odds{Latency: time.Second}); v != (sim.Verdict{Delay: time.Second}) {
		t.Errorf("no random faults: %+v", v)
	}
}

func TestBusy(t *testing.T) {
	d := sim.NewDecider()
	if d.Busy("a", 1) {
		t.Error("busy with nothing in flight")
	}
	d.Hold("a")
	if !d.Busy("a", 1) || d.Busy("a", 2) || d.Busy("a", 0) || d.Busy("b", 1) {
		t.Error("one of a's requests in flight: wrong limits")
	}
	d.Release("a")
	if d.Busy("a", 1) {
		t.Error("busy after Release")
	}
}

// apply runs d.Apply for v on a fresh request, and returns whether it
// said to serve and the status it answered (0 for none).
func apply(ctx context.Context, d *sim.Decider, v sim.Verdict) (bool, *httptest.ResponseRecorder) {
	rec := httptest.NewRecorder()
	rec.Code = 0 // not the recorder's default 200: nothing was answered
	answer := func(status int) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) { w.WriteHeader(status) }
	}
	r := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
	serve := d.Apply(rec, r, v, sim.Answers{TooManyRequests: answer(429), InternalError: answer(500)})
	return serve, rec
}

func TestApply(t *testing.T) {
	d := sim.NewDecider()
	ctx := context.Background()
	if serve, rec := apply(ctx, d, sim.Verdict{RateLimit: true, RetryAfter: 2}); serve || rec.Code != 429 || rec.Header().Get("Retry-After") != "2" {
		t.Errorf("429: serve %v, %d %v", serve, rec.Code, rec.Header())
	}
	if serve, rec := apply(ctx, d, sim.Verdict{RateLimit: true}); serve || rec.Code != 429 || rec.Header().Get("Retry-After") != "" {
		t.Errorf("429 without Retry-After: serve %v, %d %v", serve, rec.Code, rec.Header())
	}
	if serve, rec := apply(ctx, d, sim.Verdict{Fail: true}); serve || rec.Code != 500 {
		t.Errorf("500: serve %v, %d", serve, rec.Code)
	}
	start := time.Now()
	if serve, rec := apply(ctx, d, sim.Verdict{Delay: 20 * time.Millisecond}); !serve || rec.Code != 0 || time.Since(start) < 20*time.Millisecond {
		t.Errorf("delay: serve %v, %d after %v", serve, rec.Code, time.Since(start))
	}

	gone, cancel := context.WithCancel(ctx)
	cancel()
	if serve, rec := apply(gone, d, sim.Verdict{Hang: true}); serve || rec.Code != 0 {
		t.Errorf("hang, client gone: serve %v, %d", serve, rec.Code)
	}
	d.Close()
	d.Close() // twice is fine
	if serve, rec := apply(ctx, d, sim.Verdict{Hang: true}); serve || rec.Code != 500 {
		t.Errorf("hang after Close: serve %v, %d", serve, rec.Code)
	}
	if serve, _ := apply(ctx, d, sim.Verdict{Delay: time.Hour}); !serve {
		t.Error("latency after Close was not cut short")
	}
}
