package twiliotest

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
// handler: the concurrency limit, the 429 burst, latency, hangs, 500s; a
// request stopped by one is not subject to the later ones. Ambiguous writes
// apply to successful updates only.
type Faults struct {
	// Latency delays every response but injected 429s (limits answer at
	// once); Jitter adds a uniformly random extra delay in [0, Jitter).
	Latency time.Duration `json:"latency"`
	Jitter  time.Duration `json:"jitter"`

	// ErrorRate is the fraction (0..1) of requests answered 500 with code
	// 20500, without being processed.
	ErrorRate float64 `json:"error_rate"`

	// TimeoutRate is the fraction (0..1) of requests that hang, unanswered,
	// until the client gives up (its context or timeout ends) or the
	// Server is closed.
	TimeoutRate float64 `json:"timeout_rate"`

	// RateLimitNext answers the next N requests 429 with code 20429. It
	// counts down as they are answered.
	RateLimitNext int `json:"rate_limit_next"`

	// RetryAfter, in whole seconds, is sent as a Retry-After header with
	// every injected 429. Zero sends none, for clients that must back off
	// without one.
	RetryAfter int `json:"retry_after"`

	// MaxConcurrent is Twilio's concurrency limit: a request that arrives
	// while an account already has MaxConcurrent requests in flight is
	// answered 429 with code 20429. Zero is unlimited.
	MaxConcurrent int `json:"max_concurrent"`

	// AmbiguousWrites makes the next N successful number updates apply
	// their change and then answer 500, as when Twilio times out after
	// committing. It counts down as they happen.
	AmbiguousWrites int `json:"ambiguous_writes"`
}

// validate refuses settings that cannot mean anything.
func (f Faults) validate() error {
	return sim.Invalid("twiliotest",
		sim.Problem(min(f.Latency, f.Jitter) < 0, "latency and jitter must not be negative"),
		sim.Problem(f.ErrorRate < 0 || f.ErrorRate > 1 || f.TimeoutRate < 0 || f.TimeoutRate > 1,
			"error_rate and timeout_rate must be within 0..1"),
		sim.Problem(min(f.RateLimitNext, f.RetryAfter, f.MaxConcurrent, f.AmbiguousWrites) < 0,
			"counts must not be negative"),
	)
}

// MarshalJSON encodes durations as strings such as "150ms".
func (f Faults) MarshalJSON() ([]byte, error) { return sim.MarshalFaults(f) }

// UnmarshalJSON decodes what MarshalJSON encodes; absent fields are zero
// and unknown fields are refused, so a typo does not silently inject
// nothing.
func (f *Faults) UnmarshalJSON(b []byte) error { return sim.UnmarshalFaults(b, f) }

// SetFaults replaces the injected faults, counters included.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
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

// decide draws the verdict for a request, holding an in-flight slot of
// limitKey's unless it is to be answered 429; s.mu must be held.
func (s *Server) decide(limitKey string) sim.Verdict {
	f := &s.faults
	if s.decider.Busy(limitKey, f.MaxConcurrent) || sim.Take(&f.RateLimitNext) {
		return sim.Verdict{RateLimit: true, RetryAfter: f.RetryAfter}
	}
	s.decider.Hold(limitKey)
	return s.decider.Draw(sim.Odds{Latency: f.Latency, Jitter: f.Jitter, TimeoutRate: f.TimeoutRate, ErrorRate: f.ErrorRate})
}
