package worker

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/bsm/redislock"

	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// Route locks serialize, across every worker, the one provider operation
// that is not idempotent: creating a route's application (a Plivo
// application, a Telnyx call control application) while switchboard knows
// none for it. Adapters list an application by name before creating it,
// but two workers doing so at the same moment would both find nothing and
// both create one; holding the route's lock around list-and-create makes
// the second worker find the first one's application.
//
// Nothing else is serialized: Twilio numbers take the URL directly, and a
// route whose application id is recorded needs no lock at all, so a busy
// account's jobs run side by side (see configure in route.go).
//
// The lock is a github.com/bsm/redislock lease: short (routeLockTTL),
// renewed while held, released on every path, and its holder carries a
// fencing token (a per-route counter incremented at each acquisition) that
// the store checks when the application id is saved, so a holder whose
// lease ran out (a long GC pause, a partition) cannot overwrite what a
// later holder recorded. A worker that finds the lock taken does not wait
// in its slot: the job is requeued after routeBusyRetry without using up a
// retry (it is reported as a rate-limit wait, see isFailure).
const (
	routeLockTTL    = 10 * time.Second
	routeLockPoll   = 25 * time.Millisecond
	routeLockTries  = 4 // about 100 ms of waiting before requeueing
	routeBusyRetry  = time.Second
	routeLockPrefix = "switchboard:lock:route:"
)

// errLeaseLost cancels the work of a holder whose lease could not be
// renewed.
var errLeaseLost = errors.New("route lock lease lost")

// routeLockKey names the lock of route on creds' account, as a digest:
// keys never carry an account id in clear.
func routeLockKey(provider string, creds providers.Credentials, route string) string {
	sum := sha256.Sum256([]byte(provider + "\x00" + ratelimit.AccountOf(creds) + "\x00" + route))
	return routeLockPrefix + hex.EncodeToString(sum[:16])
}

// withRouteLock runs fn holding the lock of route on creds' account, with
// the holder's fencing token. When the lock stays taken for about 100 ms
// it returns a busy error that requeues the job shortly.
func (w *Worker) withRouteLock(ctx context.Context, provider string, creds providers.Credentials, route string, fn func(ctx context.Context, fence int64) error) error {
	key := routeLockKey(provider, creds, route)
	ttl := cmp.Or(w.lockTTL, routeLockTTL)
	lock, err := w.locks.Obtain(ctx, key, ttl, &redislock.Options{
		RetryStrategy: redislock.LimitRetry(redislock.LinearBackoff(routeLockPoll), routeLockTries),
	})
	if errors.Is(err, redislock.ErrNotObtained) {
		return routeBusy()
	}
	if err != nil {
		return internalError(fmt.Errorf("route lock: %w", err))
	}
	defer lock.Release(context.WithoutCancel(ctx)) // a lease already lost is ErrLockNotHeld: nothing to do
	// The fence counter has no expiry: it must only ever grow (one small
	// key per route).
	fence, err := w.rdb.Incr(ctx, key+":fence").Result()
	if err != nil {
		return internalError(fmt.Errorf("route lock fence: %w", err))
	}

	hctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				if err := lock.Refresh(hctx, ttl, nil); err != nil && hctx.Err() == nil {
					cancel(fmt.Errorf("%w: %v", errLeaseLost, err))
					return
				}
			}
		}
	}()
	err = fn(hctx, fence)
	cancel(nil)
	<-renewed
	if cause := context.Cause(hctx); errors.Is(cause, errLeaseLost) && err != nil {
		return internalError(cause)
	}
	return err
}

// routeBusy is the error of a job that found its route's lock taken: it
// comes back shortly and the wait does not count as a failed attempt.
func routeBusy() *jobError {
	return &jobError{Code: jobs.CodeProviderUnavailable, Message: "another worker is creating this route's application; retrying shortly",
		RateLimit: true, RetryAfter: routeBusyRetry}
}
