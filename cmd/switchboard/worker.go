package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/worker"
)

func workerCommand(getenv func(string) string, stderr io.Writer) *cobra.Command {
	s := &settings{}
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a queue worker (production; scale by running more)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := s.require("redis", "database", "secret-key", "webhook-base-url"); err != nil {
				return err
			}
			d, err := s.deps(cmd.Context(), stderr)
			if err != nil {
				return err
			}
			defer d.close()
			w, err := d.worker(s)
			if err != nil {
				return err
			}
			if err := d.serveOps(cmd.Context(), s.metricsAddr); err != nil {
				return err
			}
			return runWorker(cmd.Context(), w, d.redis, d.tune.reconcileInterval, d.log)
		},
	}
	s.bind(cmd.Flags(), getenv, "redis", "database", "secret-key", "webhook-base-url",
		"concurrency", "bulk-concurrency", "shutdown-timeout", "log-level", "log-format", "twilio-base-url", "plivo-base-url", "telnyx-base-url",
		"callback-secret", "callback-allow-private", "reconcile-interval", "metrics-addr", "job-deadline", "provider-timeout")
	return cmd
}

// runWorker processes jobs (and schedules the reconcile scan every
// reconcile, unless 0) until ctx ends, then stops taking new tasks and
// gives in-flight ones the shutdown timeout to finish; asynq re-queues the
// rest.
func runWorker(ctx context.Context, w *worker.Worker, r asynq.RedisConnOpt, reconcile time.Duration, log *slog.Logger) error {
	srv := w.Server()
	if err := srv.Start(w.Handler()); err != nil {
		return err
	}
	defer srv.Shutdown()
	if reconcile > 0 {
		sched, err := worker.Scheduler(r, reconcile, log)
		if err != nil {
			return err
		}
		if err := sched.Start(); err != nil {
			return err
		}
		defer sched.Shutdown()
	}
	log.Info("worker started", "reconcile_interval", reconcile.String())
	<-ctx.Done()
	log.Info("worker shutting down")
	return nil
}

// serveOps serves opsHTTP on addr until ctx ends; "" serves nothing.
func (d *deps) serveOps(ctx context.Context, addr string) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("SWITCHBOARD_METRICS_ADDR: %w", err)
	}
	go serveHTTP(ctx, ln, d.opsHTTP(), d.log, 0, nil)
	return nil
}

// opsHTTP is what the operator's side of a worker or api process serves,
// on SWITCHBOARD_METRICS_ADDR, away from the public API port: metrics and
// the probes.
func (d *deps) opsHTTP() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", d.metrics.Handler())
	mux.Handle("GET /healthz", api.Healthz())
	mux.Handle("GET /readyz", api.Readyz(d.pingRedis, d.store))
	return mux
}
