package providertest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// Exercise runs the whole suite against h, each test on a fresh Env.
func Exercise(t *testing.T, h Harness) {
	tests := []struct {
		name string
		run  func(t *testing.T, h Harness)
	}{
		{"ValidateCredentials", testValidateCredentials},
		{"LookupOwned", testLookupOwned},
		{"LookupNotOwned", testLookupNotOwned},
		{"LookupBadCredentials", testLookupBadCredentials},
		{"EnsureFresh", testEnsureFresh},
		{"RerunMakesNoWrites", testRerun},
		{"SecondNumberReusesApplication", testSecondNumber},
		{"MoveAndReset", testMoveAndReset},
		{"ForeignWiringRefused", testForeign},
		{"EveryForeignWiringRefused", testEveryForeignWiring},
		{"RateLimited", testRateLimited},
		{"ServerError", testServerError},
		{"Timeout", testTimeout},
		{"AmbiguousCreate", testAmbiguousCreate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, h) })
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func lookup(t *testing.T, e Env, num string) providers.Number {
	t.Helper()
	n, err := e.Provider.Lookup(ctx(t), e.Creds, num)
	if err != nil {
		t.Fatalf("Lookup(%s): %v", num, err)
	}
	return n
}

// ensure looks num up and routes it, as the worker does: with the
// applications recorded so far, recording the one it ends on.
func ensure(t *testing.T, e Env, num string, r providers.Route) providers.Change {
	t.Helper()
	ch, err := e.Provider.EnsureVoiceRoute(ctx(t), e.Creds, lookup(t, e, num), e.withOurs(r))
	if err != nil {
		t.Fatalf("EnsureVoiceRoute(%s, %s): %v", num, r.Name, err)
	}
	e.record(ch)
	return ch
}

// wantKind fails unless err is a *providers.Error of kind.
func wantKind(t *testing.T, err error, kind providers.Kind) *providers.Error {
	t.Helper()
	var pe *providers.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T), want a *providers.Error of kind %s", err, err, kind)
	}
	if pe.Kind != kind {
		t.Fatalf("error kind %s (%v), want %s", pe.Kind, err, kind)
	}
	return pe
}

func wantRouted(t *testing.T, e Env, num string, r providers.Route) {
	t.Helper()
	if got := e.Sim.VoiceURL(num); got != r.VoiceURL {
		t.Errorf("%s routes calls to %q, want %q", num, got, r.VoiceURL)
	}
}

func testValidateCredentials(t *testing.T, h Harness) {
	e := start(t, h, 5*time.Second)
	if err := e.Provider.ValidateCredentials(ctx(t), e.Creds); err != nil {
		t.Errorf("good credentials: %v", err)
	}
	err := e.Provider.ValidateCredentials(ctx(t), e.BadCreds)
	wantKind(t, err, providers.KindInvalidCredentials)
	if strings.Contains(err.Error(), e.BadCreds.Secret) {
		t.Errorf("error %q contains the secret", err)
	}
}

func testLookupOwned(t *testing.T, h Harness) {
	e := start(t, h, 5*time.Second)
	e.Sim.ResetCalls()
	n := lookup(t, e, e.Owned[0])
	if n.E164 != e.Owned[0] || n.ID == "" {
		t.Errorf("Lookup = %+v, want %s with a provider id", n, e.Owned[0])
	}
	if r, w := e.Sim.Reads(), e.Sim.Writes(); r != 1 || w != 0 {
		t.Errorf("Lookup made %d reads and %d writes, want 1 and 0", r, w)
	}
}

func testLookupNotOwned(t *testing.T, h Harness) {
	e := start(t, h, 5*time.Second)
	_, err := e.Provider.Lookup(ctx(t), e.Creds, e.NotOwned)
	wantKind(t, err, providers.KindNotOwned)
	// Providers match filters partially: a prefix of an owned number is
	// not ownership of it.
	prefix := e.Owned[0][:len(e.Owned[0])-2]
	_, err = e.Provider.Lookup(ctx(t), e.Creds, prefix)
	wantKind(t, err, providers.KindNotOwned)
}

func testLookupBadCredentials(t *testing.T, h Harness) {
	e := start(t, h, 5*time.Second)
	_, err := e.Provider.Lookup(ctx(t), e.BadCreds, e.Owned[0])
	wantKind(t, err, providers.KindInvalidCredentials)
	if strings.Contains(err.Error(), e.BadCreds.Secret) || strings.Contains(err.Error(), e.Creds.Secret) {
		t.Errorf("error %q contains a secret", err)
	}
}

func testEnsureFresh(t *testing.T, h Harness) {
	e := start(t, h, 5*time.Second)
	ch := ensure(t, e, e.Owned[0], DefaultRoute)
	if !ch.Changed {
		t.Error("fresh number: Changed = false")
	}
	wantRouted(t, e, e.Owned[0], DefaultRoute)
	if n := e.Sim.Applications(DefaultRoute.Name); n > 1 {
		t.Errorf("%d applications named %s, want at most 1", n, DefaultRoute.Name)
	}
}

func testRerun(t *testing.T, h Harness) {
	e := start(t, h, 5*time.Second)
	first := ensure(t, e, e.Owned[0], DefaultRoute)

	// With the application id from the first run, as the worker keeps it.
	e.Sim.ResetCalls()
	r := DefaultRoute
	r.ApplicationID = first.After.ApplicationID
	if ch := ensure(t, e, e.Owned[0], r); ch.Changed {
		t.Errorf("re-run changed something: %+v", ch)
	}
	if rd, w := e.Sim.Reads(), e.Sim.Writes(); rd != 1 || w != 0 {
		t.Errorf("re-run made %d reads and %d writes, want 1 and 0", rd, w)
	}

	// Without it, the adapter may look the application up, but still
	// writes nothing.
	e.Sim.ResetCalls()
	if ch := ensure(t, e, e.Owned[0], DefaultRoute); ch.Changed {
		t.Errorf("re-run without application id changed something: %+v", ch)
	}
	if w := e.Sim.Writes(); w != 0 {
		t.Errorf("re-run without application id made %d writes, want 0", w)
	}
	wantRouted(t, e, e.Owned[0], DefaultRoute)
}

