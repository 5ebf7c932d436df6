package telemetry

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/providers"
)

// WrapProvider returns p recording every operation's duration and result.
// Wrap it outside the rate limiter, so refusals by the limiter are counted
// too.
func (m *Metrics) WrapProvider(p providers.Provider) providers.Provider {
	if m == nil {
		return p
	}
	return &instrumented{Provider: p, m: m}
}

type instrumented struct {
	providers.Provider
	m *Metrics
}

func (i *instrumented) observe(op string, start time.Time, err error) {
	name := i.Name()
	i.m.providerLatency.WithLabelValues(name, op).Observe(time.Since(start).Seconds())
	status := "ok"
	if err != nil {
		status = "error"
		if k, ok := providers.KindOf(err); ok {
			status = strings.ReplaceAll(k.String(), " ", "_")
			if k == providers.KindRateLimited {
				result := "provider_429"
				if errors.Is(err, ratelimit.ErrLimited) {
					result = "refused"
				}
				i.m.rateLimited.WithLabelValues(name, result).Inc()
			}
		}
	}
	i.m.providerCalls.WithLabelValues(name, op, status).Inc()
}

func (i *instrumented) ValidateCredentials(ctx context.Context, c providers.Credentials) (err error) {
	defer func(start time.Time) { i.observe("validate", start, err) }(time.Now())
	return i.Provider.ValidateCredentials(ctx, c)
}

func (i *instrumented) Lookup(ctx context.Context, c providers.Credentials, e164 string) (n providers.Number, err error) {
	defer func(start time.Time) { i.observe("lookup", start, err) }(time.Now())
	return i.Provider.Lookup(ctx, c, e164)
}

func (i *instrumented) EnsureVoiceRoute(ctx context.Context, c providers.Credentials, n providers.Number, r providers.Route) (ch providers.Change, err error) {
	defer func(start time.Time) { i.observe("ensure_route", start, err) }(time.Now())
	return i.Provider.EnsureVoiceRoute(ctx, c, n, r)
}

func (i *instrumented) ResetVoiceRoute(ctx context.Context, c providers.Credentials, n providers.Number, r providers.Route) (ch providers.Change, err error) {
	defer func(start time.Time) { i.observe("reset_route", start, err) }(time.Now())
	return i.Provider.ResetVoiceRoute(ctx, c, n, r)
}
