package telnyxtest

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// NominalRateLimit is what x-ratelimit-limit reports, per minute, while no
// limit is configured (Faults.RateLimit is zero). It is not enforced and
// is not a figure Telnyx publishes: it only keeps the headers realistic.
const NominalRateLimit = 2000

// maxWindows is how many keys' windows are kept before spent ones are
// dropped.
const maxWindows = 10000

// window is one API key's fixed rate-limit window.
type window struct {
	start time.Time
	used  int
}

// rateState is what one request saw of its key's window, for the
// x-ratelimit-* headers.
type rateState struct {
	limit, remaining int
	reset            int // whole seconds until the window starts afresh
	exceeded         bool
}

// take counts a request against key's window; s.mu must be held. A
// request refused for the limit does not use up the window further.
// Requests without a key share the window of "", like anonymous clients
// behind one address.
func (s *Server) take(key string) rateState {
	limit, enforced := s.faults.RateLimit, s.faults.RateLimit > 0
	length := s.faults.RateWindow
	if length == 0 {
		length = time.Minute
	}
	if !enforced {
		limit = int(math.Round(NominalRateLimit * length.Minutes()))
	}
	now := s.now()
	if len(s.windows) >= maxWindows {
		// Anyone can present keys: drop spent windows rather than grow.
		for k, w := range s.windows {
			if !now.Before(w.start.Add(length)) {
				delete(s.windows, k)
			}
		}
	}
	w := s.windows[key]
	if w == nil || !now.Before(w.start.Add(length)) {
		w = &window{start: now}
		s.windows[key] = w
	}
	st := rateState{limit: limit, exceeded: enforced && w.used >= limit}
	if !st.exceeded {
		w.used++
	}
	st.remaining = max(0, limit-w.used)
	st.reset = int(math.Ceil(w.start.Add(length).Sub(now).Seconds()))
	return st
}

// setHeaders sets Telnyx's rate-limit headers.
func (st rateState) setHeaders(h http.Header) {
	h.Set("x-ratelimit-limit", strconv.Itoa(st.limit))
	h.Set("x-ratelimit-remaining", strconv.Itoa(st.remaining))
	h.Set("x-ratelimit-reset", strconv.Itoa(st.reset))
}
