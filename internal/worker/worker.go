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
	"sync"
	"time"

	"github.com/bsm/redislock"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/telemetry"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// Params are what a Worker needs. Every field is required unless marked.
type Params struct {
	Store store.Store
	// Redis is where the reconcile scan enqueues its per-number tasks.
	Redis     redis.UniversalClient
	Keys      *jobs.KeyRing
	Providers []providers.Provider
	// WebhookBaseURL is where numbers' voice webhooks point by default: the
	// platform's endpoint for inbound calls, status callbacks and hangups.
	WebhookBaseURL string
	Logger         *slog.Logger
	// Concurrency is how many tasks of the interactive queues (critical,
	// default) run at once; default 10.
	Concurrency int
	// BulkConcurrency is how many tasks of the bulk queue run at once, on
	// a second asynq server, so a big import cannot take every slot from
	// the interactive queues. 0 means a quarter of Concurrency (at least
	// 1); NoBulk means this worker does not take bulk tasks at all.
	BulkConcurrency int
	// ShutdownTimeout bounds how long in-flight tasks may finish after a
	// shutdown starts; the rest are re-queued by asynq. Default 25s.
	ShutdownTimeout time.Duration
	// Limits are the providers' rate limits, shared by every worker on the
	// same Redis, applied to each HTTP request of the Providers (their
	// transport must include ratelimit.Transport). nil means
	// ratelimit.Defaults(). A non-nil empty map means no limits at all:
	// nothing is paced or paused, and no request costs a Redis call (for
	// benchmarks of switchboard itself); a provider missing from the map
	// is likewise not limited.
	Limits map[string]ratelimit.Limit
	// CallbackSecret signs completion callbacks; without it jobs with a
	// callback URL are processed but their callbacks are not sent.
	CallbackSecret []byte
	// Callbacks decides which callback URLs may be called.
	Callbacks callback.Policy
	// Metrics records job and provider metrics; nil records nothing.
	Metrics *telemetry.Metrics
	// PollInterval is how often an idle worker checks for new tasks. It is
	// the worst-case pickup latency of a job an API request waits on.
	// Default DefaultPollInterval (asynq's own default is 1s).
	PollInterval time.Duration
	// JobDeadline bounds a job's whole life, from its first attempt: once
	// it has passed, a job that fails transiently (an outage, rate limits
	// that never let up) fails for good instead of retrying again. Default
	// DefaultJobDeadline.
	JobDeadline time.Duration
}

// Defaults of Params.
const (
	// DefaultPollInterval: asynq sleeps between 0.5 and 1.5 times this when
	// every queue is empty, so it is the pickup latency of a job an API
	// request waits on. Each idle poll is one Redis script per queue.
	DefaultPollInterval = 10 * time.Millisecond
	// DefaultJobDeadline is past the longest retry schedule (10 retries
	// capped at 10 minutes each) with room for rate-limit waits.
	DefaultJobDeadline = time.Hour
)

// NoBulk as Params.BulkConcurrency: the worker takes no bulk tasks.
const NoBulk = -1

// BulkSlots is how many bulk tasks a worker with the given Concurrency
// and BulkConcurrency runs at once.
func BulkSlots(concurrency, bulk int) int {
	switch {
	case bulk == 0:
		return max(concurrency/4, 1)
	case bulk < 0:
		return 0
	}
	return bulk
}

// Worker processes switchboard jobs from Redis.
type Worker struct {
	store     store.Store
	rdb       redis.UniversalClient
	queue     *asynq.Client // for tasks a job enqueues (callbacks, reconcile checks)
	keys      *jobs.KeyRing
	providers map[string]providers.Provider
	webhooks  *url.URL
	log       *slog.Logger
	conc      int
	bulkConc  int // 0: no bulk server
	shutdown  time.Duration
	poll      time.Duration
	deadline  time.Duration
	locks     *redislock.Client
	lockTTL   time.Duration // the route lock's lease; routeLockTTL when 0

	callbackSecret []byte
	callbacks      callback.Policy
	metrics        *telemetry.Metrics
}

