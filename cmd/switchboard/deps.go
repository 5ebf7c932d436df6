package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/admin"
	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/internal/telemetry"
	"github.com/switchboardhq/switchboard/internal/worker"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// deps are the pieces worker, api and dev share, built in a visible order:
// config -> store -> secrets -> providers -> queue.
type deps struct {
	log       *slog.Logger
	tune      tuning
	store     migrator
	keys      *jobs.KeyRing
	providers []providers.Provider
	redis     redisConn // what SWITCHBOARD_REDIS_URL names, when set
	rdb       redis.UniversalClient
	metrics   *telemetry.Metrics
	// adminUsers are the admin dashboard's logins (SWITCHBOARD_ADMIN_USERS).
	adminUsers []admin.User
	closers    []func() error
	// draining is closed when the HTTP API starts shutting down (see
	// serveHTTP and api.Params.Draining).
	draining chan struct{}
}

// deps opens everything the settings name. On error, what was opened is
// closed again.
func (s *settings) deps(ctx context.Context, stderr io.Writer) (_ *deps, err error) {
	d := &deps{draining: make(chan struct{})}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if d.tune, err = s.tuning(); err != nil {
		return nil, err
	}
	// Read the Redis URL before anything connects: a URL that cannot work
	// fails the start at once.
	if s.redisURL != "" {
		if d.redis, err = parseRedisURL(s.redisURL); err != nil {
			return nil, err
		}
	}
	if d.log, err = newLogger(stderr, s.logLevel, s.logFormat); err != nil {
		return nil, err
	}
	if d.adminUsers, err = admin.ParseUsers(s.adminUsers); err != nil {
		return nil, err
	}
	// One connection per worker slot (a job holds one at a time), and a
	// few for the API's requests, the scheduler and health checks.
	if d.store, err = openStore(ctx, s.databaseURL, d.tune.concurrency+worker.BulkSlots(d.tune.concurrency, d.tune.bulkConcurrency)+4); err != nil {
		return nil, err
	}
	d.closers = append(d.closers, d.store.Close)
	if d.keys, err = parseKeys(s.secretKey); err != nil {
		return nil, err
	}
	d.metrics = telemetry.New()
	if d.providers, err = newProviders(s, d.tune.providerTimeout, d.metrics); err != nil {
		return nil, err
	}
	if s.redisURL != "" {
		if d.rdb, err = openRedis(ctx, d.redis); err != nil {
			return nil, err
		}
		d.closers = append(d.closers, d.rdb.Close)
		if err := d.metrics.Register(telemetry.NewQueueCollector(asynq.NewInspectorFromRedisClient(d.rdb))); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *deps) worker(s *settings) (*worker.Worker, error) {
	return worker.New(worker.Params{
		Store: d.store, Redis: d.rdb, Keys: d.keys, Providers: d.providers, WebhookBaseURL: s.webhookBaseURL,
		Logger: d.log, Concurrency: d.tune.concurrency, BulkConcurrency: d.tune.bulkConcurrency,
		ShutdownTimeout: d.tune.shutdownTimeout,
		CallbackSecret:  []byte(s.callbackSecret), Callbacks: callback.Policy{AllowPrivate: d.tune.allowPrivate},
		Metrics: d.metrics, JobDeadline: d.tune.jobDeadline,
	})
}

func (d *deps) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// pingRedis checks the queue's Redis answers, for readiness probes.
func (d *deps) pingRedis(ctx context.Context) error { return d.rdb.Ping(ctx).Err() }
