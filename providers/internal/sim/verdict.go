package sim

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// Verdict is what the faults decided for one request, decided when it
// arrived so that the random sequence does not depend on timing.
type Verdict struct {
	RateLimit  bool // answer 429 at once
	RetryAfter int  // seconds, sent with a 429 when positive
	Delay      time.Duration
	Hang       bool // answer nothing until the client gives up or Close
	Fail       bool // answer 500
}

// Answers are a simulator's error bodies for the faults Apply answers;
// each writes a whole response.
type Answers struct {
	TooManyRequests func(http.ResponseWriter) // a 429; Retry-After is already set
	InternalError   func(http.ResponseWriter) // a 500
}

// Apply carries v out for r, outside the simulator's lock: it answers the
// 429 or 500 v calls for, waits out the delay, and holds a hung request
// until r's client gives up or the Decider is closed (then answering 500).
// It reports whether the simulator should go on and serve r.
func (d *Decider) Apply(w http.ResponseWriter, r *http.Request, v Verdict, a Answers) bool {
	if v.RateLimit {
		if v.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(v.RetryAfter))
		}
		a.TooManyRequests(w)
		return false
	}
	if !d.sleep(r.Context(), v.Delay) {
		return false // the client gave up; nobody reads an answer
	}
	if v.Hang {
		select {
		case <-r.Context().Done():
		case <-d.done:
			a.InternalError(w)
		}
		return false
	}
	if v.Fail {
		a.InternalError(w)
		return false
	}
	return true
}

// sleep waits delay, or less once the Decider is closed, and reports false
// when ctx ended first.
func (d *Decider) sleep(ctx context.Context, delay time.Duration) bool {
	if delay <= 0 {
		return true
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-d.done:
		return true
	case <-ctx.Done():
		return false
	}
}
