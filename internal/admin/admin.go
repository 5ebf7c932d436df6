// Package admin is the operators' dashboard, mounted under /admin/: what is
// queued, running, retrying and failed, why each failure happened in plain
// words, retrying one job or every failure of one kind, and cancelling a
// job that waits to retry. Pages are
// server-rendered html/template with embedded assets (no network at run
// time); asynqmon serves the queue-level view under /admin/queues/, behind
// the same login, read-only and with payloads redacted.
//
// Logins come from configuration (SWITCHBOARD_ADMIN_USERS, bcrypt hashes),
// sessions live in Redis, every state-changing request carries the
// session's CSRF token, and the server enforces the viewer role. Every
// admin action is recorded in the store (who, when, what, how many).
package admin

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/cancellation"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// Config is what the dashboard works with.
type Config struct {
	Store store.Store
	// Jobs retries through the same client the HTTP API enqueues with.
	Jobs *jobs.Client
	// Bulk retries a batch's failed rows, as POST /v1/batches/{id}/retry
	// does: a client on jobs.QueueBulk. Without it the batches pages are
	// read-only.
	Bulk *jobs.Client
	// Redis holds sessions and the login rate limit, and is the queues'
	// Redis for the asynq Inspector and asynqmon.
	Redis redis.UniversalClient
	Users []User
	// SessionTTL is how long a login lasts (default 8h).
	SessionTTL time.Duration
	// LoginLimits bound login attempts (default DefaultLoginLimits).
	LoginLimits LoginLimits
	Logger      *slog.Logger
	// Now is the clock (tests move it); default time.Now.
	Now func() time.Time
}

// Handler serves the dashboard. Mount it at /admin/.
type Handler struct {
	store       store.Store
	jobs        *jobs.Client
	bulk        *jobs.Client
	insp        *asynq.Inspector
	canceller   cancellation.Canceller
	users       map[string]User
	sessions    sessions
	limiter     *redis_rate.Limiter
	loginLimits LoginLimits
	log         *slog.Logger
	now         func() time.Time
	pages       map[string]*template.Template
	mux         *http.ServeMux
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New builds the dashboard.
func New(c Config) *Handler {
	if c.SessionTTL <= 0 {
		c.SessionTTL = 8 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	h := &Handler{store: c.Store, jobs: c.Jobs, bulk: c.Bulk, insp: asynq.NewInspectorFromRedisClient(c.Redis),
		users: map[string]User{}, sessions: sessions{rdb: c.Redis, ttl: c.SessionTTL, now: c.Now},
		limiter: redis_rate.NewLimiter(c.Redis), loginLimits: c.LoginLimits.withDefaults(), log: c.Logger, now: c.Now, pages: parsePages()}
	h.canceller = cancellation.Canceller{Store: c.Store, Queue: h.insp, Now: c.Now}
	for _, u := range c.Users {
		h.users[u.Name] = u
	}
	h.routes(c.Redis)
	return h
}

func (h *Handler) routes(rdb redis.UniversalClient) {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /admin/static/", http.StripPrefix("/admin/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /admin/login", h.loginPage)
	m.HandleFunc("POST /admin/login", h.login)

	in := http.NewServeMux()
	in.HandleFunc("POST /admin/logout", h.logout)
	in.HandleFunc("GET /admin/{$}", h.overview)
	in.HandleFunc("GET /admin/overview/live", h.overviewFragment)
	in.HandleFunc("GET /admin/jobs", h.jobList)
	in.HandleFunc("GET /admin/jobs/{org}/{id}", h.jobPage)
	in.HandleFunc("POST /admin/jobs/{org}/{id}/retry", requireOperator(h.retryJob))
	in.HandleFunc("POST /admin/jobs/{org}/{id}/cancel", requireOperator(h.cancelJob))
	in.HandleFunc("GET /admin/retry-failures", h.confirmRetryFailures)
	in.HandleFunc("POST /admin/retry-failures", requireOperator(h.retryFailures))
	in.HandleFunc("GET /admin/numbers", h.numbers)
	in.HandleFunc("GET /admin/batches", h.batches)
	in.HandleFunc("GET /admin/batches/{org}/{id}", h.batchPage)
	in.HandleFunc("GET /admin/batches/{org}/{id}/retry", h.confirmRetryBatch)
	in.HandleFunc("POST /admin/batches/{org}/{id}/retry", requireOperator(h.retryBatch))
	in.HandleFunc("GET /admin/actions", h.actions)
	in.Handle("/admin/queues/", asynqmon.New(asynqmon.Options{
		RootPath:         "/admin/queues",
		RedisConnOpt:     sharedRedis{rdb},
		PayloadFormatter: asynqmon.PayloadFormatterFunc(FormatPayload),
		ResultFormatter:  asynqmon.ResultFormatterFunc(FormatResult),
		// Read-only: asynqmon's own buttons post without the dashboard's
		// CSRF token and role check; retries go through the dashboard.
		ReadOnly: true,
	}))
	m.Handle("/admin/", h.requireLogin(in))
	h.mux = m
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/admin/queues/") { // asynqmon's page has an inline script
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
	}
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// sharedRedis hands asynqmon the dashboard's Redis client instead of a
// connection of its own (asynqmon's Close, which would close it, is never
// called).
type sharedRedis struct{ rdb redis.UniversalClient }

func (s sharedRedis) MakeRedisClient() any { return s.rdb }

// fail answers 500 for a failure of switchboard's own (logged, not shown).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("admin request failed", "path", r.URL.Path, "error", err)
	http.Error(w, "internal error (logged)", http.StatusInternalServerError)
}

func fsGlob(pattern string) ([]string, error) { return fs.Glob(templateFS, pattern) }
