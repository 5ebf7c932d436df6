package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/alicebob/miniredis/v2"
	"github.com/spf13/cobra"

	"github.com/switchboardhq/switchboard/internal/admin"
	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/sandbox"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// Dev defaults: everything embedded, nothing to install.
const (
	devAddr     = "127.0.0.1:8080"
	devDatabase = "sqlite:./switchboard-dev.db"
	devOrg      = "dev"
	devUserID   = "64e5f12345abcdef12345678"
)

func devCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	s := &settings{}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything in one process: embedded Redis, SQLite, worker, API and provider sandbox",
		Long: `dev runs switchboard with zero setup: an in-process Redis (miniredis), a SQLite
file, the worker, the HTTP API and simulated Twilio, Plivo and Telnyx accounts
under /sandbox. --redis and --database switch to real services.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDev(cmd.Context(), s, getenv, stdout, stderr)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&s.addr, "addr", devAddr, "HTTP listen address")
	fs.StringVar(&s.redisURL, "redis", getenv("SWITCHBOARD_REDIS_URL"), "Redis URL (default: embedded miniredis)")
	fs.StringVar(&s.databaseURL, "database", or(getenv("SWITCHBOARD_DATABASE_URL"), devDatabase), "database URL")
	s.bind(fs, getenv, "secret-key", "webhook-base-url", "concurrency", "bulk-concurrency", "shutdown-timeout", "api-wait", "import-yield",
		"default-region", "callback-secret", "reconcile-interval", "job-deadline", "provider-timeout", "admin-users", "admin-session-ttl")
	fs.StringVar(&s.callbackPrivate, "callback-allow-private", or(getenv("SWITCHBOARD_CALLBACK_ALLOW_PRIVATE"), "true"),
		"allow callback URLs on loopback and private networks (dev default: true)")
	fs.StringVar(&s.logLevel, "log-level", or(getenv("SWITCHBOARD_LOG_LEVEL"), "info"), "log level")
	fs.StringVar(&s.logFormat, "log-format", or(getenv("SWITCHBOARD_LOG_FORMAT"), "text"), "log format")
	fs.IntVar(&s.sandboxNumbers, "sandbox-numbers", 0, fmt.Sprintf(
		"extra numbers each sandbox account owns, 0 to %d (Twilio from %s, Plivo from %s, Telnyx from %s)", sandbox.MaxExtraNumbers,
		sandbox.ExtraNumber(sandbox.Twilio, 0), sandbox.ExtraNumber(sandbox.Plivo, 0), sandbox.ExtraNumber(sandbox.Telnyx, 0)))
	return cmd
}

func runDev(ctx context.Context, s *settings, getenv func(string) string, stdout, stderr io.Writer) error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listen on %s (choose another with --addr): %w", s.addr, err)
	}
	defer ln.Close()
	serverURL := "http://" + ln.Addr().String()

	redisNote := s.redisURL
	if s.redisURL == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.Start(); err != nil {
			return fmt.Errorf("embedded redis: %w", err)
		}
		defer mr.Close()
		// Its address is in the banner: switchboard import reaches it.
		s.redisURL = "redis://" + mr.Addr()
		redisNote = s.redisURL + " (embedded miniredis, in memory)"
	}
	if s.secretKey == "" {
		if s.secretKey, err = devSecretKey(s.databaseURL); err != nil {
			return err
		}
	}
	if s.webhookBaseURL == "" {
		s.webhookBaseURL = serverURL + "/dev/webhooks"
	}
	sb, err := sandbox.New(s.sandboxNumbers)
	if err != nil {
		return fmt.Errorf("--sandbox-numbers: %w", err)
	}
	// Shutting down, the sandbox lets go of the requests it holds (latency
	// and hang faults) at once: served by the same HTTP server as the API,
	// they would otherwise outlast its drain and fail the exit. The
	// worker's calls cut short answer early (latency) or 500 (hangs), and
	// the jobs behind them retry as after any provider failure.
	stopSandbox := context.AfterFunc(ctx, sb.Close)
	defer stopSandbox()
	defer sb.Close()
	s.twilioBaseURL = sandbox.BaseURL(serverURL, "twilio")
	s.plivoBaseURL = sandbox.BaseURL(serverURL, "plivo")
	s.telnyxBaseURL = sandbox.BaseURL(serverURL, "telnyx")
	if s.callbackSecret == "" {
		s.callbackSecret = "dev-callback-secret"
	}

	d, err := s.deps(ctx, stderr)
	if err != nil {
		return err
	}
	defer d.close()
	if err := d.store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	key, err := seedDev(ctx, d.store, getenv("SWITCHBOARD_DEV_API_KEY"))
	if err != nil {
		return fmt.Errorf("seed dev org: %w", err)
	}
	adminLogin, err := devAdmin(d)
	if err != nil {
		return err
	}
	w, err := d.worker(s)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(sandbox.Prefix+"/", sb.Handler())
	if s.webhookBaseURL == serverURL+"/dev/webhooks" { // not when pointed at a platform of one's own
		hooks := (&devWebhooks{log: d.log}).Handler()
		mux.Handle("/dev/webhooks", hooks)
		mux.Handle("/dev/webhooks/", hooks)
	}
	mux.Handle("GET /metrics", d.metrics.Handler()) // dev: one port for everything
	mux.Handle("/", d.apiServer(s))

	workerErr := make(chan error, 1)
	workerCtx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	go func() { workerErr <- runWorker(workerCtx, w, d.redis, d.tune.reconcileInterval, d.log) }()

	printBanner(stdout, serverURL, key, s.databaseURL, redisNote, adminLogin, s.sandboxNumbers)
	err = serveHTTP(ctx, ln, mux, d.log, d.tune.apiWait, d.draining)
	stopWorker()
	if werr := <-workerErr; err == nil {
		err = werr
	}
	return err
}

// seedDev makes sure the dev org, its user and an API key exist, and
// returns the key: SWITCHBOARD_DEV_API_KEY when set, else a new one.
func seedDev(ctx context.Context, st store.Store, fixedKey string) (string, error) {
	org, err := st.GetOrgByName(ctx, devOrg)
	if errors.Is(err, store.ErrNotFound) {
		org, err = st.CreateOrg(ctx, devOrg)
	}
	if err != nil {
		return "", err
	}
	if _, err := st.CreateUser(ctx, store.User{ID: devUserID, OrgID: org.ID, Name: "Dev User"}); err != nil && !errors.Is(err, store.ErrConflict) {
		return "", err
	}
	plain, k := api.NewAPIKey(org.ID)
	if fixedKey != "" {
		plain, k = fixedKey, api.APIKeyFor(org.ID, fixedKey)
	}
	if err := st.CreateAPIKey(ctx, k); err != nil && !errors.Is(err, store.ErrConflict) {
		return "", err
	}
	return plain, nil
}

// devSecretKey keeps the dev key ring in a file beside the SQLite database
// (or in the working directory), so sealed credentials survive restarts.
func devSecretKey(databaseURL string) (string, error) {
	path := "switchboard-dev.key"
	if p, ok := strings.CutPrefix(databaseURL, "sqlite:"); ok {
		path = strings.TrimPrefix(p, "//") + ".key"
	}
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	key := jobs.GenerateKey()
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write dev secret key: %w", err)
	}
	return key, nil
}

// devAdminUser is the admin login dev creates when SWITCHBOARD_ADMIN_USERS
// names none.
const devAdminUser = "admin"

// devAdmin gives dev an operator login to the admin dashboard, with a new
// random password each start, and returns what the banner says of it.
// Logins from SWITCHBOARD_ADMIN_USERS replace it.
func devAdmin(d *deps) (string, error) {
	if len(d.adminUsers) > 0 {
		return "the users of SWITCHBOARD_ADMIN_USERS", nil
	}
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	password := base64.RawURLEncoding.EncodeToString(b)
	hash, err := admin.HashPassword(password)
	if err != nil {
		return "", err
	}
	d.adminUsers = []admin.User{{Name: devAdminUser, Role: admin.RoleOperator, Hash: []byte(hash)}}
	return fmt.Sprintf("user %s, password %s (operator; new each start)", devAdminUser, password), nil
}

func printBanner(w io.Writer, serverURL, key, database, redisNote, adminLogin string, extra int) {
	body := fmt.Sprintf(`{"userId":"%s","phoneNumber":"12125551234","integration":"twilio","authToken":"%s","accSId":"%s"}`,
		devUserID, twiliotest.SandboxAuthToken, twiliotest.SandboxAccountSID)
	fmt.Fprintf(w, `switchboard dev is running at %s
  API key:  %s
  database: %s
  redis:    %s
  sandbox:  %s/{twilio,plivo,telnyx}%s
  admin:    %s/admin/ (%s)

Add the sandbox Twilio number +12125551234 to the dev user:
curl -sS -X POST %s/api/call/add-phone -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '%s'

Press Ctrl+C to stop.
`, serverURL, key, redactURL(database), redactURL(redisNote), serverURL+sandbox.Prefix, extraNumbers(extra), serverURL, adminLogin, serverURL, key, body)
}

// extraNumbers is the banner's line about --sandbox-numbers: the ranges
// each account owns beyond the fixture, or nothing.
func extraNumbers(n int) string {
	if n == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n  extra:    %d numbers per account:", n)
	for _, p := range []string{sandbox.Twilio, sandbox.Plivo, sandbox.Telnyx} {
		fmt.Fprintf(&b, " %s %s-%s", p, sandbox.ExtraNumber(p, 0), sandbox.ExtraNumber(p, n-1))
	}
	return b.String()
}

// redactURL hides the password of a URL that has one (a database or
// Redis URL given with credentials); anything else is shown as it is.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); !ok {
		return s
	}
	return u.Redacted()
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
