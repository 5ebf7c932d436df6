package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/switchboardhq/switchboard/internal/admin"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

func TestLoginRequired(t *testing.T) {
	d := newDash(t)
	c := d.client(t)
	for _, path := range []string{"/admin/", "/admin/jobs", "/admin/overview/live", "/admin/actions", "/admin/queues/", "/admin/queues/api/queues"} {
		status, _ := c.get(path)
		if status != http.StatusSeeOther {
			t.Errorf("GET %s without a session: %d, want 303 to the login page", path, status)
		}
	}
	if status, _ := c.post("/admin/retry-failures", url.Values{"reason": {store.ReasonOutage}, "confirm": {"yes"}}); status != http.StatusUnauthorized {
		t.Errorf("POST retry-failures without a session: %d, want 401", status)
	}
}

func TestWrongPassword(t *testing.T) {
	d := newDash(t)
	c := d.client(t)
	for _, tc := range []struct{ user, password string }{
		{operatorName, "not-the-password"},
		{operatorName, ""},
		{"nobody", operatorPassword},
		{viewerName, operatorPassword}, // another user's password
	} {
		if status := c.login(tc.user, tc.password); status != http.StatusUnauthorized {
			t.Errorf("login %q/%q: %d, want 401", tc.user, tc.password, status)
		}
	}
	c.wantLoggedOut("after refused logins")
	c.mustLogin(operatorName, operatorPassword)
	if status, body := c.get("/admin/"); status != http.StatusOK || !strings.Contains(body, "Overview") {
		t.Errorf("GET /admin/ logged in: %d, want the overview", status)
	}
}

// TestLoginRateLimit: five attempts a minute per user name; the sixth is
// refused even with the right password, and another user is not held up.
func TestLoginRateLimit(t *testing.T) {
	d := newDash(t)
	c := d.client(t)
	for i := range 5 {
		if status := c.login(operatorName, "guess"); status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, status)
		}
	}
	if status := c.login(operatorName, operatorPassword); status != http.StatusTooManyRequests {
		t.Errorf("sixth attempt (right password): %d, want 429", status)
	}
	c.wantLoggedOut("after a rate-limited login")
	// Another user from the same address is not held up by ops's limit.
	c.mustLogin(viewerName, viewerPassword)
}

// TestLoginRateLimitPerAddress: attempts from one address are limited
// whatever the user names (three an hour here, so a slow machine does not
// earn new attempts during the test).
func TestLoginRateLimitPerAddress(t *testing.T) {
	d := newDash(t, func(c *admin.Config) {
		c.LoginLimits.PerAddress = redis_rate.Limit{Rate: 3, Burst: 3, Period: time.Hour}
	})
	c := d.client(t)
	for i := range 3 {
		if status := c.login(fmt.Sprintf("user%d", i), "guess"); status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, status)
		}
	}
	if status := c.login(operatorName, operatorPassword); status != http.StatusTooManyRequests {
		t.Errorf("attempt 4 (another user, right password): %d, want 429", status)
	}
}

