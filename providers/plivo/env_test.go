package plivo_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

var (
	sandboxCreds = providers.Credentials{AccountID: plivotest.SandboxAuthID, Secret: plivotest.SandboxAuthToken}
	route        = providers.Route{
		Name:      providers.RouteName(1, "default"),
		VoiceURL:  "https://platform.example.com/hooks/voice/inbound",
		HangupURL: "https://platform.example.com/hooks/voice/hangup",
	}
)

// env is an adapter on a sandbox simulator.
type env struct {
	sim *plivotest.Server
	a   *plivo.Adapter
}

// roundTripFunc lets a test stand between the adapter and the simulator.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// newEnv serves a sandbox simulator and points an adapter at it, through
// rt when not nil (rt then forwards with http.DefaultTransport itself).
func newEnv(t *testing.T, rt http.RoundTripper) *env {
	t.Helper()
	return newEnvWith(t, plivo.Options{Transport: rt, Timeout: 5 * time.Second})
}

// newEnvWith is newEnv with the adapter's options but BaseURL, and the
// simulator's.
func newEnvWith(t *testing.T, o plivo.Options, simOpts ...plivotest.Option) *env {
	t.Helper()
	sim := plivotest.NewSandbox(simOpts...)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	o.BaseURL = srv.URL
	a, err := plivo.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: sim, a: a}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func (e *env) lookup(t *testing.T, num string) providers.Number {
	t.Helper()
	n, err := e.a.Lookup(ctx(t), sandboxCreds, num)
	if err != nil {
		t.Fatalf("Lookup(%s): %v", num, err)
	}
	return n
}

func (e *env) ensure(t *testing.T, num string, r providers.Route) providers.Change {
	t.Helper()
	ch, err := e.a.EnsureVoiceRoute(ctx(t), sandboxCreds, e.lookup(t, num), r)
	if err != nil {
		t.Fatalf("EnsureVoiceRoute(%s): %v", num, err)
	}
	return ch
}

func (e *env) setFaults(t *testing.T, f plivotest.Faults) {
	t.Helper()
	if err := e.sim.SetFaults(f); err != nil {
		t.Fatal(err)
	}
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

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
