package worker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// draws is how many delays the distribution tests take. The hard bounds
// hold for every draw of a correct policy; the spread they check (some
// draws in the bottom quarter, some in the top) is missed by a correct
// policy with probability under 0.75^2000, about 10^-250: no flakes.
const draws = 2000

// delays draws retryDelay(n, err, t) draws times.
func delays(n int, err error, t *asynq.Task) []time.Duration {
	ds := make([]time.Duration, draws)
	for i := range ds {
		ds[i] = retryDelay(n, err, t)
	}
	return ds
}

// TestRetryDelayBounds: every delay of a job's retry n lies in
// [1s, min(10m, 2s·2ⁿ)], and the top of the range is reached: the floor
// and the cap hold, and the backoff grows.
func TestRetryDelayBounds(t *testing.T) {
	t.Parallel()
	task := asynq.NewTask(jobs.TypeAddPhone, nil)
	err := errors.New("boom")
	for _, tt := range []struct {
		n       int
		ceiling time.Duration
	}{
		{0, 2 * time.Second},
		{1, 4 * time.Second},
		{3, 16 * time.Second},
		{6, 128 * time.Second},
		{8, 512 * time.Second},
		{9, 10 * time.Minute}, // 1024s, capped
		{15, 10 * time.Minute},
		{19, 10 * time.Minute},
		{20, 10 * time.Minute}, // past the shift guard
		{64, 10 * time.Minute},
		{1000, 10 * time.Minute},
	} {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			t.Parallel()
			lo, hi := time.Duration(1<<62), time.Duration(0)
			for _, d := range delays(tt.n, err, task) {
				if d < time.Second || d > tt.ceiling {
					t.Fatalf("retryDelay(%d) = %v, want within [1s, %v]", tt.n, d, tt.ceiling)
				}
				lo, hi = min(lo, d), max(hi, d)
			}
			// The draws cover the range: the lowest is in its bottom
			// quarter (or at the floor), the highest in its top quarter.
			if bottom := max(tt.ceiling/4, time.Second); lo > bottom {
				t.Errorf("retryDelay(%d): lowest of %d draws %v, want at most %v", tt.n, draws, lo, bottom)
			}
			if top := tt.ceiling * 3 / 4; hi < top {
				t.Errorf("retryDelay(%d): highest of %d draws %v, want at least %v", tt.n, draws, hi, top)
			}
		})
	}
}

// TestRetryDelayJitter: delays are drawn, not fixed, so jobs that failed
// together (a provider outage) do not come back together.
func TestRetryDelayJitter(t *testing.T) {
	t.Parallel()
	task := asynq.NewTask(jobs.TypeAttach, nil)
	const n, ceiling = 3, 16 * time.Second
	seen := map[time.Duration]bool{}
	var below, above int
	for _, d := range delays(n, errors.New("boom"), task) {
		seen[d] = true
		if d < ceiling/2 {
			below++
		} else {
			above++
		}
	}
	if len(seen) < draws/2 {
		t.Errorf("%d draws of retryDelay(%d) gave %d distinct delays, want at least %d", draws, n, len(seen), draws/2)
	}
	// Uniform on [0, 16s] (with the floor at 1s): about half each side of
	// 8s. A tenth is far out of reach of chance.
	if below < draws/10 || above < draws/10 {
		t.Errorf("retryDelay(%d): %d draws under %v and %d over, want both at least %d", n, below, ceiling/2, above, draws/10)
	}
}

// TestRetryDelayFloor: the first retries never come back in under a
// second, however the draw falls.
func TestRetryDelayFloor(t *testing.T) {
	t.Parallel()
	task := asynq.NewTask(jobs.TypeUnlink, nil)
	floor := 0
	for _, d := range delays(0, errors.New("boom"), task) {
		if d < time.Second {
			t.Fatalf("retryDelay(0) = %v, want at least 1s", d)
		}
		if d == time.Second {
			floor++
		}
	}
	// Half of the draws on [0, 2s] fall under a second and are raised to it.
	if floor < draws/4 {
		t.Errorf("%d of %d draws of retryDelay(0) at the 1s floor, want about half", floor, draws)
	}
}