func TestCSRFRefused(t *testing.T) {
	d := newDash(t)
	job := d.failOutage(t, twiliotest.SandboxNumberNYC)
	c := d.client(t)
	c.mustLogin(operatorName, operatorPassword)
	other := d.client(t)
	other.mustLogin(operatorName, operatorPassword)
	otherToken := other.csrf("/admin/")
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"no token", url.Values{}},
		{"wrong token", url.Values{"csrf": {strings.Repeat("0", 64)}}},
		{"another session's token", url.Values{"csrf": {otherToken}}},
	} {
		if status, _ := c.post(d.jobPath(job)+"/retry", tc.form); status != http.StatusForbidden {
			t.Errorf("retry, %s: %d, want 403", tc.name, status)
		}
		form := url.Values{"reason": {store.ReasonOutage}, "confirm": {"yes"}}
		for k, v := range tc.form {
			form[k] = v
		}
		if status, _ := c.post("/admin/retry-failures", form); status != http.StatusForbidden {
			t.Errorf("retry-failures, %s: %d, want 403", tc.name, status)
		}
		if status, _ := c.post("/admin/logout", tc.form); status != http.StatusForbidden {
			t.Errorf("logout, %s: %d, want 403", tc.name, status)
		}
	}
	if rec, _ := d.env.Store.GetJob(context.Background(), d.env.OrgID, job.ID); rec.State != jobs.StateFailed {
		t.Errorf("job is %s after refused retries, want failed", rec.State)
	}
	if runs, _ := d.env.Store.ListJobs(context.Background(), store.JobFilter{Request: job.Request}); len(runs) != 1 {
		t.Errorf("%d runs after refused retries, want 1", len(runs))
	}
	if as, _ := d.env.Store.ListAdminActions(context.Background(), 10); len(as) != 0 {
		t.Errorf("refused requests recorded actions: %+v", as)
	}
	// The login form has its own token, tied to a cookie.
	fresh := d.client(t)
	if status, _ := fresh.post("/admin/login", url.Values{"user": {operatorName}, "password": {operatorPassword}}); status != http.StatusForbidden {
		t.Errorf("login without the form's token: %d, want 403", status)
	}
}

func TestSessionExpiry(t *testing.T) {
	d := newDash(t)
	c := d.client(t)
	c.mustLogin(operatorName, operatorPassword)
	d.clock.Add(sessionTTL - time.Minute)
	if status, _ := c.get("/admin/"); status != http.StatusOK {
		t.Fatalf("GET /admin/ before the session expires: %d, want 200", status)
	}
	d.clock.Add(time.Minute)
	c.wantLoggedOut("once the session expired")
}

func TestLogout(t *testing.T) {
	d := newDash(t)
	c := d.client(t)
	c.mustLogin(operatorName, operatorPassword)
	if status, _ := c.post("/admin/logout", url.Values{"csrf": {c.csrf("/admin/")}}); status != http.StatusSeeOther {
		t.Fatalf("logout: %d", status)
	}
	c.wantLoggedOut("after logout")
}

func TestViewerMayNotRetry(t *testing.T) {
	d := newDash(t)
	job := d.failOutage(t, twiliotest.SandboxNumberNYC)
	c := d.client(t)
	c.mustLogin(viewerName, viewerPassword)
	status, body := c.get(d.jobPath(job))
	if status != http.StatusOK || !strings.Contains(body, "Provider outage") {
		t.Fatalf("job page as viewer: %d, want the failure in words", status)
	}
	if strings.Contains(body, `id="retry"`) || strings.Contains(body, "/retry\"") {
		t.Error("a viewer's job page has a retry button")
	}
	token := c.csrf(d.jobPath(job))
	if status, _ := c.post(d.jobPath(job)+"/retry", url.Values{"csrf": {token}}); status != http.StatusForbidden {
		t.Errorf("viewer posts retry: %d, want 403", status)
	}
	if status, _ := c.post("/admin/retry-failures", url.Values{"csrf": {token}, "reason": {store.ReasonOutage}, "confirm": {"yes"}}); status != http.StatusForbidden {
		t.Errorf("viewer posts retry-failures: %d, want 403", status)
	}
	if runs, _ := d.env.Store.ListJobs(context.Background(), store.JobFilter{Request: job.Request}); len(runs) != 1 {
		t.Errorf("%d runs after a viewer's retries, want 1", len(runs))
	}
}

