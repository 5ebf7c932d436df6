package ratelimit

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// fakeProvider counts calls, and answers 429 to the first one when
// rateLimitOnce is set.
type fakeProvider struct {
	name          string
	calls         atomic.Int32
	rateLimitOnce atomic.Bool
	retryAfter    time.Duration
}

func (f *fakeProvider) Name() string { return f.name }

func (f *fakeProvider) call(op string) error {
	f.calls.Add(1)
	if f.rateLimitOnce.CompareAndSwap(true, false) {
		return &providers.Error{Kind: providers.KindRateLimited, Provider: f.name, Op: op, Status: 429, RetryAfter: f.retryAfter}
	}
	return nil
}

func (f *fakeProvider) ValidateCredentials(ctx context.Context, creds providers.Credentials) error {
	return f.call("validate credentials")
}

func (f *fakeProvider) Lookup(ctx context.Context, creds providers.Credentials, e164 string) (providers.Number, error) {
	return providers.Number{ID: "PN1", E164: e164}, f.call("lookup")
}

func (f *fakeProvider) EnsureVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, route providers.Route) (providers.Change, error) {
	return providers.Change{Changed: true}, f.call("configure voice")
}

func (f *fakeProvider) ResetVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, def providers.Route) (providers.Change, error) {
	return providers.Change{Changed: true}, f.call("reset voice")
}

var creds = providers.Credentials{AccountID: "AC0123456789abcdef", Secret: "s3cr3t-token"}

func TestWrapPassesThrough(t *testing.T) {
	ctx := context.Background()
	f := &fakeProvider{name: "twilio"}
	p := Wrap(f, New(machines(t, 1)[0], Defaults()))
	if p.Name() != "twilio" {
		t.Fatalf("Name = %q", p.Name())
	}
	if err := p.ValidateCredentials(ctx, creds); err != nil {
		t.Fatal(err)
	}
	n, err := p.Lookup(ctx, creds, "+15550100")
	if err != nil || n.E164 != "+15550100" {
		t.Fatalf("Lookup = %+v, %v", n, err)
	}
	if c, err := p.EnsureVoiceRoute(ctx, creds, n, providers.Route{}); err != nil || !c.Changed {
		t.Fatalf("EnsureVoiceRoute = %+v, %v", c, err)
	}
	if c, err := p.ResetVoiceRoute(ctx, creds, n, providers.Route{}); err != nil || !c.Changed {
		t.Fatalf("ResetVoiceRoute = %+v, %v", c, err)
	}
	if got := f.calls.Load(); got != 4 {
		t.Fatalf("provider called %d times, want 4", got)
	}
}

func TestWrap429PausesEveryMachine(t *testing.T) {
	ctx := context.Background()
	m := machines(t, 2)
	f := &fakeProvider{name: "twilio", retryAfter: 2 * time.Second}
	f.rateLimitOnce.Store(true)
	a := Wrap(f, New(m[0], Defaults()))
	b := Wrap(f, New(m[1], Defaults()))

	_, err := a.Lookup(ctx, creds, "+15550100")
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Status != 429 || errors.Is(err, ErrLimited) {
		t.Fatalf("first call = %v, want the provider's own 429", err)
	}

	// Another machine is refused locally: the provider is not called.
	_, err = b.EnsureVoiceRoute(ctx, creds, providers.Number{}, providers.Route{})
	pe = limiterRefusal(t, err)
	if pe.RetryAfter > 2*time.Second || pe.Op != "configure voice" || pe.Provider != "twilio" {
		t.Fatalf("refusal = %+v, want twilio configure voice, RetryAfter <= 2s", pe)
	}
	if got := f.calls.Load(); got != 1 {
		t.Fatalf("provider called %d times, want only the first call", got)
	}
	// Other accounts are not paused.
	other := providers.Credentials{AccountID: "AC-other", Secret: "x"}
	if err := b.ValidateCredentials(ctx, other); err != nil {
		t.Fatalf("other account: %v", err)
	}
}

func TestWrapShortPauseSleeps(t *testing.T) {
	ctx := context.Background()
	m := machines(t, 2)
	f := &fakeProvider{name: "telnyx", retryAfter: 100 * time.Millisecond}
	f.rateLimitOnce.Store(true)
	telnyx := providers.Credentials{Secret: "KEY0123"} // no AccountID: keyed by a digest of the key
	a := Wrap(f, New(m[0], Defaults()))
	b := Wrap(f, New(m[1], Defaults()))
	if err := a.ValidateCredentials(ctx, telnyx); err == nil {
		t.Fatal("want the provider's 429")
	}
	start := time.Now()
	if err := b.ValidateCredentials(ctx, telnyx); err != nil {
		t.Fatalf("call during a 100ms pause: %v, want it to wait and go through", err)
	}
	if el := time.Since(start); el < 60*time.Millisecond {
		t.Fatalf("call went through after %v, during the pause", el)
	}
	if got := f.calls.Load(); got != 2 {
		t.Fatalf("provider called %d times, want 2", got)
	}
}

func TestWrap429WithoutRetryAfterPausesDefault(t *testing.T) {
	ctx := context.Background()
	rdb := machines(t, 1)[0]
	f := &fakeProvider{name: "plivo"}
	f.rateLimitOnce.Store(true)
	l := New(rdb, Defaults(), WithDefaultPause(7*time.Second))
	if err := Wrap(f, l).ValidateCredentials(ctx, creds); err == nil {
		t.Fatal("want the provider's 429")
	}
	if d, err := l.Paused(ctx, "plivo", AccountOf(creds)); err != nil || d < 6*time.Second || d > 7*time.Second {
		t.Fatalf("pause = %v, %v; want the 7s default", d, err)
	}
}
