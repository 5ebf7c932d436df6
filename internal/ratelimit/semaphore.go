package ratelimit

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// The concurrency semaphore is taken by decideScript (decide.go), in the
// same round trip as the other checks; giving a slot back is a call of its
// own, made only by requests that took one.

// releaser returns the function that gives the lease id of the semaphore
// k back. It is safe to call more than once; only the first call reaches
// Redis.
func (l *Limiter) releaser(ctx context.Context, k, id string) func() {
	var once sync.Once
	return func() { once.Do(func() { l.release(ctx, k, id) }) }
}

func (l *Limiter) release(ctx context.Context, k, id string) {
	// The request's ctx may be done by now; the release must still reach
	// Redis, or the slot stays taken until the lease expires.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	l.rdb.ZRem(rctx, k, id)
}

// InFlight counts the provider account's unexpired leases: its requests
// in flight, across every worker.
func (l *Limiter) InFlight(ctx context.Context, provider, account string) (int, error) {
	now, err := l.rdb.Time(ctx).Result()
	if err != nil {
		return 0, err
	}
	n, err := l.rdb.ZCount(ctx, key(kindSem, provider, account), "("+strconv.FormatInt(now.UnixMilli(), 10), "+inf").Result()
	return int(n), err
}
