package admin_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchboardhq/switchboard/internal/admin"
	"github.com/switchboardhq/switchboard/internal/store/sqlite"
	"github.com/switchboardhq/switchboard/internal/worker"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
)

// Admin logins of every test.
const (
	operatorName, operatorPassword = "ops", "operator-pass-5d1c"
	viewerName, viewerPassword     = "watcher", "viewer-pass-9a3e"
	// wrongSecret is the token of a job that fails on bad credentials: a
	// credential the pages must not show either.
	wrongSecret = "wrong-token-3f9c2a7e"
)

// clock is a test's settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// dash is a back end (workertest) with the dashboard in front of it, on a
// test HTTP server that also serves the Twilio simulator's fault
// injection at /sandbox/_faults/twilio, as dev does.
type dash struct {
	env   *workertest.Env
	srv   *httptest.Server
	clock *clock
}

const sessionTTL = time.Hour

// newDash starts a dashboard; configure, when given, changes its Config.
// A provider outage fails a job for good at its first failed attempt (its
// deadline is already past), so tests need not wait out retries.
func newDash(t *testing.T, configure ...func(*admin.Config)) *dash {
	t.Helper()
	return startDash(t, func(p *worker.Params) { p.JobDeadline = time.Nanosecond }, configure...)
}

// newRetryingDash starts a dashboard whose jobs retry transient failures
// (the worker's default deadline).
func newRetryingDash(t *testing.T) *dash {
	t.Helper()
	return startDash(t, func(*worker.Params) {})
}

// startDash starts a dashboard with the worker's parameters as
// configureWorker changes them.
func startDash(t *testing.T, configureWorker func(*worker.Params), configure ...func(*admin.Config)) *dash {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "admin.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	env := workertest.Start(t, st)
	env.Server.Shutdown()
	env.StartWorkerWith(t, configureWorker)

	users := []admin.User{
		{Name: operatorName, Role: admin.RoleOperator, Hash: hash(t, operatorPassword)},
		{Name: viewerName, Role: admin.RoleViewer, Hash: hash(t, viewerPassword)},
	}
	c := &clock{t: time.Now()}
	bulk := jobs.NewClient(env.Redis, env.Keys, jobs.Options{Queue: jobs.QueueBulk})
	t.Cleanup(func() { bulk.Close() })
	cfg := admin.Config{Store: st, Jobs: env.Jobs, Bulk: bulk, Redis: env.Redis, Users: users, SessionTTL: sessionTTL,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: c.Now}
	for _, f := range configure {
		f(&cfg)
	}
	h := admin.New(cfg)
	mux := http.NewServeMux()
	mux.Handle("/admin/", h)
	mux.Handle("/sandbox/_faults/twilio", env.Twilio.FaultsHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &dash{env: env, srv: srv, clock: c}
}

func hash(t *testing.T, password string) []byte {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// setFaults PUTs the Twilio simulator's faults, as one would on dev's
// /sandbox/_faults/twilio.
func (d *dash) setFaults(t *testing.T, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, d.srv.URL+"/sandbox/_faults/twilio", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT faults %s: %s", body, resp.Status)
	}
}

// addPhone runs an add-phone job to its end and returns it.
func (d *dash) addPhone(t *testing.T, number string, creds jobs.Credentials) jobs.Job {
	t.Helper()
	ctx := context.Background()
	job, err := d.env.Jobs.AddPhone(ctx, jobs.AddPhoneRequest{OrgID: d.env.OrgID, UserID: workertest.UserID,
		PhoneNumber: number, Provider: jobs.ProviderTwilio, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := d.env.Jobs.Wait(waitCtx, job); err != nil {
		t.Fatalf("wait for %s: %v", job.ID, err)
	}
	return job
}

// failOutage runs an add-phone job of number while Twilio answers every
// request 500: it fails for good as a provider outage.
func (d *dash) failOutage(t *testing.T, number string) jobs.Job {
	t.Helper()
	d.setFaults(t, `{"error_rate":1}`)
	defer d.setFaults(t, `{}`)
	return d.addPhone(t, number, workertest.TwilioCreds)
}

// client is a browser-like HTTP client: a cookie jar, no redirects
// followed, so tests see each answer.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func (d *dash) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: d.srv.URL, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) get(path string) (int, string) {
	c.t.Helper()
	resp, err := c.hc.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *client) post(path string, form url.Values) (int, string) {
	c.t.Helper()
	resp, err := c.hc.PostForm(c.base+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// csrf is the CSRF token of the page at path.
func (c *client) csrf(path string) string {
	c.t.Helper()
	_, body := c.get(path)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

// login posts the login form and returns the answer's status.
func (c *client) login(user, password string) int {
	c.t.Helper()
	status, _ := c.post("/admin/login", url.Values{"csrf": {c.csrf("/admin/login")}, "user": {user}, "password": {password}})
	return status
}

func (c *client) mustLogin(user, password string) {
	c.t.Helper()
	if status := c.login(user, password); status != http.StatusSeeOther {
		c.t.Fatalf("login as %s: %d, want 303 to the dashboard", user, status)
	}
}

// wantLoggedOut fails unless the dashboard sends the client to the login
// page.
func (c *client) wantLoggedOut(when string) {
	c.t.Helper()
	if status, _ := c.get("/admin/"); status != http.StatusSeeOther {
		c.t.Errorf("GET /admin/ %s: %d, want 303 to the login page", when, status)
	}
}

// jobPath is the dashboard page of a job of the test org.
func (d *dash) jobPath(job jobs.Job) string {
	return "/admin/jobs/" + itoa(d.env.OrgID) + "/" + job.ID
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