// TestRetryOne: retrying a failed job starts a new run that succeeds;
// retrying it again says the request already succeeded and does nothing;
// both are in the admin log.
func TestRetryOne(t *testing.T) {
	d := newDash(t)
	job := d.failOutage(t, twiliotest.SandboxNumberNYC)
	c := d.client(t)
	c.mustLogin(operatorName, operatorPassword)
	token := c.csrf(d.jobPath(job))
	status, _ := c.post(d.jobPath(job)+"/retry", url.Values{"csrf": {token}})
	if status != http.StatusSeeOther {
		t.Fatalf("retry: %d, want 303 back to the job", status)
	}
	runs := waitRuns(t, d, job.Request, 2)
	if runs[0].State != jobs.StateSucceeded {
		t.Fatalf("new run %s is %s, want succeeded", runs[0].ID, runs[0].State)
	}
	status, _ = c.post(d.jobPath(job)+"/retry", url.Values{"csrf": {token}})
	if status != http.StatusSeeOther {
		t.Fatalf("second retry: %d", status)
	}
	if _, body := c.get(d.jobPath(job) + "?msg=x"); !strings.Contains(body, "Runs of this request") {
		t.Error("job page lost its runs")
	}
	if n := len(listRuns(t, d, job.Request)); n != 2 {
		t.Errorf("%d runs after retrying a request that succeeded, want still 2", n)
	}
	as, err := d.env.Store.ListAdminActions(context.Background(), 10)
	if err != nil || len(as) != 2 {
		t.Fatalf("admin log: %+v, %v; want two actions", as, err)
	}
	if as[1].Actor != operatorName || as[1].Count != 1 || !strings.HasPrefix(as[1].Detail, "retried") || as[1].Target != job.ID {
		t.Errorf("first action %+v, want ops retried 1 job %s", as[1], job.ID)
	}
	if as[0].Count != 0 || !strings.HasPrefix(as[0].Detail, "already succeeded") {
		t.Errorf("second action %+v, want 0 jobs, already succeeded", as[0])
	}
	if _, body := c.get("/admin/actions"); !strings.Contains(body, "already succeeded") || !strings.Contains(body, operatorName) {
		t.Error("the admin log page does not show the actions")
	}
}

// TestRetryAllByReason: retrying every provider outage retries each failed
// request once (two failed runs of one request are one retry), leaves the
// bad-credentials failure alone, and says how many.
func TestRetryAllByReason(t *testing.T) {
	d := newDash(t)
	nyc := d.failOutage(t, twiliotest.SandboxNumberNYC)
	d.failOutage(t, twiliotest.SandboxNumberNYC) // a second failed run of the same request
	dc := d.failOutage(t, twiliotest.SandboxNumberDC)
	creds := d.addPhone(t, twiliotest.SandboxNumberSF, jobs.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: wrongSecret})
	if n := len(listRuns(t, d, nyc.Request)); n != 2 {
		t.Fatalf("NYC request has %d runs, want 2 failed", n)
	}

	c := d.client(t)
	c.mustLogin(operatorName, operatorPassword)
	status, body := c.get("/admin/retry-failures?reason=" + store.ReasonOutage)
	if status != http.StatusOK || !strings.Contains(body, "2 failed request(s)") {
		t.Fatalf("confirmation: %d, want it to count 2 requests:\n%s", status, body)
	}
	token := csrfRE.FindStringSubmatch(body)[1]
	if status, _ := c.post("/admin/retry-failures", url.Values{"csrf": {token}, "reason": {store.ReasonOutage}}); status != http.StatusBadRequest {
		t.Errorf("retry-failures without confirm: %d, want 400", status)
	}
	status, body = c.post("/admin/retry-failures", url.Values{"csrf": {token}, "reason": {store.ReasonOutage}, "confirm": {"yes"}})
	if status != http.StatusOK || !strings.Contains(body, "2 retried") {
		t.Fatalf("retry-failures: %d, want 2 retried:\n%s", status, body)
	}
	for job, n := range map[jobs.Job]int{nyc: 3, dc: 2} {
		if runs := waitRuns(t, d, job.Request, n); runs[0].State != jobs.StateSucceeded {
			t.Errorf("request %s: newest run %s, want succeeded", job.Request, runs[0].State)
		}
	}
	if n := len(listRuns(t, d, creds.Request)); n != 1 {
		t.Errorf("bad-credentials request has %d runs, want 1 (not retried)", n)
	}
	as, _ := d.env.Store.ListAdminActions(context.Background(), 1)
	if len(as) != 1 || as[0].Count != 2 || as[0].Action != "retry failures" || !strings.Contains(as[0].Target, store.ReasonOutage) {
		t.Errorf("admin log %+v, want retry failures of provider_outage, 2 jobs", as)
	}
	// Again: every request has succeeded now.
	_, body = c.post("/admin/retry-failures", url.Values{"csrf": {token}, "reason": {store.ReasonOutage}, "confirm": {"yes"}})
	if !strings.Contains(body, "2 already succeeded") {
		t.Errorf("second retry-failures: want 2 already succeeded:\n%s", body)
	}
}

