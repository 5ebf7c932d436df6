// Package workertest runs a complete switchboard back end inside a test:
// a store (SQLite, or PostgreSQL when configured), Redis (miniredis or the
// real one), the provider simulators, a worker on real asynq, and a
// jobs.Client, with one org and one user seeded. Tests of the worker, the
// API and anything above them share it.
package workertest

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/store/postgres"
	"github.com/switchboardhq/switchboard/internal/store/sqlite"
	"github.com/switchboardhq/switchboard/internal/telemetry"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/internal/worker"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/telnyx"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
	"github.com/switchboardhq/switchboard/providers/twilio"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// Fixture values every Env has.
const (
	WebhookBase = "https://platform.example.com/hooks"
	UserID      = "64e5f12345abcdef12345678"
	// CallbackSecret signs the Env's completion callbacks; loopback
	// callback URLs are allowed, for httptest receivers.
	CallbackSecret = "test-callback-secret"
)

// Env is a running back end, with a simulator per provider.
type Env struct {
	Store   store.Store
	Twilio  *twiliotest.Server
	Plivo   *plivotest.Server
	Telnyx  *telnyxtest.Server
	Redis   redis.UniversalClient
	Jobs    *jobs.Client
	Keys    *jobs.KeyRing
	Metrics *telemetry.Metrics
	OrgID   int64
	// Server is the Env's first worker.
	Server *worker.Servers

	providers []providers.Provider
}

// Backend is a store to run an Env on.
type Backend struct {
	Name string
	Open func(t testing.TB) store.Store
}

// poolConns is the PostgreSQL pool of a Backend: 10 slots, 2 bulk slots
// (a quarter of 10) plus 4.
const poolConns = 16

// Backends are SQLite, always, and PostgreSQL, which skips (or fails when
// services are required) without SWITCHBOARD_TEST_DATABASE_URL.
func Backends() []Backend {
	return []Backend{
		{"sqlite", func(t testing.TB) store.Store {
			st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
			must(t, err)
			t.Cleanup(func() { st.Close() })
			must(t, st.Migrate(context.Background()))
			return st
		}},
		{"postgres", func(t testing.TB) store.Store {
			// The pool is sized as cmd/switchboard sizes a worker's (its
			// concurrency, bulk slots included, plus 4) for the most slots run here, the
			// benchmarks' 10: with pgx's default of 4 connections, 10 slots
			// would queue for a connection, as no deployment does.
			st, err := postgres.Open(context.Background(), testenv.PostgresURL(t), postgres.WithMaxConns(poolConns))
			must(t, err)
			t.Cleanup(func() { st.Close() })
			must(t, st.Migrate(context.Background()))
			return st
		}},
	}
}

// Each runs test once per backend, as subtests.
func Each(t *testing.T, test func(t *testing.T, env *Env)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { test(t, Start(t, b.Open(t))) })
	}
}

// Start runs a worker on st and returns the Env. Everything stops when the
// test ends.
func Start(t testing.TB, st store.Store) *Env {
	t.Helper()
	ctx := context.Background()
	// The adapters are built as cmd/switchboard builds them, with the rate
	// limiter's transport, so the worker's limits apply to their requests.
	sim := twiliotest.NewSandbox()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close) // runs first: releases requests held by a hang fault
	tw, err := twilio.New(twilio.Options{BaseURL: srv.URL, Transport: ratelimit.Transport(nil), Timeout: 2 * time.Second})
	must(t, err)
	plSim := plivotest.NewSandbox()
	plSrv := httptest.NewServer(plSim)
	t.Cleanup(plSrv.Close)
	t.Cleanup(plSim.Close)
	pl, err := plivo.New(plivo.Options{BaseURL: plSrv.URL, Transport: ratelimit.Transport(nil), Timeout: 2 * time.Second})
	must(t, err)
	txSim := telnyxtest.NewSandbox()
	txSrv := httptest.NewServer(txSim)
	t.Cleanup(txSrv.Close)
	t.Cleanup(txSim.Close)
	tx, err := telnyx.New(telnyx.Options{BaseURL: txSrv.URL, Transport: ratelimit.Transport(nil), Timeout: 2 * time.Second})
	must(t, err)
	keys, err := jobs.ParseKeyRing(jobs.GenerateKey())
	must(t, err)
	rdb := redis.NewClient(testenv.Redis(t))
	t.Cleanup(func() { rdb.Close() })
	metrics := telemetry.New()
	env := &Env{Store: st, Twilio: sim, Plivo: plSim, Telnyx: txSim, Redis: rdb, Jobs: jobs.NewClient(rdb, keys, jobs.Options{}), Keys: keys, Metrics: metrics,
		providers: []providers.Provider{tw, pl, tx}}
	t.Cleanup(func() { env.Jobs.Close() })
	env.Server = env.StartWorker(t, time.Second)

	org, err := st.CreateOrg(ctx, "acme")
	must(t, err)
	_, err = st.CreateUser(ctx, store.User{ID: UserID, OrgID: org.ID, Name: "Ada"})
	must(t, err)
	env.OrgID = org.ID
	return env
}

// StartWorker starts one more worker process on the Env's store and Redis,
// with the given shutdown timeout; it is shut down when the test ends.
func (e *Env) StartWorker(t testing.TB, shutdownTimeout time.Duration) *worker.Servers {
	t.Helper()
	return e.StartWorkerWith(t, func(p *worker.Params) { p.ShutdownTimeout = shutdownTimeout })
}

// StartWorkerWith starts one more worker process with the Env's
// parameters as configure changes them; it is shut down when the test
// ends.
func (e *Env) StartWorkerWith(t testing.TB, configure func(*worker.Params)) *worker.Servers {
	t.Helper()
	p := e.WorkerParams()
	configure(&p)
	w, err := worker.New(p)
	must(t, err)
	srv := w.Server()
	must(t, srv.Start(w.Handler()))
	t.Cleanup(srv.Shutdown)
	return srv
}

// WorkerParams are the parameters of the Env's workers: its store, Redis,
// keys and simulators, 4 slots.
func (e *Env) WorkerParams() worker.Params {
	return worker.Params{
		Store: e.Store, Redis: e.Redis, Keys: e.Keys, Providers: e.providers, WebhookBaseURL: WebhookBase,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Concurrency: 4, ShutdownTimeout: time.Second,
		CallbackSecret: []byte(CallbackSecret), Callbacks: callback.Policy{AllowPrivate: true},
		Metrics: e.Metrics,
	}
}

// Providers are the adapters talking to the Env's simulators, without the
// worker's rate limiting.
func (e *Env) Providers() []providers.Provider { return e.providers }

// Sandbox accounts' credentials.
var (
	TwilioCreds = jobs.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: twiliotest.SandboxAuthToken}
	PlivoCreds  = jobs.Credentials{AccountID: plivotest.SandboxAuthID, Secret: plivotest.SandboxAuthToken}
	TelnyxCreds = jobs.Credentials{Secret: telnyxtest.SandboxAPIKey}
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
