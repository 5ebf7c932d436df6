package ratelimit

import "time"

// Limit is a provider account's budget. The zero value limits nothing but
// the shared pause after a provider's 429.
type Limit struct {
	// Rate requests per Period is the sustained rate. Zero disables the
	// rate limit (the shared pause and MaxConcurrent still apply).
	Rate   int
	Period time.Duration
	// Burst is how many requests may go out back to back before the rate
	// paces them. The limiter is a GCRA, so in any window of one Period up
	// to Burst+Rate requests pass, not Rate: a provider that counts
	// requests in windows (Plivo) needs Burst small, or Rate+Burst within
	// its limit. Zero means 1: requests are evenly spaced.
	Burst int
	// MaxConcurrent caps the account's calls in flight across every worker
	// process (a Redis semaphore with expiring leases). Zero means no cap.
	// It costs a second Redis call per call, to give the slot back.
	MaxConcurrent int
}

// Defaults are the limits switchboard applies per provider account unless
// configured otherwise. They are shared by every worker process, so they
// are the whole account's budget, and the customer's own applications may
// use the same account: lower them rather than raise them when in doubt.
func Defaults() map[string]Limit {
	return map[string]Limit{
		// Plivo documents 300 API requests per 5 seconds per account
		// (429 beyond). Burst 1 spaces requests evenly (60/s), which never
		// puts more than 300 in any 5-second window; a large burst would let
		// up to Burst+300 through in one window.
		"plivo": {Rate: 300, Period: 5 * time.Second, Burst: 1},
		// Twilio's REST API limit is on concurrent requests per account
		// (error 20429), not on a request rate, and Twilio does not publish
		// one number for every account. The rate here is only a ceiling
		// against runaway loops; MaxConcurrent is the limit that models
		// Twilio, at a conservative share of a typical account's
		// concurrency since the customer's own traffic shares it.
		"twilio": {Rate: 100, Period: time.Second, Burst: 100, MaxConcurrent: 20},
		// Telnyx's API limits depend on the account; 100 requests per
		// second is switchboard's configurable default, not a documented
		// Telnyx number.
		"telnyx": {Rate: 100, Period: time.Second, Burst: 1},
	}
}