func TestBadFilters(t *testing.T) {
	d := newDash(t)
	c := d.client(t)
	c.mustLogin(operatorName, operatorPassword)
	for _, path := range []string{"/admin/jobs?state=lost", "/admin/jobs?reason=gremlins", "/admin/jobs?provider=acme",
		"/admin/jobs?org=-1", "/admin/jobs?number=12", "/admin/jobs?since=1y", "/admin/jobs?before=x",
		"/admin/retry-failures", "/admin/jobs/abc/x"} {
		if status, _ := c.get(path); status != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", path, status)
		}
	}
	if status, _ := c.get("/admin/jobs/1/no-such-job"); status != http.StatusNotFound {
		t.Errorf("unknown job: %d, want 404", status)
	}
}

func TestParseUsers(t *testing.T) {
	h, err := admin.HashPassword("long enough")
	if err != nil {
		t.Fatal(err)
	}
	users, err := admin.ParseUsers("ann:operator:" + h + ", bob:viewer:" + h)
	if err != nil || len(users) != 2 || users[0].Role != admin.RoleOperator || users[1].Name != "bob" {
		t.Fatalf("ParseUsers = %+v, %v", users, err)
	}
	for _, bad := range []string{"ann:" + h, "ann:root:" + h, "ann:viewer:plaintext", "ann:viewer:" + h + ",ann:operator:" + h, ":viewer:" + h} {
		_, err := admin.ParseUsers(bad)
		if err == nil {
			t.Errorf("ParseUsers(%q) succeeded, want an error", bad)
		} else if strings.Contains(err.Error(), h) || strings.Contains(err.Error(), "plaintext") {
			t.Errorf("ParseUsers error shows the hash: %v", err)
		}
	}
	if _, err := admin.HashPassword("short"); err == nil {
		t.Error("HashPassword accepted a 5-character password")
	}
}

func listRuns(t *testing.T, d *dash, request string) []store.JobRecord {
	t.Helper()
	runs, err := d.env.Store.ListJobs(context.Background(), store.JobFilter{OrgID: d.env.OrgID, Request: request})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// waitRuns waits until request has n runs and the newest has finished.
func waitRuns(t *testing.T, d *dash, request string, n int) []store.JobRecord {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		runs := listRuns(t, d, request)
		if len(runs) >= n && runs[0].State.Terminal() {
			return runs
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s: %d runs %+v, want %d with the newest finished", request, len(runs), runs, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var _ = workertest.UserID

// TestSessionCookie: HttpOnly and SameSite=Strict always, Secure over TLS
// (here a proxy that says so), and only under /admin.
func TestSessionCookie(t *testing.T) {
	d := newDash(t)
	for _, proto := range []string{"", "https"} {
		c := d.client(t)
		form := url.Values{"csrf": {c.csrf("/admin/login")}, "user": {operatorName}, "password": {operatorPassword}}
		req, _ := http.NewRequest(http.MethodPost, d.srv.URL+"/admin/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if proto != "" {
			req.Header.Set("X-Forwarded-Proto", proto)
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var session *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == "sb_admin" {
				session = ck
			}
		}
		if session == nil {
			t.Fatalf("proto %q: login set no session cookie (%s)", proto, resp.Status)
		}
		if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/admin" || session.Secure != (proto == "https") {
			t.Errorf("proto %q: cookie %+v, want HttpOnly, SameSite=Strict, Path=/admin, Secure only over TLS", proto, session)
		}
	}
}