func testSecondNumber(t *testing.T, h Harness) {
	e := start(t, h, 5*time.Second)
	ensure(t, e, e.Owned[0], DefaultRoute)
	ensure(t, e, e.Owned[1], DefaultRoute)
	wantRouted(t, e, e.Owned[1], DefaultRoute)
	if n := e.Sim.Applications(DefaultRoute.Name); n > 1 {
		t.Errorf("%d applications named %s after two numbers, want at most 1", n, DefaultRoute.Name)
	}
}

func testMoveAndReset(t *testing.T, h Harness) {
	e := start(t, h, 5*time.Second)
	ensure(t, e, e.Owned[0], DefaultRoute)
	ch := ensure(t, e, e.Owned[0], TargetRoute)
	if !ch.Changed {
		t.Error("moving to another route: Changed = false")
	}
	wantRouted(t, e, e.Owned[0], TargetRoute)
	back, err := e.Provider.ResetVoiceRoute(ctx(t), e.Creds, lookup(t, e, e.Owned[0]), e.withOurs(DefaultRoute))
	if err != nil {
		t.Fatalf("ResetVoiceRoute: %v", err)
	}
	if !back.Changed {
		t.Error("reset: Changed = false")
	}
	wantRouted(t, e, e.Owned[0], DefaultRoute)
}

func testForeign(t *testing.T, h Harness) {
	e := start(t, h, 5*time.Second)
	if e.Foreign == "" {
		t.Skip("the provider has no foreign wiring to refuse")
	}
	before := e.Sim.VoiceURL(e.Foreign)
	e.Sim.ResetCalls()
	_, err := e.Provider.EnsureVoiceRoute(ctx(t), e.Creds, lookup(t, e, e.Foreign), e.withOurs(DefaultRoute))
	wantKind(t, err, providers.KindConflict)
	if w := e.Sim.Writes(); w != 0 {
		t.Errorf("refusal made %d writes", w)
	}
	if got := e.Sim.VoiceURL(e.Foreign); got != before {
		t.Errorf("refused number now routes to %q, was %q", got, before)
	}
	r := DefaultRoute
	r.Override = true
	if ch := ensure(t, e, e.Foreign, r); !ch.Changed {
		t.Error("override: Changed = false")
	}
	wantRouted(t, e, e.Foreign, DefaultRoute)
}

func testRateLimited(t *testing.T, h Harness) {
	e := start(t, h, 5*time.Second)
	e.Sim.RateLimitNext(1, 3*time.Second)
	_, err := e.Provider.Lookup(ctx(t), e.Creds, e.Owned[0])
	pe := wantKind(t, err, providers.KindRateLimited)
	if pe.RetryAfter != 3*time.Second || pe.Status != 429 {
		t.Errorf("RetryAfter %v, Status %d; want 3s and 429", pe.RetryAfter, pe.Status)
	}
	e.Sim.RateLimitNext(1, 0)
	_, err = e.Provider.Lookup(ctx(t), e.Creds, e.Owned[0])
	if pe := wantKind(t, err, providers.KindRateLimited); pe.RetryAfter != 0 {
		t.Errorf("RetryAfter %v without the header, want 0", pe.RetryAfter)
	}
	lookup(t, e, e.Owned[0]) // the burst is over
}

func testServerError(t *testing.T, h Harness) {
	e := start(t, h, 5*time.Second)
	e.Sim.FailRate(1)
	_, err := e.Provider.Lookup(ctx(t), e.Creds, e.Owned[0])
	if pe := wantKind(t, err, providers.KindTransient); pe.Status != 500 {
		t.Errorf("Status %d, want 500", pe.Status)
	}
	e.Sim.ClearFaults()
	lookup(t, e, e.Owned[0])
}

func testTimeout(t *testing.T, h Harness) {
	e := start(t, h, 300*time.Millisecond)
	e.Sim.HangRate(1)
	start := time.Now()
	_, err := e.Provider.Lookup(ctx(t), e.Creds, e.Owned[0])
	wantKind(t, err, providers.KindTransient)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timed-out lookup took %v; the per-request timeout is 300ms", d)
	}
	e.Sim.ClearFaults()
	lookup(t, e, e.Owned[0])
}

// testAmbiguousCreate: a creating write that succeeds at the provider but
// answers 500 must not lead to a second application, however often the
// worker retries.
func testAmbiguousCreate(t *testing.T, h Harness) {
	e := start(t, h, 5*time.Second)
	e.Sim.AmbiguousCreatesNext(1)
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var ch providers.Change
		ch, err = e.Provider.EnsureVoiceRoute(ctx(t), e.Creds, lookup(t, e, e.Owned[0]), e.withOurs(DefaultRoute))
		if err == nil {
			e.record(ch)
			break
		}
		wantKind(t, err, providers.KindTransient)
	}
	if err != nil {
		t.Fatalf("still failing after retries: %v", err)
	}
	wantRouted(t, e, e.Owned[0], DefaultRoute)
	if n := e.Sim.Applications(DefaultRoute.Name); n > 1 {
		t.Errorf("%d applications named %s after an ambiguous create, want 1", n, DefaultRoute.Name)
	}
}
