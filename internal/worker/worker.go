// Package worker runs switchboard's jobs: the asynq handlers for each task
// type in jobs/, the middleware around them (logging, panic recovery, the
// durable job record), and the retry policy that decides, once, which
// failures are worth another attempt.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// Params are what a Worker needs. Every field is required unless marked.
type Params struct {
	Store     store.Store
	Keys      *jobs.KeyRing
	Providers []providers.Provider
	// WebhookBaseURL is where numbers' voice webhooks point by default: the
	// platform's endpoint for inbound calls, status callbacks and hangups.
	WebhookBaseURL string
	Logger         *slog.Logger
	// Concurrency is how many tasks run at once; default 10.
	Concurrency int
	// ShutdownTimeout bounds how long in-flight tasks may finish after a
	// shutdown starts; the rest are re-queued by asynq. Default 25s.
	ShutdownTimeout time.Duration
	// PollInterval is how often an idle worker checks for new tasks. It is
	// the worst-case pickup latency of a job an API request waits on.
	// Default 200ms (asynq's own default is 1s).
	PollInterval time.Duration
}

// Worker processes switchboard jobs from Redis.
type Worker struct {
	store     store.Store
	keys      *jobs.KeyRing
	providers map[string]providers.Provider
	webhooks  *url.URL
	log       *slog.Logger
	conc      int
	shutdown  time.Duration
	poll      time.Duration
}

// New checks p and returns a Worker.
func New(p Params) (*Worker, error) {
	if p.Store == nil || p.Keys == nil || p.Logger == nil {
		return nil, fmt.Errorf("worker: Store, Keys and Logger are required")
	}
	u, err := url.Parse(strings.TrimSuffix(p.WebhookBaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("worker: webhook base URL %q: want an absolute http(s) URL", p.WebhookBaseURL)
	}
	w := &Worker{
		store: p.Store, keys: p.Keys, webhooks: u, log: p.Logger,
		providers: map[string]providers.Provider{},
		conc:      p.Concurrency, shutdown: p.ShutdownTimeout, poll: p.PollInterval,
	}
	if w.conc <= 0 {
		w.conc = 10
	}
	if w.shutdown <= 0 {
		w.shutdown = 25 * time.Second
	}
	if w.poll <= 0 {
		w.poll = 200 * time.Millisecond
	}
	for _, pr := range p.Providers {
		w.providers[pr.Name()] = pr
	}
	return w, nil
}

// Handler returns the mux with every task type registered, wrapped in the
// worker's middleware. This is the one place that lists the handlers.
func (w *Worker) Handler() asynq.Handler {
	mux := asynq.NewServeMux()
	mux.Use(w.logging, w.recovery)
	mux.Handle(jobs.TypeAddPhone, w.job(w.addPhone))
	mux.Handle(jobs.TypeAttach, w.job(w.attach))
	mux.Handle(jobs.TypeUnlink, w.job(w.unlink))
	return mux
}

// Server returns an asynq server on rdb configured with the worker's retry
// policy. Run it with srv.Start(w.Handler()) and stop it with Shutdown.
func (w *Worker) Server(rdb redis.UniversalClient) *asynq.Server {
	return asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:       w.conc,
		Queues:            jobs.Queues(),
		RetryDelayFunc:    retryDelay,
		IsFailure:         isFailure,
		ShutdownTimeout:   w.shutdown,
		TaskCheckInterval: w.poll,
		// Retries become due within a second of their time, not five.
		DelayedTaskCheckInterval: time.Second,
		Logger:                   asynqLogger{w.log},
		LogLevel:                 asynq.WarnLevel,
		BaseContext:              context.Background,
	})
}
