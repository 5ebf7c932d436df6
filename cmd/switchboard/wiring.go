package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/internal/config"
	"github.com/switchboardhq/switchboard/internal/phone"
	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/store/postgres"
	"github.com/switchboardhq/switchboard/internal/store/sqlite"
	"github.com/switchboardhq/switchboard/internal/telemetry"
	"github.com/switchboardhq/switchboard/internal/version"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo"
	"github.com/switchboardhq/switchboard/providers/telnyx"
	"github.com/switchboardhq/switchboard/providers/twilio"
)

// newLogger builds the process logger from --log-level and --log-format.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("SWITCHBOARD_LOG_LEVEL: %q is not one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("SWITCHBOARD_LOG_FORMAT: %q is not json or text", format)
}

// migrator is a store that can bring its schema up to date.
type migrator interface {
	store.Store
	Migrate(ctx context.Context) error
}

// openStore opens PostgreSQL for postgres:// and postgresql:// URLs and
// SQLite for sqlite:<path> (also sqlite://<path>). conns sizes the
// PostgreSQL pool (0: pgx's default; a pool_max_conns in the URL wins).
func openStore(ctx context.Context, rawURL string, conns int) (migrator, error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		var opts []postgres.Option
		if conns > 0 {
			opts = append(opts, postgres.WithMaxConns(conns))
		}
		return postgres.Open(ctx, rawURL, opts...)
	case strings.HasPrefix(rawURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//")
		if path == "" {
			return nil, fmt.Errorf("SWITCHBOARD_DATABASE_URL: sqlite: needs a path, e.g. sqlite:./switchboard.db")
		}
		return sqlite.Open(ctx, path)
	}
	return nil, fmt.Errorf("SWITCHBOARD_DATABASE_URL: want postgres://... or sqlite:<path>")
}

// parseKeys reads the key ring; the error names the variable, never a key.
func parseKeys(s string) (*jobs.KeyRing, error) {
	kr, err := jobs.ParseKeyRing(s)
	if err != nil {
		return nil, fmt.Errorf("SWITCHBOARD_SECRET_KEY: %w", err)
	}
	return kr, nil
}

// newProviders builds one adapter per provider. Every HTTP request goes
// through the rate limiter's transport (the worker's ratelimit.Wrap tells
// it whose request it is), then through m's, which counts the requests
// that reach the provider: a request the limiter refuses never does.
func newProviders(s *settings, timeout time.Duration, m *telemetry.Metrics) ([]providers.Provider, error) {
	ua := version.UserAgent()
	transport := func(provider string) http.RoundTripper {
		return ratelimit.Transport(m.Transport(provider, nil))
	}
	tw, err := twilio.New(twilio.Options{BaseURL: s.twilioBaseURL, UserAgent: ua, Timeout: timeout, Transport: transport(twilio.Name)})
	if err != nil {
		return nil, fmt.Errorf("SWITCHBOARD_TWILIO_BASE_URL: %w", err)
	}
	pl, err := plivo.New(plivo.Options{BaseURL: s.plivoBaseURL, UserAgent: ua, Timeout: timeout, Transport: transport(plivo.Name)})
	if err != nil {
		return nil, fmt.Errorf("SWITCHBOARD_PLIVO_BASE_URL: %w", err)
	}
	tx, err := telnyx.New(telnyx.Options{BaseURL: s.telnyxBaseURL, UserAgent: ua, Timeout: timeout, Transport: transport(telnyx.Name)})
	if err != nil {
		return nil, fmt.Errorf("SWITCHBOARD_TELNYX_BASE_URL: %w", err)
	}
	return []providers.Provider{tw, pl, tx}, nil
}

// tuning holds the parsed numeric settings.
type tuning struct {
	concurrency       int
	bulkConcurrency   int // as worker.Params.BulkConcurrency
	shutdownTimeout   time.Duration
	apiWait           time.Duration
	importYield       time.Duration // as api.Params.ImportYield
	reconcileInterval time.Duration
	jobDeadline       time.Duration
	providerTimeout   time.Duration
	allowPrivate      bool
	defaultRegion     string
	adminSessionTTL   time.Duration
}

