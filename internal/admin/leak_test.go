package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/admin"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestNoCredentialUnderAdmin crawls every page, fragment and API answer
// under /admin/, asynqmon's included, after jobs that carried credentials
// failed, were retried and succeeded, and looks for every credential the
// test used: the providers' tokens, the admin passwords and hashes, and
// the sealed credentials as they sit in Redis.
func TestNoCredentialUnderAdmin(t *testing.T) {
	d := newDash(t)
	outage := d.failOutage(t, twiliotest.SandboxNumberNYC)
	bad := d.addPhone(t, twiliotest.SandboxNumberSF, jobs.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: wrongSecret})
	c := d.client(t)
	c.mustLogin(operatorName, operatorPassword)
	token := c.csrf("/admin/")
	if status, _ := c.post(d.jobPath(outage)+"/retry", url.Values{"csrf": {token}}); status != http.StatusSeeOther {
		t.Fatalf("retry: %d", status)
	}
	waitRuns(t, d, outage.Request, 2)

	secrets := []string{twiliotest.SandboxAuthToken, wrongSecret, operatorPassword, viewerPassword}
	insp := asynq.NewInspectorFromRedisClient(d.env.Redis)
	t.Cleanup(func() { insp.Close() })
	for _, job := range []jobs.Job{outage, bad} {
		info, err := insp.GetTaskInfo(job.Queue, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, sealedStrings(t, info.Payload)...)
	}

	paths := []string{"/admin/", "/admin/overview/live", "/admin/jobs", "/admin/jobs?state=failed", "/admin/jobs?state=succeeded",
		"/admin/numbers?q=" + url.QueryEscape("+1 (212) 555-1234"), "/admin/actions", "/admin/batches",
		"/admin/retry-failures?reason=" + store.ReasonBadCredentials, "/admin/retry-failures?reason=" + store.ReasonOutage,
		"/admin/queues/", "/admin/queues/api/queues", "/admin/queues/api/queue_stats", "/admin/queues/api/servers",
		"/admin/queues/api/redis_info", "/admin/queues/api/scheduler_entries"}
	recs, err := d.env.Store.ListJobs(context.Background(), store.JobFilter{OrgID: d.env.OrgID})
	if err != nil || len(recs) < 3 {
		t.Fatalf("records %d, %v; want at least 3", len(recs), err)
	}
	for _, r := range recs {
		paths = append(paths, fmt.Sprintf("/admin/jobs/%d/%s", r.OrgID, r.ID))
	}
	queues, err := insp.Queues()
	if err != nil || len(queues) == 0 {
		t.Fatalf("queues %v, %v", queues, err)
	}
	for _, q := range queues {
		paths = append(paths, "/admin/queues/api/queues/"+q)
		for _, state := range []string{"active", "pending", "scheduled", "retry", "archived", "completed"} {
			paths = append(paths, "/admin/queues/api/queues/"+q+"/"+state+"_tasks")
		}
		for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){insp.ListArchivedTasks, insp.ListCompletedTasks} {
			tasks, err := list(q)
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range tasks {
				paths = append(paths, "/admin/queues/api/queues/"+q+"/tasks/"+task.ID)
			}
		}
	}
	var sawPayload bool
	check := func(path string, status int, body string) {
		t.Helper()
		if status != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, status)
		}
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("GET %s shows a credential (%.6s…)", path, s)
			}
		}
		sawPayload = sawPayload || strings.Contains(body, "phone_number")
	}
	for _, path := range paths {
		status, body := c.get(path)
		check(path, status, body)
	}
	status, body := c.post("/admin/retry-failures", url.Values{"csrf": {token}, "reason": {store.ReasonBadCredentials}, "confirm": {"yes"}})
	check("POST /admin/retry-failures", status, body)
	if !sawPayload {
		t.Error("no page showed a payload: the crawl did not reach the tasks")
	}
	logout := d.client(t)
	status, body = logout.get("/admin/login")
	check("/admin/login", status, body)
}

// sealedStrings are the string values inside a payload's sealed
// credentials: what Redis holds instead of the secret.
func sealedStrings(t *testing.T, payload []byte) []string {
	t.Helper()
	var p struct {
		Credentials any `json:"credentials"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if len(v) >= 16 {
				out = append(out, v)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(p.Credentials)
	if len(out) == 0 {
		t.Fatalf("payload has no sealed credentials: %s", payload)
	}
	return out
}

// TestFormatPayload: asynqmon's formatters hide secret-looking fields at
// any depth and anything that is not JSON.
func TestFormatPayload(t *testing.T) {
	in := `{"credentials":{"v":1,"ct":"AAAA"},"phone_number":"+12125551234","nested":[{"auth_token":"tok","api_key":"k","password":"p","Signature":"s","url":"https://x"}]}`
	got := admin.FormatPayload(jobs.TypeAddPhone, []byte(in))
	for _, secret := range []string{"AAAA", `"tok"`, `"k"`, `"p"`, `"s"`} {
		if strings.Contains(got, secret) {
			t.Errorf("FormatPayload shows %s:\n%s", secret, got)
		}
	}
	for _, kept := range []string{"+12125551234", "https://x"} {
		if !strings.Contains(got, kept) {
			t.Errorf("FormatPayload lost %s:\n%s", kept, got)
		}
	}
	if got := admin.FormatResult(jobs.TypeAddPhone, []byte("token=abc")); strings.Contains(got, "abc") {
		t.Errorf("FormatResult shows a non-JSON result: %s", got)
	}
}

var _ = workertest.UserID
