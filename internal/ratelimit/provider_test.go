package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// fakeProvider is an adapter in miniature: every operation sends perOp
// HTTP requests (1 when 0) with the operation's context, through
// Transport, to an in-process provider, and categorizes a non-2xx answer
// by its status and Retry-After, as the real adapters do.
type fakeProvider struct {
	name  string
	perOp int
	hc    *http.Client

	sent          atomic.Int32 // requests that reached the provider
	rateLimitNext atomic.Int32 // the provider answers 429 to this many requests
	retryAfter    time.Duration
	failNext      atomic.Int32  // the transport fails this many requests without an answer
	block         chan struct{} // when set, the provider answers only once it is closed
}

func newFake(name string) *fakeProvider {
	f := &fakeProvider{name: name}
	f.hc = &http.Client{Transport: Transport(roundTripFunc(f.serve))}
	return f
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// serve is the provider.
func (f *fakeProvider) serve(r *http.Request) (*http.Response, error) {
	if f.failNext.Add(-1) >= 0 {
		return nil, errors.New("connection reset")
	}
	f.sent.Add(1)
	if f.block != nil {
		select {
		case <-f.block:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}
	if f.rateLimitNext.Add(-1) >= 0 {
		resp.StatusCode = http.StatusTooManyRequests
		if f.retryAfter > 0 {
			resp.Header.Set("Retry-After", strconv.Itoa(int(f.retryAfter/time.Second)))
		}
	}
	return resp, nil
}

func (f *fakeProvider) Name() string { return f.name }

func (f *fakeProvider) call(ctx context.Context, op string) error {
	for i := range max(f.perOp, 1) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://provider.test/%s/%d", f.name, i), nil)
		if err != nil {
			return err
		}
		resp, err := f.hc.Do(req)
		if err != nil {
			return &providers.Error{Kind: providers.KindTransient, Provider: f.name, Op: op, Message: "no response", Err: err}
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return &providers.Error{Kind: providers.KindForStatus(resp.StatusCode), Provider: f.name, Op: op, Status: resp.StatusCode,
				RetryAfter: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
		}
	}
	return nil
}

func (f *fakeProvider) ValidateCredentials(ctx context.Context, creds providers.Credentials) error {
	return f.call(ctx, "validate credentials")
}

func (f *fakeProvider) Lookup(ctx context.Context, creds providers.Credentials, e164 string) (providers.Number, error) {
	return providers.Number{ID: "PN1", E164: e164}, f.call(ctx, "lookup")
}

func (f *fakeProvider) EnsureVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, route providers.Route) (providers.Change, error) {
	return providers.Change{Changed: true}, f.call(ctx, "configure voice")
}

func (f *fakeProvider) ResetVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, def providers.Route) (providers.Change, error) {
	return providers.Change{Changed: true}, f.call(ctx, "reset voice")
}

var creds = providers.Credentials{AccountID: "AC0123456789abcdef", Secret: "s3cr3t-token"}

func TestWrapPassesThrough(t *testing.T) {
	ctx := context.Background()
	f := newFake("twilio")
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
	if got := f.sent.Load(); got != 4 {
		t.Fatalf("provider got %d requests, want 4", got)
	}
}

// TestWrapCountsEveryRequest: the budget is spent per HTTP request, not
// per operation. An operation of 3 requests takes 3 tokens of a burst of
// 4; the next operation gets the 4th and is refused its 2nd request.
func TestWrapCountsEveryRequest(t *testing.T) {
	ctx := context.Background()
	f := newFake("plivo")
	f.perOp = 3
	l := New(machines(t, 1)[0], map[string]Limit{"plivo": {Rate: 1, Period: time.Hour, Burst: 4}}, WithMaxWait(0))
	p := Wrap(f, l)
	if err := p.ValidateCredentials(ctx, creds); err != nil {
		t.Fatal(err)
	}
	err := p.ValidateCredentials(ctx, creds)
	limiterRefusal(t, err)
	if got := f.sent.Load(); got != 4 {
		t.Fatalf("provider got %d requests, want 3 then 1 before the refusal", got)
	}
}