func (s *settings) tuning() (t tuning, err error) {
	// A command binds only the flags it uses; the others take the defaults.
	val := func(v, name string) string { return or(v, config.Default(func(string) string { return "" }, name)) }
	if t.concurrency, err = config.Int("SWITCHBOARD_CONCURRENCY", val(s.concurrency, "SWITCHBOARD_CONCURRENCY")); err != nil {
		return t, err
	}
	if t.bulkConcurrency, err = config.BulkConcurrency(val(s.bulkConcurrency, "SWITCHBOARD_BULK_CONCURRENCY")); err != nil {
		return t, err
	}
	if t.shutdownTimeout, err = config.Duration("SWITCHBOARD_SHUTDOWN_TIMEOUT", val(s.shutdownTimeout, "SWITCHBOARD_SHUTDOWN_TIMEOUT")); err != nil {
		return t, err
	}
	if t.apiWait, err = config.Duration("SWITCHBOARD_API_WAIT", val(s.apiWait, "SWITCHBOARD_API_WAIT")); err != nil {
		return t, err
	}
	if t.importYield, err = config.Duration("SWITCHBOARD_IMPORT_YIELD", val(s.importYield, "SWITCHBOARD_IMPORT_YIELD")); err != nil {
		return t, err
	}
	if t.importYield == 0 {
		t.importYield = -1 // api.Params: negative is off, 0 its default
	}
	if t.reconcileInterval, err = config.Duration("SWITCHBOARD_RECONCILE_INTERVAL", val(s.reconcileInterval, "SWITCHBOARD_RECONCILE_INTERVAL")); err != nil {
		return t, err
	}
	if t.reconcileInterval != 0 && t.reconcileInterval < time.Minute {
		return t, fmt.Errorf("SWITCHBOARD_RECONCILE_INTERVAL: %v is under a minute (0 turns reconciling off)", t.reconcileInterval)
	}
	if t.jobDeadline, err = config.Duration("SWITCHBOARD_JOB_DEADLINE", val(s.jobDeadline, "SWITCHBOARD_JOB_DEADLINE")); err != nil {
		return t, err
	}
	if t.jobDeadline < time.Minute {
		return t, fmt.Errorf("SWITCHBOARD_JOB_DEADLINE: %v is under a minute", t.jobDeadline)
	}
	if t.providerTimeout, err = config.Duration("SWITCHBOARD_PROVIDER_TIMEOUT", val(s.providerTimeout, "SWITCHBOARD_PROVIDER_TIMEOUT")); err != nil {
		return t, err
	}
	if t.providerTimeout <= 0 {
		return t, fmt.Errorf("SWITCHBOARD_PROVIDER_TIMEOUT: %v is not a positive duration", t.providerTimeout)
	}
	t.defaultRegion = strings.ToUpper(val(s.defaultRegion, "SWITCHBOARD_DEFAULT_REGION"))
	if _, err := phone.Lenient(t.defaultRegion); err != nil {
		return t, fmt.Errorf("SWITCHBOARD_DEFAULT_REGION: %q is not a region phone numbers can be read in (ISO 3166 alpha-2, e.g. IN, US)", t.defaultRegion)
	}
	if t.adminSessionTTL, err = config.Duration("SWITCHBOARD_ADMIN_SESSION_TTL", val(s.adminSessionTTL, "SWITCHBOARD_ADMIN_SESSION_TTL")); err != nil {
		return t, err
	}
	if t.adminSessionTTL < time.Minute {
		return t, fmt.Errorf("SWITCHBOARD_ADMIN_SESSION_TTL: %v is under a minute", t.adminSessionTTL)
	}
	if t.allowPrivate, err = config.Bool("SWITCHBOARD_CALLBACK_ALLOW_PRIVATE", val(s.callbackPrivate, "SWITCHBOARD_CALLBACK_ALLOW_PRIVATE")); err != nil {
		return t, err
	}
	return t, nil
}
