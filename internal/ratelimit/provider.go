package ratelimit

import (
	"context"
	"errors"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// Wrap returns p behind l. Every method runs with a context that tells
// Transport the Limiter, p.Name() and AccountOf(creds), so each HTTP
// request p sends waits its turn; p's Options.Transport must include
// Transport, or nothing is counted. When p has no Limit in l, Wrap adds
// nothing and costs nothing.
//
// Wrap also shapes what comes back:
//
//   - when the limiter refused one of the operation's requests and p
//     reports the synthetic 429 as KindRateLimited (as every adapter
//     does), the error is the limiter's own refusal instead: it wraps
//     ErrLimited and its RetryAfter is exact;
//   - when Redis failed and p reports a transient failure, the error is
//     the limiter's (KindTransient, "rate limiter unavailable");
//   - a KindRateLimited error from the provider that Transport did not
//     see as a 429 (a rate-limit code on another status) still pauses the
//     account for every worker.
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
	return w.do(ctx, creds, opValidate, func(ctx context.Context) error { return w.p.ValidateCredentials(ctx, creds) })
}

func (w *limited) Lookup(ctx context.Context, creds providers.Credentials, e164 string) (providers.Number, error) {
	var n providers.Number
	err := w.do(ctx, creds, opLookup, func(ctx context.Context) (err error) {
		n, err = w.p.Lookup(ctx, creds, e164)
		return err
	})
	return n, err
}

func (w *limited) EnsureVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, route providers.Route) (providers.Change, error) {
	var c providers.Change
	err := w.do(ctx, creds, opEnsure, func(ctx context.Context) (err error) {
		c, err = w.p.EnsureVoiceRoute(ctx, creds, num, route)
		return err
	})
	return c, err
}

func (w *limited) ResetVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, def providers.Route) (providers.Change, error) {
	var c providers.Change
	err := w.do(ctx, creds, opReset, func(ctx context.Context) (err error) {
		c, err = w.p.ResetVoiceRoute(ctx, creds, num, def)
		return err
	})
	return c, err
}

// do runs call with a context binding its requests to the limiter, then
// shapes its error (see Wrap).
func (w *limited) do(ctx context.Context, creds providers.Credentials, op string, call func(context.Context) error) error {
	name := w.p.Name()
	if _, ok := w.l.Limit(name); !ok {
		return call(ctx)
	}
	b := &binding{l: w.l, provider: name, account: AccountOf(creds), op: op}
	err := call(withBinding(ctx, b))
	var pe *providers.Error
	if err == nil || !errors.As(err, &pe) {
		return err
	}
	limErr, paused := b.outcome()
	switch {
	case limErr != nil && errors.Is(limErr, ErrLimited) && pe.Kind == providers.KindRateLimited:
		return limErr
	case limErr != nil && !errors.Is(limErr, ErrLimited) && pe.Kind == providers.KindTransient:
		return limErr
	case !paused && pe.Kind == providers.KindRateLimited && !errors.Is(err, ErrLimited):
		// A refusal by another limiter (a Limiter wrapped twice) is not
		// news from the provider; anything else rate limited is.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		_, _ = w.l.Pause(pctx, name, b.account, pe.RetryAfter)
		cancel()
	}
	return err
}
