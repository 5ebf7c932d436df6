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
//   - a GCRA rate limit (github.com/go-redis/redis_rate) per account
//     (Allow);
//   - for providers whose limit is on concurrency (Twilio), a semaphore of
//     expiring leases per account (Acquire).
//
// Wrap applies them around a providers.Provider. A short wait is slept;
// a long one fails the call with a KindRateLimited *providers.Error and a
// RetryAfter, so the job is rescheduled instead of holding a worker.
//
// Keys live under KeyPrefix and carry a digest of the account, never the
// account id or a secret in clear.
package ratelimit

import (
	"context"
	"errors"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/providers"
)

// ErrLimited is wrapped by the *providers.Error the limiter returns when it
// refuses a call itself, so a refusal by switchboard can be told from a 429
// sent by the provider (errors.Is(err, ErrLimited)).
var ErrLimited = errors.New("refused by switchboard's rate limiter")

// Defaults of the options.
const (
	DefaultMaxWait  = time.Second
	DefaultPause    = 5 * time.Second
	DefaultMaxPause = 5 * time.Minute
	DefaultLeaseTTL = time.Minute
)

// While an account's concurrency slots are all taken, Wait polls at
// busyPoll, and once it gives up asks to be retried after busyRetry:
// nothing tells how long the holders' calls will take.
const (
	busyPoll  = 20 * time.Millisecond
	busyRetry = time.Second
)