// New checks p and returns a Worker.
func New(p Params) (*Worker, error) {
	if p.Store == nil || p.Redis == nil || p.Keys == nil || p.Logger == nil {
		return nil, fmt.Errorf("worker: Store, Redis, Keys and Logger are required")
	}
	u, err := url.Parse(strings.TrimSuffix(p.WebhookBaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("worker: webhook base URL %q: want an absolute http(s) URL", p.WebhookBaseURL)
	}
	w := &Worker{
		store: p.Store, rdb: p.Redis, queue: asynq.NewClientFromRedisClient(p.Redis), keys: p.Keys, webhooks: u, log: p.Logger,
		providers: map[string]providers.Provider{},
		conc:      p.Concurrency, shutdown: p.ShutdownTimeout, poll: p.PollInterval, deadline: p.JobDeadline,
		locks:          redislock.New(p.Redis),
		callbackSecret: p.CallbackSecret, callbacks: p.Callbacks, metrics: p.Metrics,
	}
	if w.conc <= 0 {
		w.conc = 10
	}
	w.bulkConc = BulkSlots(w.conc, p.BulkConcurrency)
	if w.shutdown <= 0 {
		w.shutdown = 25 * time.Second
	}
	if w.poll <= 0 {
		w.poll = DefaultPollInterval
	}
	if w.deadline <= 0 {
		w.deadline = DefaultJobDeadline
	}
	limits := p.Limits
	if limits == nil {
		limits = ratelimit.Defaults()
	}
	limiter := ratelimit.New(p.Redis, limits)
	for _, pr := range p.Providers {
		w.providers[pr.Name()] = p.Metrics.WrapProvider(ratelimit.Wrap(pr, limiter))
	}
	return w, nil
}

// Handler returns the mux with every task type registered, wrapped in the
// worker's middleware. This is the one place that lists the handlers.
func (w *Worker) Handler() asynq.Handler {
	mux := asynq.NewServeMux()
	mux.Use(w.logging, w.recovery)
	mux.Handle(jobs.TypeAddPhone, w.jobReading(w.addPhone, w.addPhoneReads))
	mux.Handle(jobs.TypeAttach, w.job(w.attach))
	mux.Handle(jobs.TypeUnlink, w.job(w.unlink))
	mux.Handle(jobs.TypeDeleteTarget, w.job(w.deleteTarget))
	mux.Handle(jobs.TypeReconcile, w.job(w.reconcile))
	mux.Handle(jobs.TypeReconcileScan, w.job(w.reconcileScan))
	mux.HandleFunc(jobs.TypeCallback, w.deliverCallback)
	return mux
}

// Server returns the worker's asynq servers on its Redis, configured
// with its retry policy: one for the interactive queues with Concurrency
// slots and, unless BulkConcurrency is NoBulk, one for the bulk queue with
// BulkConcurrency slots. Run them with srv.Start(w.Handler()) and stop
// them with Shutdown.
func (w *Worker) Server() *Servers {
	interactive := jobs.Queues()
	delete(interactive, jobs.QueueBulk)
	s := &Servers{all: []*asynq.Server{w.server(w.conc, interactive)}}
	if w.bulkConc > 0 {
		s.all = append(s.all, w.server(w.bulkConc, map[string]int{jobs.QueueBulk: 1}))
	}
	return s
}

func (w *Worker) server(conc int, queues map[string]int) *asynq.Server {
	return asynq.NewServerFromRedisClient(w.rdb, asynq.Config{
		Concurrency:       conc,
		Queues:            queues,
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

// Servers are one worker's asynq servers, started and stopped together.
type Servers struct{ all []*asynq.Server }

// Start starts every server with h; when one fails, those started are
// shut down again.
func (s *Servers) Start(h asynq.Handler) error {
	for i, srv := range s.all {
		if err := srv.Start(h); err != nil {
			(&Servers{all: s.all[:i]}).Shutdown()
			return err
		}
	}
	return nil
}

// Shutdown stops every server at once, each giving its in-flight tasks
// the shutdown timeout, and returns when all have stopped.
func (s *Servers) Shutdown() {
	var wg sync.WaitGroup
	for _, srv := range s.all {
		wg.Add(1)
		go func() { defer wg.Done(); srv.Shutdown() }()
	}
	wg.Wait()
}
