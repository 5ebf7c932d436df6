package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/providers"
)

// ErrLimited is wrapped by the *providers.Error the limiter returns when it
// refuses a request itself, so a refusal by switchboard can be told from a
// 429 sent by the provider (errors.Is(err, ErrLimited)).
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
// nothing tells how long the holders' requests will take.
const (
	busyPoll  = 20 * time.Millisecond
	busyRetry = time.Second
)

// Limiter applies per-provider Limits to provider accounts, with all state
// in Redis. It is safe for concurrent use, and any number of Limiters on
// the same Redis (one per worker process) share the same budgets.
type Limiter struct {
	rdb          redis.UniversalClient
	limits       map[string]Limit
	maxWait      time.Duration
	defaultPause time.Duration
	maxPause     time.Duration
	leaseTTL     time.Duration
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithMaxWait sets how long the limiter may sleep in total, across all
// the requests of one Wrap operation (or one Wait), before it refuses
// instead (default DefaultMaxWait). Zero never sleeps.
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
// exceed the longest HTTP request (the adapters' Timeout, 15s by
// default), or a slow request loses its slot to another one and the
// account briefly runs over MaxConcurrent.
func WithLeaseTTL(d time.Duration) Option {
	return func(l *Limiter) {
		if d > 0 {
			l.leaseTTL = d
		}
	}
}

// New returns a Limiter applying limits, keyed by provider name (see
// Defaults). A provider with a Limit, even the zero Limit, is subject to
// the shared pause; a provider without one is not limited at all, and its
// requests cost no Redis call. So an empty map turns limiting off. A
// Period of 0 means a second, a Burst under 1 means 1.
func New(rdb redis.UniversalClient, limits map[string]Limit, opts ...Option) *Limiter {
	l := &Limiter{
		rdb:          rdb,
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
		lim.Rate = max(lim.Rate, 0)
		lim.Burst = max(lim.Burst, 1) // the GCRA never allows anything with Burst 0
		lim.MaxConcurrent = max(lim.MaxConcurrent, 0)
		l.limits[name] = lim
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Limit returns the Limit applied to provider, and false when provider is
// not limited at all.
func (l *Limiter) Limit(provider string) (Limit, bool) {
	lim, ok := l.limits[provider]
	return lim, ok
}

// Wait readies one request to the provider account: it waits out a shared
// pause, then for a concurrency slot when the provider's Limit has
// MaxConcurrent and a rate token; each check is one limiter decision, one
// Redis call. Waits are slept (respecting ctx) while they add up to at
// most MaxWait and end before ctx's deadline; a longer one makes Wait
// return a KindRateLimited *providers.Error wrapping ErrLimited, whose
// RetryAfter says when to come back, having taken nothing. op names the
// operation in errors. On success the caller sends its request and then
// calls release (once the answer's headers are in), which gives the
// concurrency slot back (one more Redis call) or does nothing.
//
// A provider without a Limit is not waited for: Wait returns at once,
// without a Redis call.
//
// Redis failures are KindTransient errors: without its shared state the
// limiter cannot tell whether the account has budget left.
func (l *Limiter) Wait(ctx context.Context, provider, account, op string) (release func(), err error) {
	var waited time.Duration
	return l.wait(ctx, provider, account, op, &waited)
}

// wait is Wait with the time already slept for the same operation in
// *waited, which it adds to.
func (l *Limiter) wait(ctx context.Context, provider, account, op string, waited *time.Duration) (release func(), err error) {
	lim, ok := l.limits[provider]
	if !ok {
		return func() {}, nil
	}
	id := leaseID()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, err := l.decide(ctx, provider, account, lim, id, l.lease(ctx))
		if err != nil {
			return nil, unavailable(provider, op, err)
		}
		var msg string
		retry, sleep := d.wait, d.wait
		switch d.verdict {
		case allowed:
			if lim.MaxConcurrent == 0 {
				return func() {}, nil
			}
			return l.releaser(ctx, key(kindSem, provider, account), id), nil
		case paused:
			msg = msgPaused
		case busy:
			msg, retry, sleep = msgBusy, busyRetry, busyPoll
		case rateSpent:
			msg = msgRate
		}
		if err := l.sleep(ctx, waited, sleep); err != nil {
			return nil, refusal(err, provider, op, msg, retry)
		}
	}
}

// lease is how long a concurrency slot taken now is held at most: the
// LeaseTTL, or shorter when ctx's deadline is nearer, since the request
// cannot outlive it. A second of slack covers the gap between the
// deadline firing and the release reaching Redis.
func (l *Limiter) lease(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return min(l.leaseTTL, time.Until(dl)+time.Second)
	}
	return l.leaseTTL
}

// errTooLong tells wait that a wait exceeds what it may sleep.
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
	msgBusy   = "too many requests in flight on the provider account (switchboard's limiter)"
)

// refusal turns a failed sleep into Wait's error: ctx's own error when ctx
// ended, else a KindRateLimited refusal.
func refusal(err error, provider, op, msg string, retryAfter time.Duration) error {
	if !errors.Is(err, errTooLong) {
		return err
	}
	return &providers.Error{Kind: providers.KindRateLimited, Provider: provider, Op: op,
		Message: msg, RetryAfter: max(retryAfter, time.Millisecond), Err: ErrLimited}
}

func unavailable(provider, op string, err error) error {
	return &providers.Error{Kind: providers.KindTransient, Provider: provider, Op: op,
		Message: "rate limiter unavailable (Redis)", Err: err}
}

func leaseID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
