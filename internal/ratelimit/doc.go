// Package ratelimit keeps switchboard's calls to a provider account within
// the provider's limits, across every worker process on every machine.
//
// A provider's limit belongs to the customer's account, not to a worker: ten
// workers each pacing themselves to the limit would exceed it tenfold. So
// all state lives in Redis, and every worker goes through three shared
// mechanisms before calling an account:
//
//   - a shared pause: once any worker gets a 429, every worker holds off
//     the account for the provider's Retry-After (Pause, Paused);
//   - a GCRA rate limit per account (the algorithm of
//     github.com/go-redis/redis_rate);
//   - for providers whose limit is on concurrency (Twilio), a semaphore of
//     expiring leases per account (InFlight).
//
// One decision checks all three in a single Lua script, one Redis round
// trip; a call that took a concurrency lease costs one more call to give
// it back (decide.go says why one script).
//
// Wrap applies them around a providers.Provider. A short wait is slept;
// a long one fails the call with a KindRateLimited *providers.Error and a
// RetryAfter, so the job is rescheduled instead of holding a worker.
//
// Keys live under KeyPrefix and carry a digest of the account, never the
// account id or a secret in clear.
package ratelimit
