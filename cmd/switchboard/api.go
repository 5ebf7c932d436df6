package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"github.com/switchboardhq/switchboard/internal/admin"
	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/jobs"
)

func apiCommand(getenv func(string) string, stderr io.Writer) *cobra.Command {
	s := &settings{}
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Run the HTTP API (production; stateless, scale behind a load balancer)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := s.require("redis", "database", "secret-key"); err != nil {
				return err
			}
			ctx := cmd.Context()
			d, err := s.deps(ctx, stderr)
			if err != nil {
				return err
			}
			defer d.close()
			ln, err := net.Listen("tcp", s.addr)
			if err != nil {
				return err
			}
			if err := d.serveOps(ctx, s.metricsAddr); err != nil {
				return err
			}
			d.log.Info("api listening", "addr", ln.Addr().String())
			err = serveHTTP(ctx, ln, d.apiServer(s), d.log, d.tune.apiWait, d.draining)
			d.log.Info("api stopped", "error", err)
			return err
		},
	}
	s.bind(cmd.Flags(), getenv, "redis", "database", "secret-key", "addr", "api-wait", "import-yield", "log-level", "log-format", "default-region", "metrics-addr",
		"admin-users", "admin-session-ttl")
	return cmd
}

// apiServer is the HTTP API, with the admin dashboard under /admin/ when
// admin users are configured (dev always has one).
func (d *deps) apiServer(s *settings) http.Handler {
	client := jobs.NewClient(d.rdb, d.keys, jobs.Options{})
	d.closers = append(d.closers, client.Close) // its Wait subscription, before Redis
	bulk := jobs.NewClient(d.rdb, d.keys, jobs.Options{Queue: jobs.QueueBulk})
	d.closers = append(d.closers, bulk.Close)
	h := api.NewServer(api.Params{
		Store:         d.store,
		Jobs:          client,
		Bulk:          bulk,
		Providers:     d.providers,
		Keys:          d.keys,
		Draining:      d.draining,
		Ping:          d.pingRedis,
		Logger:        d.log,
		Wait:          d.tune.apiWait,
		ImportYield:   d.tune.importYield,
		DefaultRegion: d.tune.defaultRegion,
		Queue:         asynq.NewInspectorFromRedisClient(d.rdb),
		Callbacks:     callback.Policy{AllowPrivate: d.tune.allowPrivate},
	})
	if len(d.adminUsers) == 0 {
		d.log.Info("admin dashboard off: SWITCHBOARD_ADMIN_USERS is not set")
		return h
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", admin.New(admin.Config{Store: d.store, Jobs: client, Bulk: bulk, Redis: d.rdb, Users: d.adminUsers,
		SessionTTL: d.tune.adminSessionTTL, Logger: d.log}))
	mux.Handle("/", h)
	return mux
}

// HTTP server timeouts. A request body is at most 1 MiB, so reading one
// never needs long; an answer may wait for its job up to the API's wait.
const (
	httpReadHeaderTimeout = 10 * time.Second
	httpReadTimeout       = 30 * time.Second
	httpWriteSlack        = 30 * time.Second
	httpIdleTimeout       = 2 * time.Minute
)

// newHTTPServer serves h with timeouts on every phase of a connection, so
// a stalled body or an idle keep-alive connection cannot stay open for
// ever: the write timeout outlasts wait, the longest a request waits for
// its job.
func newHTTPServer(h http.Handler, log *slog.Logger, wait time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: httpReadHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      max(wait, 0) + httpWriteSlack,
		IdleTimeout:       httpIdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// serveHTTP serves h on ln until ctx ends, then drains requests for up to
// ten seconds.
//
// When ctx ends, draining (when not nil) is closed first, so requests
// waiting for a job answer 202 with it at once rather than being cut off.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, wait time.Duration, draining chan struct{}) error {
	srv := newHTTPServer(h, log, wait)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("http server shutting down", "addr", ln.Addr().String())
	if draining != nil {
		close(draining)
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
