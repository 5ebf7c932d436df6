package ratelimit

import (
	"context"
	"testing"
	"time"
)

// TestPeriodDefaultsToOneSecond: a Limit without Period means Rate a
// second. (Mutant: without the default, Period 0 makes a GCRA without an
// interval.)
func TestPeriodDefaultsToOneSecond(t *testing.T) {
	ctx := context.Background()
	l := New(machines(t, 1)[0], map[string]Limit{"plivo": {Rate: 1, Burst: 1}})
	if err := tryOnce(ctx, l, "plivo", "MA1"); err != nil {
		t.Fatalf("first request: %v", err)
	}
	pe := limiterRefusal(t, tryOnce(ctx, l, "plivo", "MA1"))
	if pe.RetryAfter < 500*time.Millisecond || pe.RetryAfter > time.Second {
		t.Fatalf("second request at 1 a second: RetryAfter %v, want about 1s", pe.RetryAfter)
	}
}

// TestLeaseCoversTheRequest: a concurrency slot is held for the lease TTL,
// or until a second after the request's deadline when that is nearer: the
// request cannot outlive its context, and the second covers its release
// reaching Redis.
func TestLeaseCoversTheRequest(t *testing.T) {
	l := New(nil, nil, WithLeaseTTL(time.Minute))
	if got := l.lease(context.Background()); got != time.Minute {
		t.Errorf("lease without a deadline = %v, want the TTL, 1m", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if got := l.lease(ctx); got < 10900*time.Millisecond || got > 11*time.Second {
		t.Errorf("lease for a request due in 10s = %v, want 11s (the deadline and a second)", got)
	}
	far, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if got := l.lease(far); got != time.Minute {
		t.Errorf("lease for a request due in an hour = %v, want the TTL, 1m", got)
	}
}

// TestSleepUpToMaxWait: MaxWait is the most a request may sleep in all,
// inclusive: a sleep that brings the total to exactly MaxWait is taken and
// counted, one that would pass it is refused without sleeping.
func TestSleepUpToMaxWait(t *testing.T) {
	l := New(nil, nil, WithMaxWait(20*time.Millisecond))
	var waited time.Duration
	if err := l.sleep(context.Background(), &waited, 15*time.Millisecond); err != nil || waited != 15*time.Millisecond {
		t.Fatalf("sleep of 15ms of 20ms: %v, waited %v", err, waited)
	}
	if err := l.sleep(context.Background(), &waited, 5*time.Millisecond); err != nil || waited != 20*time.Millisecond {
		t.Fatalf("sleep to exactly MaxWait: %v, waited %v, want nil and 20ms", err, waited)
	}
	start := time.Now()
	if err := l.sleep(context.Background(), &waited, time.Millisecond); err != errTooLong || waited != 20*time.Millisecond {
		t.Fatalf("sleep past MaxWait: %v, waited %v, want errTooLong and 20ms", err, waited)
	}
	if d := time.Since(start); d >= time.Millisecond {
		t.Errorf("the refused sleep took %v", d)
	}
}
