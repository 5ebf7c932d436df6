// Package ratelimit keeps switchboard's requests to a provider account
// within the provider's limits, across every worker process on every
// machine.
//
// A provider's limit belongs to the customer's account, not to a worker: ten
// workers each pacing themselves to the limit would exceed it tenfold. So
// all state lives in Redis, and every HTTP request to an account goes
// through three shared mechanisms first:
//
//   - a shared pause: once any worker gets a 429 from the provider, every
//     worker holds off the account for the provider's Retry-After
//     (Pause, Paused);
//   - a GCRA rate limit per account (the algorithm of
//     github.com/go-redis/redis_rate);
//   - for providers whose limit is on concurrency (Twilio), a semaphore of
//     expiring leases per account (InFlight).
//
// One decision checks all three in a single Lua script, one Redis round
// trip; a request that took a concurrency lease costs one more call to
// give it back (decide.go says why one script).
//
// # Where requests are counted
//
// Providers limit HTTP requests, and one adapter operation makes one to
// four of them (EnsureVoiceRoute may list, create and update an
// application before attaching the number). So the limiter sits at the
// transport: Transport is an http.RoundTripper given to each adapter's
// Options.Transport, and it counts every request the adapter (or its SDK,
// retries included) sends. The transport learns whose request it carries
// from the request's context: Wrap, around a providers.Provider, puts the
// Limiter, the provider name, the account (AccountOf) and the operation
// into the context of every call, and the adapters send each request with
// the operation's context (providers.Exchange clones every SDK request
// with it; the Telnyx adapter builds its requests with it). A request
// whose context carries none of this, or whose provider has no Limit, goes
// straight through without a Redis call.
//
// # How a refusal surfaces
//
// A short wait is slept (at most MaxWait in total per operation, and never
// past the context's deadline). A longer one refuses the request without
// sending it: the transport answers it with a synthetic 429 carrying
// Retry-After and the RefusedHeader marker, so every adapter's own 429
// handling turns it into a KindRateLimited *providers.Error, whatever its
// SDK does with transport errors (SDKs wrap them, and plivo-go may drop
// them). Wrap then replaces that error with the limiter's own refusal: a
// KindRateLimited *providers.Error wrapping ErrLimited, whose RetryAfter
// is exact to the millisecond (the header has whole seconds). The worker
// reschedules the job for RetryAfter instead of holding a worker, and does
// not count the wait against its retries. The marker keeps a refusal of
// ours from pausing the account: only the provider's 429s do.
//
// Keys live under KeyPrefix and carry a digest of the account, never the
// account id or a secret in clear.
package ratelimit
