package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

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
			w, err := d.worker(s.webhookBaseURL)
			if err != nil {
				return err
			}
			return runWorker(cmd.Context(), w, d.rdb, d.log)
		},
	}
	s.bind(cmd.Flags(), getenv, "redis", "database", "secret-key", "webhook-base-url",
		"concurrency", "shutdown-timeout", "log-level", "log-format", "twilio-base-url")
	return cmd
}

// runWorker processes jobs until ctx ends, then stops taking new tasks and
// gives in-flight ones the shutdown timeout to finish; asynq re-queues the
// rest.
func runWorker(ctx context.Context, w *worker.Worker, rdb redis.UniversalClient, log *slog.Logger) error {
	srv := w.Server(rdb)
	if err := srv.Start(w.Handler()); err != nil {
		return err
	}
	log.Info("worker started")
	<-ctx.Done()
	log.Info("worker shutting down")
	srv.Shutdown()
	return nil
}
