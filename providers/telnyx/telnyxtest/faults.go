package telnyxtest

import (
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
)

// Faults are the failures a Server injects. The zero value injects none.
// They can be changed at any time, including while requests are in flight;
// random choices come from the Server's seeded source (see WithSeed), so a
// sequential test sees the same faults on every run. Their JSON form (see
// FaultsHandler) names each field as its tag does, with durations as
// strings such as "150ms".
//
// Faults are applied in this order to every request that reaches the
// handler: the per-key rate limit, the 429 burst, latency, hangs, 500s; a
// request stopped by one is not subject to the later ones. Ambiguous
// creates apply to successful application creates only, ignored
// connection updates to number updates that send connection_id.
type Faults struct {
	// Latency delays every response but injected 429s (limits answer at
	// once); Jitter adds a uniformly random extra delay in [0, Jitter).
	Latency time.Duration `json:"latency"`
	Jitter  time.Duration `json:"jitter"`

	// ErrorRate is the fraction (0..1) of requests answered 500 with code
	// 10007, without being processed.
	ErrorRate float64 `json:"error_rate"`

	// TimeoutRate is the fraction (0..1) of requests that hang, unanswered,
	// until the client gives up (its context or timeout ends) or the
	// Server is closed.
	TimeoutRate float64 `json:"timeout_rate"`

	// RateLimitNext answers the next N requests 429 with code 10011. It
	// counts down as they are answered.
	RateLimitNext int `json:"rate_limit_next"`

	// RetryAfter, in whole seconds, is sent as a Retry-After header with
	// every 429 of the RateLimitNext burst. Zero sends none, for clients
	// that must back off without one.
	RetryAfter int `json:"retry_after"`

	// RateLimit is the number of requests each API key may make per
	// RateWindow; the next ones are answered 429 with code 10011 and no
	// Retry-After (the x-ratelimit-* headers say when the window resets).
	// Zero does not limit.
	RateLimit int `json:"rate_limit"`
	// RateWindow is the length of the fixed rate-limit window. Zero is
	// one minute.
	RateWindow time.Duration `json:"rate_window"`

	// AmbiguousCreates makes the next N successful application creates
	// apply (the application exists) and then answer 500, as when Telnyx
	// times out after committing. It counts down as they happen.
	AmbiguousCreates int `json:"ambiguous_creates"`

	// IgnoredConnectionUpdates makes the next N number updates that send a
	// connection_id leave the number's connection as it was and answer 200
	// with the number as it is (its old connection_id), the rest of the
	// update applied: a PATCH whose answer shows the move did not happen
	// (a concurrent change won, or the field was dropped). It counts down
	// as they happen.
	IgnoredConnectionUpdates int `json:"ignored_connection_updates"`
}

// validate refuses settings that cannot mean anything.
func (f Faults) validate() error {
	return sim.Invalid("telnyxtest",
		sim.Problem(min(f.Latency, f.Jitter, f.RateWindow) < 0, "latency, jitter and rate_window must not be negative"),
		sim.Problem(f.ErrorRate < 0 || f.ErrorRate > 1 || f.TimeoutRate < 0 || f.TimeoutRate > 1,
			"error_rate and timeout_rate must be within 0..1"),
		sim.Problem(min(f.RateLimitNext, f.RetryAfter, f.RateLimit, f.AmbiguousCreates, f.IgnoredConnectionUpdates) < 0,
			"counts must not be negative"),
	)
}

// MarshalJSON encodes durations as strings such as "150ms".
func (f Faults) MarshalJSON() ([]byte, error) { return sim.MarshalFaults(f) }

// UnmarshalJSON decodes what MarshalJSON encodes; absent fields are zero
// and unknown fields are refused, so a typo does not silently inject
// nothing.
func (f *Faults) UnmarshalJSON(b []byte) error { return sim.UnmarshalFaults(b, f) }

// SetFaults replaces the injected faults, counters included. Changing the
// rate limit or its window starts every key's window afresh.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.RateLimit != s.faults.RateLimit || f.RateWindow != s.faults.RateWindow {
		clear(s.windows)
	}
	s.faults = f
	return nil
}

// Faults returns the faults in force, with what is left of the counters.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// FaultsHandler serves the faults as JSON so the dev sandbox can change
// them over HTTP: GET returns them, PUT replaces them (absent fields are
// zero, so PUT {} clears every fault). It does no authentication; mount it
// only where the sandbox's own access control applies.
func (s *Server) FaultsHandler() http.Handler {
	return sim.FaultsHandler(s.Faults, s.SetFaults, writeJSON)
}

// decide draws the verdict for a request; s.mu must be held. overLimit
// says the key's rate-limit window is spent.
func (s *Server) decide(overLimit bool) sim.Verdict {
	f := &s.faults
	if overLimit {
		return sim.Verdict{RateLimit: true}
	}
	if sim.Take(&f.RateLimitNext) {
		return sim.Verdict{RateLimit: true, RetryAfter: f.RetryAfter}
	}
	return s.decider.Draw(sim.Odds{Latency: f.Latency, Jitter: f.Jitter, TimeoutRate: f.TimeoutRate, ErrorRate: f.ErrorRate})
}
