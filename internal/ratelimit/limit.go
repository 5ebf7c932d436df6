package ratelimit

import "time"

// Limit is a provider account's budget of HTTP requests. The zero value
// limits nothing but the shared pause after a provider's 429.
type Limit struct {
	// Rate requests per Period is the sustained rate. Zero disables the
	// rate limit (the shared pause and MaxConcurrent still apply).
	Rate   int
	Period time.Duration
	// Burst is how many requests may go out back to back before the rate
	// paces them. The limiter is a GCRA, so in any window of one Period up
	// to Burst+Rate requests pass, not Rate: a provider that counts
	// requests in windows (Plivo) needs Rate+Burst within its limit. Zero
	// means 1: requests are evenly spaced.
	Burst int
	// MaxConcurrent caps the account's requests in flight across every
	// worker process (a Redis semaphore with expiring leases). Zero means
	// no cap. It costs a second Redis call per request, to give the slot
	// back.
	MaxConcurrent int
}

// Defaults are the limits switchboard applies per provider account unless
// configured otherwise. They are shared by every worker process, so they
// are the whole account's budget, and the customer's own applications may
// use the same account: each leaves headroom under the provider's
// published limit, and docs/providers.md gives the figures and their
// sources. Lower them rather than raise them when in doubt.
func Defaults() map[string]Limit {
	return map[string]Limit{
		// Plivo: 300 API requests per 5 seconds per account, 429 beyond
		// (plivo.com/docs/voice/concepts/account-limits). 275 per 5 s
		// plus a burst of 5 lets at most 280 through in any 5-second
		// window: 93% of the limit. The 20 left over absorb requests
		// that reach Plivo later than the limiter let them go (a third of
		// a second at this rate). The rate is the physical limit of an
		// import, which must finish within 1.15x of its requests at
		// 300 / 5 s (BenchmarkRateLimit); at 240 + 10 (83%) it cannot.
		"plivo": {Rate: 275, Period: 5 * time.Second, Burst: 5},
		// Twilio limits concurrent REST requests per account (error 20429,
		// www.twilio.com/docs/api/errors/20429) and publishes no single
		// figure. MaxConcurrent is what models it, at a conservative share
		// since the customer's own traffic shares it; the rate is only a
		// ceiling against runaway loops.
		"twilio": {Rate: 100, Period: time.Second, Burst: 20, MaxConcurrent: 20},
		// Telnyx's limits depend on the account and are reported in its
		// x-ratelimit-* headers, not published as one figure
		// (developers.telnyx.com/development/api-fundamentals/reliability/rate-limiting).
		// 20 requests per second (1,200 a minute) is switchboard's
		// conservative default, not a Telnyx number.
		"telnyx": {Rate: 20, Period: time.Second, Burst: 10},
	}
}