func TestWrap429PausesEveryMachine(t *testing.T) {
	ctx := context.Background()
	m := machines(t, 2)
	f := newFake("twilio")
	f.retryAfter = 2 * time.Second
	f.rateLimitNext.Store(1)
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
	if pe.RetryAfter > 2*time.Second || pe.RetryAfter < time.Second || pe.Op != "configure voice" || pe.Provider != "twilio" {
		t.Fatalf("refusal = %+v, want twilio configure voice, RetryAfter ~2s", pe)
	}
	if got := f.sent.Load(); got != 1 {
		t.Fatalf("provider got %d requests, want only the first", got)
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
	f := newFake("telnyx")
	f.rateLimitNext.Store(1)
	telnyx := providers.Credentials{Secret: "KEY0123"} // no AccountID: keyed by a digest of the key
	// No Retry-After: machine a pauses the account for its default pause.
	a := Wrap(f, New(m[0], Defaults(), WithDefaultPause(100*time.Millisecond)))
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
	if got := f.sent.Load(); got != 2 {
		t.Fatalf("provider got %d requests, want 2", got)
	}
}

func TestWrap429WithoutRetryAfterPausesDefault(t *testing.T) {
	ctx := context.Background()
	rdb := machines(t, 1)[0]
	f := newFake("plivo")
	f.rateLimitNext.Store(1)
	l := New(rdb, Defaults(), WithDefaultPause(7*time.Second))
	if err := Wrap(f, l).ValidateCredentials(ctx, creds); err == nil {
		t.Fatal("want the provider's 429")
	}
	if d, err := l.Paused(ctx, "plivo", AccountOf(creds)); err != nil || d < 6*time.Second || d > 7*time.Second {
		t.Fatalf("pause = %v, %v; want the 7s default", d, err)
	}
}

// TestTransportPausesOnProvider429: the transport itself pauses the
// account when the provider answers 429, whatever the adapter makes of the
// answer (here it is not even asked: no Wrap).
func TestTransportPausesOnProvider429(t *testing.T) {
	ctx := context.Background()
	l := New(machines(t, 1)[0], Defaults())
	f := newFake("twilio")
	f.retryAfter = 3 * time.Second
	f.rateLimitNext.Store(1)
	_ = f.call(withBinding(ctx, &binding{l: l, provider: "twilio", account: "AC1", op: "lookup"}), "lookup")
	if d, err := l.Paused(ctx, "twilio", "AC1"); err != nil || d < 2*time.Second || d > 3*time.Second {
		t.Fatalf("pause after the provider's 429 = %v, %v; want its 3s", d, err)
	}
}

// TestRefusalDoesNotPause: the limiter's own refusals are not the
// provider's 429s and must not pause the account. (Mutant: pausing on any
// 429 the transport hands back, or on any KindRateLimited error in Wrap,
// fails here.)
func TestRefusalDoesNotPause(t *testing.T) {
	ctx := context.Background()
	f := newFake("plivo")
	l := New(machines(t, 1)[0], map[string]Limit{"plivo": {Rate: 1, Period: time.Hour, Burst: 1}}, WithMaxWait(0))
	p := Wrap(f, l)
	if err := p.ValidateCredentials(ctx, creds); err != nil {
		t.Fatal(err)
	}
	limiterRefusal(t, p.ValidateCredentials(ctx, creds))
	if d, err := l.Paused(ctx, "plivo", AccountOf(creds)); err != nil || d != 0 {
		t.Fatalf("the limiter's refusal paused the account for %v (%v)", d, err)
	}
}

// TestWrapIgnoresRefusalsFromBelow: a provider wrapped twice (two
// limiters, e.g. a per-process one under a shared one): the inner
// limiter's refusal reaches the outer wrapper as a rate-limited error, but
// it is no answer of the provider's, so neither limiter pauses the account.
func TestWrapIgnoresRefusalsFromBelow(t *testing.T) {
	ctx := context.Background()
	ms := machines(t, 2)
	inner := New(ms[0], map[string]Limit{"plivo": {Rate: 1, Period: time.Hour, Burst: 1}}, WithMaxWait(0))
	outer := New(ms[1], map[string]Limit{"plivo": {Rate: 100, Period: time.Second, Burst: 100}}, WithMaxWait(0))
	p := Wrap(Wrap(newFake("plivo"), inner), outer)
	if err := p.ValidateCredentials(ctx, creds); err != nil {
		t.Fatal(err)
	}
	limiterRefusal(t, p.ValidateCredentials(ctx, creds))
	// Both limiters keep the account's pause in the same Redis.
	if d, err := outer.Paused(ctx, "plivo", AccountOf(creds)); err != nil || d != 0 {
		t.Errorf("the inner limiter's refusal paused the account for %v (%v)", d, err)
	}
}

// TestTransportIgnoresRefusalsFromBelow: a refusal by another limiter
// transport further down (a Transport stacked twice) is not the
// provider's answer either.
func TestTransportIgnoresRefusalsFromBelow(t *testing.T) {
	ctx := context.Background()
	l := New(machines(t, 1)[0], Defaults())
	below := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		pe := &providers.Error{Kind: providers.KindRateLimited, Message: "x", RetryAfter: time.Minute, Err: ErrLimited}
		return refusedResponse(r, pe), nil
	})
	hc := &http.Client{Transport: Transport(below)}
	b := &binding{l: l, provider: "plivo", account: "MA1", op: "lookup"}
	req, _ := http.NewRequestWithContext(withBinding(ctx, b), http.MethodGet, "http://provider.test/", nil)
	resp, err := hc.Do(req)
	if err != nil || resp.StatusCode != 429 {
		t.Fatalf("got %v, %v", resp, err)
	}
	resp.Body.Close()
	if d, err := l.Paused(ctx, "plivo", "MA1"); err != nil || d != 0 {
		t.Fatalf("a refusal from below paused the account for %v (%v)", d, err)
	}
}

