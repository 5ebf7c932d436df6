package ratelimit

import (
	"context"
	"errors"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// Wrap returns p behind l: every method waits its turn (Limiter.Wait)
// under (p.Name(), AccountOf(creds)) before calling p, and a 429 from p
// pauses the account for every worker (Limiter.Pause with the error's
// RetryAfter, or the default pause).
//
// Each method takes one token, although one adapter operation may make
// several HTTP calls (EnsureVoiceRoute may list or create an application
// before writing the number; when nothing differs it makes none). Taking
// the worst case every time would halve the throughput of the common case
// for a rare one; instead Limits leave headroom and the shared pause
// catches the overshoot the provider reports.
func Wrap(p providers.Provider, l *Limiter) providers.Provider {
	return &limited{p: p, l: l}
}

type limited struct {
	p providers.Provider
	l *Limiter
}

// Operation names, as the adapters name them in errors.
const (
	opValidate = "validate credentials"
	opLookup   = "lookup"
	opEnsure   = "configure voice"
	opReset    = "reset voice"
)

func (w *limited) Name() string { return w.p.Name() }

func (w *limited) ValidateCredentials(ctx context.Context, creds providers.Credentials) error {
	return w.do(ctx, creds, opValidate, func() error { return w.p.ValidateCredentials(ctx, creds) })
}

func (w *limited) Lookup(ctx context.Context, creds providers.Credentials, e164 string) (providers.Number, error) {
	var n providers.Number
	err := w.do(ctx, creds, opLookup, func() (err error) {
		n, err = w.p.Lookup(ctx, creds, e164)
		return err
	})
	return n, err
}

func (w *limited) EnsureVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, route providers.Route) (providers.Change, error) {
	var c providers.Change
	err := w.do(ctx, creds, opEnsure, func() (err error) {
		c, err = w.p.EnsureVoiceRoute(ctx, creds, num, route)
		return err
	})
	return c, err
}

func (w *limited) ResetVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, def providers.Route) (providers.Change, error) {
	var c providers.Change
	err := w.do(ctx, creds, opReset, func() (err error) {
		c, err = w.p.ResetVoiceRoute(ctx, creds, num, def)
		return err
	})
	return c, err
}

// do runs call once the limiter lets it, and shares a 429 it gets.
func (w *limited) do(ctx context.Context, creds providers.Credentials, op string, call func() error) error {
	name, account := w.p.Name(), AccountOf(creds)
	if _, ok := w.l.Limit(name); !ok {
		return call() // not limited at all: not even a 429 costs a Redis call
	}
	release, err := w.l.Wait(ctx, name, account, op)
	if err != nil {
		return err
	}
	err = call()
	release()
	var pe *providers.Error
	// A refusal by another limiter (a Limiter wrapped twice) is not news
	// from the provider.
	if errors.As(err, &pe) && pe.Kind == providers.KindRateLimited && !errors.Is(err, ErrLimited) {
		// Best effort: if Redis fails here, the caller still gets the 429
		// and retries later; only the other workers miss the warning.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		_, _ = w.l.Pause(pctx, name, account, pe.RetryAfter)
		cancel()
	}
	return err
}