// TestRetryDelayRetryAfter: a provider's Retry-After is honoured when it
// is longer than the backoff, wrapped or not, and never shortens it.
func TestRetryDelayRetryAfter(t *testing.T) {
	t.Parallel()
	task := asynq.NewTask(jobs.TypeAddPhone, nil)
	limited := func(d time.Duration) error {
		return &providers.Error{Kind: providers.KindRateLimited, Provider: "twilio", Op: "lookup", Status: 429, RetryAfter: d}
	}
	for _, tt := range []struct {
		name     string
		n        int
		err      error
		min, max time.Duration
	}{
		{"longer than the backoff", 0, limited(5 * time.Minute), 5 * time.Minute, 5 * time.Minute},
		{"wrapped", 2, fmt.Errorf("lookup: %w", limited(90*time.Second)), 90 * time.Second, 90 * time.Second},
		{"past the cap", 30, limited(time.Hour), time.Hour, time.Hour},
		{"switchboard's own limiter", 0, &providers.Error{Kind: providers.KindRateLimited, RetryAfter: 42 * time.Second, Err: ratelimit.ErrLimited},
			42 * time.Second, 42 * time.Second},
		{"shorter than the floor", 0, limited(time.Millisecond), time.Second, 2 * time.Second},
		{"none", 0, limited(0), time.Second, 2 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, d := range delays(tt.n, tt.err, task)[:draws/10] {
				if d < tt.min || d > tt.max {
					t.Fatalf("retryDelay(%d, %v) = %v, want within [%v, %v]", tt.n, tt.err, d, tt.min, tt.max)
				}
			}
		})
	}
}

// TestRetryDelayCallbacks: callbacks keep their own, slower schedule
// (callback.RetryDelay: 10s, then 1m, ...), and jobs do not get it.
func TestRetryDelayCallbacks(t *testing.T) {
	t.Parallel()
	err := &callback.StatusError{StatusCode: 503}
	for _, tt := range []struct {
		typ      string
		n        int
		min, max time.Duration
	}{
		{jobs.TypeCallback, 0, 9 * time.Second, 10 * time.Second},
		{jobs.TypeCallback, 1, 54 * time.Second, time.Minute},
		{jobs.TypeCallback, 9, 21*time.Hour + 36*time.Minute, 24 * time.Hour},
		{jobs.TypeAddPhone, 0, time.Second, 2 * time.Second},
		{jobs.TypeAddPhone, 1, time.Second, 4 * time.Second},
		{jobs.TypeReconcile, 9, time.Second, 10 * time.Minute},
	} {
		t.Run(fmt.Sprintf("%s/%d", tt.typ, tt.n), func(t *testing.T) {
			t.Parallel()
			for _, d := range delays(tt.n, err, asynq.NewTask(tt.typ, nil))[:draws/10] {
				if d < tt.min || d > tt.max {
					t.Fatalf("retryDelay(%d) of a %s task = %v, want within [%v, %v]", tt.n, tt.typ, d, tt.min, tt.max)
				}
			}
		})
	}
}

// TestIsFailure: waiting out a rate limit, the provider's or switchboard's
// own, does not use up a retry; every other failure does.
func TestIsFailure(t *testing.T) {
	t.Parallel()
	rateLimited := &providers.Error{Kind: providers.KindRateLimited, Provider: "twilio", Op: "lookup", Status: 429, RetryAfter: time.Second}
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"provider 429", rateLimited, false},
		{"wrapped provider 429", fmt.Errorf("attach +12125551234: %w", rateLimited), false},
		{"switchboard's limiter", &providers.Error{Kind: providers.KindRateLimited, Message: "paused", RetryAfter: 3 * time.Second, Err: ratelimit.ErrLimited}, false},
		{"429 without Retry-After", &providers.Error{Kind: providers.KindRateLimited, Status: 429}, false},
		{"provider 5xx", &providers.Error{Kind: providers.KindTransient, Status: 503}, true},
		{"provider 400", &providers.Error{Kind: providers.KindBadRequest, Status: 400}, true},
		{"internal", internalError(errors.New("database is down")), true},
		{"plain error", errors.New("boom"), true},
		{"deadline", context.DeadlineExceeded, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := isFailure(tt.err); got != tt.want {
				t.Errorf("isFailure(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