// Limiter applies per-provider Limits to provider accounts, with all state
// in Redis. It is safe for concurrent use, and any number of Limiters on
// the same Redis (one per worker process) share the same budgets.
type Limiter struct {
	rdb          redis.UniversalClient
	gcra         *redis_rate.Limiter
	limits       map[string]Limit
	maxWait      time.Duration
	defaultPause time.Duration
	maxPause     time.Duration
	leaseTTL     time.Duration
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithMaxWait sets how long Wait may sleep in total before it refuses the
// call instead (default DefaultMaxWait). Zero never sleeps.
func WithMaxWait(d time.Duration) Option { return func(l *Limiter) { l.maxWait = max(d, 0) } }

// WithDefaultPause sets the pause after a 429 without Retry-After (default
// DefaultPause).
func WithDefaultPause(d time.Duration) Option {
	return func(l *Limiter) {
		if d > 0 {
			l.defaultPause = d
		}
	}
}

// WithMaxPause caps a provider's Retry-After (default DefaultMaxPause), so a
// garbled header cannot stop an account for hours.
func WithMaxPause(d time.Duration) Option {
	return func(l *Limiter) {
		if d > 0 {
			l.maxPause = d
		}
	}
}

// WithLeaseTTL sets how long a concurrency slot is held at most (default
// DefaultLeaseTTL): the time a crashed worker's slot stays taken. It must
// exceed the longest adapter operation, or a slow call loses its slot to
// another one and the account briefly runs over MaxConcurrent.
func WithLeaseTTL(d time.Duration) Option {
	return func(l *Limiter) {
		if d > 0 {
			l.leaseTTL = d
		}
	}
}

// New returns a Limiter applying limits, keyed by provider name (see
// Defaults). A provider without a Limit is not rate limited, but the shared
// pause still applies to it. A Period of 0 means a second.
func New(rdb redis.UniversalClient, limits map[string]Limit, opts ...Option) *Limiter {
	l := &Limiter{
		rdb:          rdb,
		gcra:         redis_rate.NewLimiter(rateKeys{rdb}),
		limits:       make(map[string]Limit, len(limits)),
		maxWait:      DefaultMaxWait,
		defaultPause: DefaultPause,
		maxPause:     DefaultMaxPause,
		leaseTTL:     DefaultLeaseTTL,
	}
	for name, lim := range limits {
		if lim.Period <= 0 {
			lim.Period = time.Second
		}
		lim.Burst = max(lim.Burst, 1) // redis_rate never allows anything with Burst 0
		l.limits[name] = lim
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Limit returns the Limit applied to provider.
func (l *Limiter) Limit(provider string) Limit { return l.limits[provider] }

// Allow takes one token of the provider account's rate limit. When none is
// left it takes nothing and returns false with the time until one is.
func (l *Limiter) Allow(ctx context.Context, provider, account string) (ok bool, retryAfter time.Duration, err error) {
	lim := l.limits[provider]
	if lim.Rate <= 0 {
		return true, 0, nil
	}
	res, err := l.gcra.Allow(ctx, key(kindGCRA, provider, account), redis_rate.Limit{Rate: lim.Rate, Burst: lim.Burst, Period: lim.Period})
	if err != nil {
		return false, 0, err
	}
	if res.Allowed > 0 {
		return true, 0, nil
	}
	return false, max(res.RetryAfter, time.Millisecond), nil
}

// Wait readies one call to the provider account: it waits out a shared
// pause, takes a concurrency slot when the provider's Limit has
// MaxConcurrent, then a rate token. Waits are slept (respecting ctx) while
// they add up to at most MaxWait and end before ctx's deadline; a longer
// one makes Wait return a KindRateLimited *providers.Error wrapping
// ErrLimited, whose RetryAfter says when to come back, having taken
// nothing. op names the operation in errors. On success the caller makes
// its call and then calls release.
//
// Redis failures are KindTransient errors: without its shared state the
// limiter cannot tell whether the account has budget left.
func (l *Limiter) Wait(ctx context.Context, provider, account, op string) (release func(), err error) {
	lim := l.limits[provider]
	var waited time.Duration
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		paused, err := l.Paused(ctx, provider, account)
		if err != nil {
			return nil, unavailable(provider, op, err)
		}
		if paused > 0 {
			if err := l.sleep(ctx, &waited, paused); err != nil {
				return nil, refusal(err, provider, op, msgPaused, paused)
			}
			continue
		}

		release := func() {}
		if lim.MaxConcurrent > 0 {
			rel, ok, err := l.Acquire(ctx, provider, account, lim.MaxConcurrent)
			if err != nil {
				return nil, unavailable(provider, op, err)
			}
			if !ok {
				if err := l.sleep(ctx, &waited, busyPoll); err != nil {
					return nil, refusal(err, provider, op, msgBusy, busyRetry)
				}
				continue
			}
			release = rel
		}

		ok, retry, err := l.Allow(ctx, provider, account)
		if err != nil {
			release()
			return nil, unavailable(provider, op, err)
		}
		if ok {
			return release, nil
		}
		// No slot is held while sleeping: it would block other calls on the
		// account for nothing.
		release()
		if err := l.sleep(ctx, &waited, retry); err != nil {
			return nil, refusal(err, provider, op, msgRate, retry)
		}
	}
}

// errTooLong tells Wait that a wait exceeds what it may sleep.
var errTooLong = errors.New("wait too long")

// sleep sleeps d and adds it to waited, unless waited would exceed the
// limiter's MaxWait or the sleep would outlast ctx's deadline (errTooLong),
// or ctx ends first (ctx.Err()).
func (l *Limiter) sleep(ctx context.Context, waited *time.Duration, d time.Duration) error {
	if *waited+d > l.maxWait {
		return errTooLong
	}
	if dl, ok := ctx.Deadline(); ok && time.Now().Add(d).After(dl) {
		return errTooLong
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		*waited += d
		return nil
	}
}

// Messages of the limiter's own refusals. They say "switchboard's limiter"
// so nobody mistakes them for the provider's answer.
const (
	msgRate   = "rate limit of the provider account reached (switchboard's limiter)"
	msgPaused = "the provider asked to slow down for this account; paused (switchboard's limiter)"
	msgBusy   = "too many calls in flight on the provider account (switchboard's limiter)"
)

// refusal turns a failed sleep into Wait's error: ctx's own error when ctx
// ended, else a KindRateLimited refusal.
func refusal(err error, provider, op, msg string, retryAfter time.Duration) error {
	if !errors.Is(err, errTooLong) {
		return err
	}
	return &providers.Error{Kind: providers.KindRateLimited, Provider: provider, Op: op,
		Message: msg, RetryAfter: retryAfter, Err: ErrLimited}
}

func unavailable(provider, op string, err error) error {
	return &providers.Error{Kind: providers.KindTransient, Provider: provider, Op: op,
		Message: "rate limiter unavailable (Redis)", Err: err}
}
