package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bsm/redislock"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

func lockWorker(t *testing.T) (*Worker, *redis.Client) {
	t.Helper()
	rdb := redis.NewClient(testenv.Redis(t))
	t.Cleanup(func() { rdb.Close() })
	return &Worker{rdb: rdb, locks: redislock.New(rdb)}, rdb
}

var lockCreds = providers.Credentials{AccountID: "MA00000000000000SBX1", Secret: "s"}

// TestRouteLockBusyRequeues: while one worker holds a route's lock,
// another polls it for about 100 ms, then gives up (well within a second)
// with an error that requeues the job shortly without using up a retry,
// instead of holding its slot; once the lock is free it gets it, with a
// larger fencing token.
func TestRouteLockBusyRequeues(t *testing.T) {
	w, _ := lockWorker(t)
	ctx := context.Background()
	held, release := make(chan int64), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- w.withRouteLock(ctx, "plivo", lockCreds, "r", func(ctx context.Context, fence int64) error {
			held <- fence
			<-release
			return nil
		})
	}()
	var first int64
	select {
	case first = <-held:
	case err := <-done:
		t.Fatalf("withRouteLock returned %v without running fn on a free lock", err)
	}

	start := time.Now()
	err := w.withRouteLock(ctx, "plivo", lockCreds, "r", func(context.Context, int64) error {
		t.Error("ran while the lock was held")
		return nil
	})
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("waited %v for a taken lock; want to give the slot back quickly", waited)
	} else if waited < 50*time.Millisecond {
		t.Errorf("gave up on a taken lock after %v; want about 100 ms of polling first, so a lock freed meanwhile is taken without a requeue", waited)
	}
	je := categorize(err)
	if !je.RateLimit || je.Permanent || je.RetryAfter <= 0 || isFailure(err) {
		t.Errorf("busy error %+v: want a requeue that does not count as a failure", je)
	}

	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var second int64
	if err := w.withRouteLock(ctx, "plivo", lockCreds, "r", func(_ context.Context, fence int64) error {
		second = fence
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if second <= first {
		t.Errorf("fencing tokens %d then %d: want increasing", first, second)
	}
}

// TestRouteLockReleasedOnEveryPath: the lock is gone after fn succeeds,
// fails or panics, and another route's lock is independent.
func TestRouteLockReleasedOnEveryPath(t *testing.T) {
	w, rdb := lockWorker(t)
	ctx := context.Background()
	key := routeLockKey("telnyx", lockCreds, "r")
	free := func(when string) {
		t.Helper()
		if n, err := rdb.Exists(ctx, key).Result(); err != nil || n != 0 {
			t.Errorf("%s: lock key exists=%d (%v)", when, n, err)
		}
	}
	_ = w.withRouteLock(ctx, "telnyx", lockCreds, "r", func(context.Context, int64) error {
		if n, _ := rdb.Exists(ctx, key).Result(); n != 1 {
			t.Error("lock not held while fn runs")
		}
		if ttl, _ := rdb.PTTL(ctx, key).Result(); ttl <= 0 || ttl > routeLockTTL {
			t.Errorf("lease %v: want at most %v, so a crashed holder frees the route soon", ttl, routeLockTTL)
		}
		// Another route of the same account is not serialized with this one.
		return w.withRouteLock(ctx, "telnyx", lockCreds, "other", func(context.Context, int64) error { return nil })
	})
	free("after success")
	boom := errors.New("boom")
	if err := w.withRouteLock(ctx, "telnyx", lockCreds, "r", func(context.Context, int64) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("err = %v, want fn's", err)
	}
	free("after an error")
	func() {
		defer func() { _ = recover() }()
		_ = w.withRouteLock(ctx, "telnyx", lockCreds, "r", func(context.Context, int64) error { panic("boom") })
	}()
	free("after a panic")
}

// TestRouteLockRenewed: a holder working longer than the lease keeps the
// lock (it is renewed), so nobody else creates the route's application
// meanwhile. Needs a Redis that expires keys (the real one, as in CI).
func TestRouteLockRenewed(t *testing.T) {
	if !testenv.RealRedis() {
		t.Skip("miniredis does not expire keys by itself")
	}
	w, _ := lockWorker(t)
	w.lockTTL = 300 * time.Millisecond
	ctx := context.Background()
	err := w.withRouteLock(ctx, "plivo", lockCreds, "r", func(ctx context.Context, _ int64) error {
		time.Sleep(3 * w.lockTTL)
		err := w.withRouteLock(ctx, "plivo", lockCreds, "r", func(context.Context, int64) error {
			t.Error("a second holder got the lock: it was not renewed")
			return nil
		})
		if !categorize(err).RateLimit {
			t.Errorf("second holder: %v, want busy", err)
		}
		return ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRouteLockLeaseLost: when the lease cannot be renewed (here the key
// vanishes, as when Redis lost it and another worker may hold the route
// now), fn's context is cancelled, and the work that stopped for it fails
// with a retried internal error saying the lease was lost, not fn's own
// context error. Work that finished regardless stands.
func TestRouteLockLeaseLost(t *testing.T) {
	w, rdb := lockWorker(t)
	w.lockTTL = 300 * time.Millisecond
	ctx := context.Background()
	key := routeLockKey("plivo", lockCreds, "r")
	lose := func(ctx context.Context) error {
		t.Helper()
		mustDel(t, rdb, key)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
			t.Error("fn's context not cancelled after the lease was lost")
			return nil
		}
	}

	err := w.withRouteLock(ctx, "plivo", lockCreds, "r", func(ctx context.Context, _ int64) error { return lose(ctx) })
	if je := categorize(err); !errors.Is(err, errLeaseLost) || je.Code != jobs.CodeInternal || je.Permanent {
		t.Errorf("stopped by the lost lease: %v (%+v), want a retried internal error for the lost lease", err, je)
	}

	err = w.withRouteLock(ctx, "plivo", lockCreds, "r", func(ctx context.Context, _ int64) error {
		_ = lose(ctx)
		return nil // done anyway, before it looked at ctx
	})
	if err != nil {
		t.Errorf("finished despite the lost lease: %v, want nil", err)
	}
}

func mustDel(t *testing.T, rdb *redis.Client, key string) {
	t.Helper()
	if n, err := rdb.Del(context.Background(), key).Result(); err != nil || n != 1 {
		t.Fatalf("delete %s: %d, %v", key, n, err)
	}
}
