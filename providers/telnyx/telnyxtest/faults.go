package telnyxtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Faults are the failures a Server injects. The zero value injects none.
// They can be changed at any time, including while requests are in flight;
// random choices come from the Server's seeded source (see WithSeed), so a
// sequential test sees the same faults on every run.
//
// Faults are applied in this order to every request that reaches the
// handler: the per-key rate limit, the 429 burst, latency, hangs, 500s; a
// request stopped by one is not subject to the later ones. Ambiguous
// creates apply to successful application creates only.
type Faults struct {
	// Latency delays every response but injected 429s (limits answer at
	// once); Jitter adds a uniformly random extra delay in [0, Jitter).
	Latency time.Duration
	Jitter  time.Duration

	// ErrorRate is the fraction (0..1) of requests answered 500 with code
	// 10007, without being processed.
	ErrorRate float64

	// TimeoutRate is the fraction (0..1) of requests that hang, unanswered,
	// until the client gives up (its context or timeout ends) or the
	// Server is closed.
	TimeoutRate float64

	// RateLimitNext answers the next N requests 429 with code 10011. It
	// counts down as they are answered.
	RateLimitNext int

	// RetryAfter, in whole seconds, is sent as a Retry-After header with
	// every 429 of the RateLimitNext burst. Zero sends none, for clients
	// that must back off without one.
	RetryAfter int

	// RateLimit is the number of requests each API key may make per
	// RateWindow; the next ones are answered 429 with code 10011 and no
	// Retry-After (the x-ratelimit-* headers say when the window resets).
	// Zero does not limit.
	RateLimit int
	// RateWindow is the length of the fixed rate-limit window. Zero is
	// one minute.
	RateWindow time.Duration

	// AmbiguousCreates makes the next N successful application creates
	// apply (the application exists) and then answer 500, as when Telnyx
	// times out after committing. It counts down as they happen.
	AmbiguousCreates int
}

// validate refuses settings that cannot mean anything.
func (f Faults) validate() error {
	var errs []error
	if f.Latency < 0 || f.Jitter < 0 || f.RateWindow < 0 {
		errs = append(errs, errors.New("latency, jitter and rate_window must not be negative"))
	}
	if f.ErrorRate < 0 || f.ErrorRate > 1 || f.TimeoutRate < 0 || f.TimeoutRate > 1 {
		errs = append(errs, errors.New("error_rate and timeout_rate must be within 0..1"))
	}
	if f.RateLimitNext < 0 || f.RetryAfter < 0 || f.RateLimit < 0 || f.AmbiguousCreates < 0 {
		errs = append(errs, errors.New("counts must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("telnyxtest: invalid faults: %w", err)
	}
	return nil
}

// faultsJSON is the wire form of Faults: durations as Go duration strings
// ("150ms") so people can type them.
type faultsJSON struct {
	Latency          string  `json:"latency"`
	Jitter           string  `json:"jitter"`
	ErrorRate        float64 `json:"error_rate"`
	TimeoutRate      float64 `json:"timeout_rate"`
	RateLimitNext    int     `json:"rate_limit_next"`
	RetryAfter       int     `json:"retry_after"`
	RateLimit        int     `json:"rate_limit"`
	RateWindow       string  `json:"rate_window"`
	AmbiguousCreates int     `json:"ambiguous_creates"`
}

// MarshalJSON encodes durations as strings such as "150ms".
func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultsJSON{
		Latency:          f.Latency.String(),
		Jitter:           f.Jitter.String(),
		ErrorRate:        f.ErrorRate,
		TimeoutRate:      f.TimeoutRate,
		RateLimitNext:    f.RateLimitNext,
		RetryAfter:       f.RetryAfter,
		RateLimit:        f.RateLimit,
		RateWindow:       f.RateWindow.String(),
		AmbiguousCreates: f.AmbiguousCreates,
	})
}

// UnmarshalJSON decodes what MarshalJSON encodes; absent fields are zero
// and unknown fields are refused, so a typo does not silently inject
// nothing.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var w faultsJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	out := Faults{
		ErrorRate:        w.ErrorRate,
		TimeoutRate:      w.TimeoutRate,
		RateLimitNext:    w.RateLimitNext,
		RetryAfter:       w.RetryAfter,
		RateLimit:        w.RateLimit,
		AmbiguousCreates: w.AmbiguousCreates,
	}
	for _, d := range []struct {
		name string
		in   string
		out  *time.Duration
	}{
		{"latency", w.Latency, &out.Latency},
		{"jitter", w.Jitter, &out.Jitter},
		{"rate_window", w.RateWindow, &out.RateWindow},
	} {
		if d.in == "" {
			continue
		}
		v, err := time.ParseDuration(d.in)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		*d.out = v
	}
	*f = out
	return nil
}

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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
		case http.MethodPut:
			var f Faults
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&f); err != nil {
				http.Error(w, "invalid faults: "+err.Error(), http.StatusBadRequest)
				return
			}
			if err := s.SetFaults(f); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		default:
			w.Header().Set("Allow", "GET, PUT")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		writeJSON(w, http.StatusOK, s.Faults())
	})
}

// verdict is what the faults decided for one request, drawn when it
// arrived so that the random sequence does not depend on timing.
type verdict struct {
	delay      time.Duration
	rateLimit  bool // answer 429
	retryAfter int  // seconds; 0 sends no Retry-After
	hang       bool
	fail       bool // answer 500
}

// decide draws the verdict for a request; s.mu must be held. overLimit
// says the key's rate-limit window is spent. Random numbers are drawn
// only for faults that are on, in a fixed order, so turning one fault on
// does not reshuffle another's sequence.
func (s *Server) decide(overLimit bool) verdict {
	f := &s.faults
	var v verdict
	if overLimit {
		v.rateLimit = true
		return v
	}
	if f.RateLimitNext > 0 {
		f.RateLimitNext--
		v.rateLimit, v.retryAfter = true, f.RetryAfter
		return v
	}
	v.delay = f.Latency
	if f.Jitter > 0 {
		v.delay += time.Duration(s.rng.Int64N(int64(f.Jitter)))
	}
	if f.TimeoutRate > 0 && s.rng.Float64() < f.TimeoutRate {
		v.hang = true
		return v
	}
	if f.ErrorRate > 0 && s.rng.Float64() < f.ErrorRate {
		v.fail = true
	}
	return v
}

// takeAmbiguousCreate reports whether a successful create must be answered
// 500; s.mu must be held.
func (s *Server) takeAmbiguousCreate() bool {
	if s.faults.AmbiguousCreates > 0 {
		s.faults.AmbiguousCreates--
		return true
	}
	return false
}
