package worker

import (
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/jobs"
)

// Retry policy bounds.
const (
	retryBase = 2 * time.Second
	retryCap  = 10 * time.Minute
	retryMin  = time.Second
)

// retryDelay is exponential backoff with full jitter (a uniform draw in
// [0, min(cap, base*2^n)]), never under a second, and never before a
// provider's Retry-After.
func retryDelay(n int, err error, t *asynq.Task) time.Duration {
	if t.Type() == jobs.TypeCallback {
		return callback.RetryDelay(n, err)
	}
	ceiling := retryCap
	if n < 20 && retryBase<<n < retryCap {
		ceiling = retryBase << n
	}
	d := max(time.Duration(rand.Int64N(int64(ceiling)+1)), retryMin)
	if je := categorize(err); je.RetryAfter > d {
		d = je.RetryAfter
	}
	return d
}

// isFailure tells asynq whether a failed attempt uses up one of the job's
// retries. Waiting out a provider's rate limit does not: the job did
// nothing wrong, it was told to come back later.
func isFailure(err error) bool {
	return !categorize(err).RateLimit
}
