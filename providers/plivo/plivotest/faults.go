package plivotest

import (
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
)

// Plivo's documented per-account API rate limit, in force on a new Server.
const (
	DefaultRateLimit  = 300
	DefaultRateWindow = 5 * time.Second
)

// Faults are the failures a Server injects. The zero value injects none
// (not even the rate limit a new Server starts with). They can be changed
// at any time, including while requests are in flight; random choices come
// from the Server's seeded source (see WithSeed), so a sequential test sees
// the same faults on every run.
//
// Faults are applied in this order to every request that reaches the
// handler: the 429 burst, the rate limit, latency, hangs, 500s; a request
// stopped by one is not subject to the later ones. Ambiguous creates apply
// to successful application creates only.
type Faults struct {
	// Latency delays every response but 429s (limits answer at once);
	// Jitter adds a uniformly random extra delay in [0, Jitter).
	Latency time.Duration `json:"latency"`
	Jitter  time.Duration `json:"jitter"`

	// ErrorRate is the fraction (0..1) of requests answered 500 without
	// being processed.
	ErrorRate float64 `json:"error_rate"`

	// EmptyErrorBody answers every injected 500 (ErrorRate, ambiguous
	// creates, hung requests released by Close) with no body at all, as a
	// proxy in front of Plivo may. plivo-go turns an empty non-2xx answer
	// into a nil error and a zero-value struct.
	EmptyErrorBody bool `json:"empty_error_body"`

	// TimeoutRate is the fraction (0..1) of requests that hang, unanswered,
	// until the client gives up (its context or timeout ends) or the
	// Server is closed.
	TimeoutRate float64 `json:"timeout_rate"`

	// RateLimitNext answers the next N requests 429 {"api_id","error"}. It
	// counts down as they are answered.
	RateLimitNext int `json:"rate_limit_next"`

	// RetryAfter, in whole seconds, is sent as a Retry-After header with
	// the 429s of RateLimitNext. Zero sends none, as Plivo documents none.
	RetryAfter int `json:"retry_after"`

	// RateLimit is Plivo's per-account rate limit: a request that arrives
	// when the authenticating account already had RateLimit requests
	// accepted within the last RateWindow is answered 429, without a
	// Retry-After. Zero is unlimited.
	RateLimit  int           `json:"rate_limit"`
	RateWindow time.Duration `json:"rate_window"`

	// AmbiguousCreates makes the next N successful application creates
	// apply (the application exists) and then answer 500, as when Plivo
	// times out after committing. It counts down as they happen.
	AmbiguousCreates int `json:"ambiguous_creates"`
}

// validate refuses settings that cannot mean anything.
func (f Faults) validate() error {
	return sim.Invalid("plivotest",
		sim.Problem(min(f.Latency, f.Jitter, f.RateWindow) < 0, "durations must not be negative"),
		sim.Problem(f.ErrorRate < 0 || f.ErrorRate > 1 || f.TimeoutRate < 0 || f.TimeoutRate > 1,
			"error_rate and timeout_rate must be within 0..1"),
		sim.Problem(min(f.RateLimitNext, f.RetryAfter, f.RateLimit, f.AmbiguousCreates) < 0,
			"counts must not be negative"),
		sim.Problem(f.RateLimit > 0 && f.RateWindow == 0, "a rate_limit needs a rate_window"),
	)
}

// MarshalJSON encodes durations as strings such as "150ms".
func (f Faults) MarshalJSON() ([]byte, error) { return sim.MarshalFaults(f) }

// UnmarshalJSON decodes what MarshalJSON encodes; absent fields are zero
// and unknown fields are refused, so a typo does not silently inject
// nothing.
func (f *Faults) UnmarshalJSON(b []byte) error { return sim.UnmarshalFaults(b, f) }

// SetFaults replaces the injected faults, counters and rate limit
// included.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	return nil
}

// UpdateFaults changes some faults and keeps the others, e.g. turns 500s
// on without lifting the rate limit.
func (s *Server) UpdateFaults(change func(*Faults)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	change(&f)
	if err := f.validate(); err != nil {
		return err
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
// zero, so PUT {} clears every fault, the rate limit included). It does no
// authentication; mount it only where the sandbox's own access control
// applies.
func (s *Server) FaultsHandler() http.Handler {
	return sim.FaultsHandler(s.Faults, s.SetFaults, writeJSON)
}

// decide draws the verdict for a request; s.mu must be held.
func (s *Server) decide(limitKey string) sim.Verdict {
	f := &s.faults
	if sim.Take(&f.RateLimitNext) {
		return sim.Verdict{RateLimit: true, RetryAfter: f.RetryAfter}
	}
	if f.RateLimit > 0 && !s.admit(limitKey) {
		return sim.Verdict{RateLimit: true}
	}
	return s.decider.Draw(sim.Odds{Latency: f.Latency, Jitter: f.Jitter, TimeoutRate: f.TimeoutRate, ErrorRate: f.ErrorRate})
}

// admit applies the sliding-window rate limit to one request of the
// account limitKey, and records it when it is accepted; s.mu must be held.
func (s *Server) admit(limitKey string) bool {
	now := s.now()
	since := now.Add(-s.faults.RateWindow)
	seen := s.window[limitKey]
	i := 0
	for i < len(seen) && !seen[i].After(since) {
		i++
	}
	seen = seen[i:]
	if len(seen) >= s.faults.RateLimit {
		s.window[limitKey] = seen
		return false
	}
	s.window[limitKey] = append(seen, now)
	return true
}