// TestWrapRateLimitedCodePauses: a provider error that is KindRateLimited
// without a 429 status (Telnyx's code 10011 on another status) still
// pauses the account.
func TestWrapRateLimitedCodePauses(t *testing.T) {
	ctx := context.Background()
	l := New(machines(t, 1)[0], Defaults())
	p := Wrap(codeLimited{}, l)
	if err := p.ValidateCredentials(ctx, creds); err == nil {
		t.Fatal("want the provider's error")
	}
	if d, err := l.Paused(ctx, "telnyx", AccountOf(creds)); err != nil || d < 2*time.Second {
		t.Fatalf("pause = %v, %v; want ~3s", d, err)
	}
}

type codeLimited struct{ providers.Provider }

func (codeLimited) Name() string { return "telnyx" }

func (codeLimited) ValidateCredentials(context.Context, providers.Credentials) error {
	return &providers.Error{Kind: providers.KindRateLimited, Provider: "telnyx", Status: 503, Code: "10011", RetryAfter: 3 * time.Second}
}

// TestTransportReleasesSlot: every request gives its concurrency slot back
// when its answer is in, and when it got none. (Mutant: dropping the
// release leaves the slot taken for the lease's 60s, and the second
// request here is refused.)
func TestTransportReleasesSlot(t *testing.T) {
	ctx := context.Background()
	f := newFake("twilio")
	l := New(machines(t, 1)[0], map[string]Limit{"twilio": {MaxConcurrent: 1}}, WithMaxWait(0))
	p := Wrap(f, l)
	for i := range 3 {
		if err := p.ValidateCredentials(ctx, creds); err != nil {
			t.Fatalf("call %d with one slot: %v", i+1, err)
		}
	}
	f.failNext.Store(1)
	if k, _ := providers.KindOf(p.ValidateCredentials(ctx, creds)); k != providers.KindTransient {
		t.Fatalf("failed request: kind %v, want transient", k)
	}
	f.rateLimitNext.Store(1)
	if k, _ := providers.KindOf(p.ValidateCredentials(ctx, creds)); k != providers.KindRateLimited {
		t.Fatalf("429: kind %v, want rate limited", k)
	}
	if n, err := l.InFlight(ctx, "twilio", AccountOf(creds)); err != nil || n != 0 {
		t.Fatalf("InFlight after the calls = %d, %v; want 0", n, err)
	}
}

// TestTransportHoldsSlotWhileInFlight: the slot is held until the answer
// arrives, so a second request meanwhile is refused.
func TestTransportHoldsSlotWhileInFlight(t *testing.T) {
	ctx := context.Background()
	f := newFake("twilio")
	f.block = make(chan struct{})
	l := New(machines(t, 1)[0], map[string]Limit{"twilio": {MaxConcurrent: 1}}, WithMaxWait(0))
	p := Wrap(f, l)
	done := make(chan error)
	go func() { done <- p.ValidateCredentials(ctx, creds) }()
	for f.sent.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// (Bounded, should the slot not hold and the request block at the
	// provider.)
	tctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err := p.Lookup(tctx, creds, "+15550100")
	if pe := limiterRefusal(t, err); pe.RetryAfter != busyRetry {
		t.Errorf("busy refusal RetryAfter = %v, want %v", pe.RetryAfter, busyRetry)
	}
	close(f.block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _ := l.InFlight(ctx, "twilio", AccountOf(creds)); n != 0 {
		t.Fatalf("InFlight = %d after the answer", n)
	}
}
