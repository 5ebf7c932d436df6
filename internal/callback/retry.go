package callback

import (
	"errors"
	"math/rand/v2"
	"time"
)

// MaxRetry is how many times a callback is retried after its first
// attempt: with RetryDelay, about 40 hours of trying, long enough to ride
// out a receiver's outage overnight or over a day.
const MaxRetry = 10

// retrySchedule is the delay before each retry, indexed by retries done.
func retrySchedule() []time.Duration {
	return []time.Duration{
		10 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 24 * time.Hour,
	}
}

// RetryDelay is the wait before retry n+1 of a callback (n retries done,
// as asynq counts): 10s, 1m, 5m, 15m, 30m, 1h, 2h, 4h, 8h, then 24h, each
// shortened by up to 10% at random so that callbacks failing together do
// not come back together. A receiver's Retry-After (err holds a
// *StatusError) is honoured when longer, up to a day.
func RetryDelay(n int, err error) time.Duration {
	s := retrySchedule()
	d := s[min(max(n, 0), len(s)-1)]
	d -= time.Duration(rand.Int64N(int64(d/10) + 1))
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter > d {
		d = min(se.RetryAfter, 24*time.Hour)
	}
	return d
}
