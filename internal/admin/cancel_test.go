package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// waitJob polls the test org's record of id until ok says so.
func (d *dash) waitJob(t *testing.T, id string, ok func(store.JobRecord) bool) store.JobRecord {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec, err := d.env.Store.GetJob(context.Background(), d.env.OrgID, id)
		if err == nil && ok(rec) {
			return rec
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: %+v, %v: not as wanted after 10s", id, rec, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// retryingJob enqueues an add-phone job while Twilio is down and returns
// it once it waits to retry, its next attempt moved an hour away (as a
// long backoff would).
func (d *dash) retryingJob(t *testing.T, number string) jobs.Job {
	t.Helper()
	d.setFaults(t, `{"error_rate":1}`)
	defer d.setFaults(t, `{}`)
	job, err := d.env.Jobs.AddPhone(context.Background(), jobs.AddPhoneRequest{OrgID: d.env.OrgID, UserID: workertest.UserID,
		PhoneNumber: number, Provider: jobs.ProviderTwilio, Credentials: workertest.TwilioCreds})
	if err != nil {
		t.Fatal(err)
	}
	d.waitJob(t, job.ID, func(r store.JobRecord) bool { return r.State == jobs.StateRetrying })
	// On a slow machine the short backoff may end first: try again once the
	// next attempt has failed too.
	insp := asynq.NewInspectorFromRedisClient(d.env.Redis)
	deadline := time.Now().Add(10 * time.Second)
	for {
		at := time.Now().Add(time.Hour)
		if err := d.env.Redis.ZAddXX(context.Background(), "asynq:{"+jobs.QueueCritical+"}:retry", redis.Z{Score: float64(at.Unix()), Member: job.ID}).Err(); err != nil {
			t.Fatal(err)
		}
		info, err := insp.GetTaskInfo(jobs.QueueCritical, job.ID)
		if err == nil && info.State == asynq.TaskStateRetry && !info.NextProcessAt.Before(at.Add(-time.Second)) {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("postponed task: %+v, %v", info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *dash) cancelActions(t *testing.T) []store.AdminAction {
	t.Helper()
	all, err := d.env.Store.ListAdminActions(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AdminAction
	for _, a := range all {
		if a.Action == "cancel job" {
			out = append(out, a)
		}
	}
	return out
}

const cancelButton = `id="cancel"`

// TestCancelJobForm: the cancel button shows on a retrying job for
// operators only; a viewer's post and a post without the CSRF token are
// refused (403) and change nothing; the operator's post cancels the job
// at once (its next attempt was an hour away), records the action, and
// the job page and the jobs table say "cancelled" in plain words.
func TestCancelJobForm(t *testing.T) {
	d := newRetryingDash(t)
	job := d.retryingJob(t, twiliotest.SandboxNumberNYC)
	path := d.jobPath(job)
	unchanged := func(when string) {
		t.Helper()
		rec, err := d.env.Store.GetJob(context.Background(), d.env.OrgID, job.ID)
		if err != nil || rec.State != jobs.StateRetrying || rec.CancelRequestedAt != nil {
			t.Errorf("%s: record %+v, %v; want it retrying with no cancel request", when, rec, err)
		}
		if n := len(d.cancelActions(t)); n != 0 {
			t.Errorf("%s: %d cancel actions recorded, want none", when, n)
		}
	}

	viewer := d.client(t)
	viewer.mustLogin(viewerName, viewerPassword)
	if _, body := viewer.get(path); strings.Contains(body, cancelButton) {
		t.Error("a viewer sees the cancel button")
	}
	if status, _ := viewer.post(path+"/cancel", url.Values{"csrf": {viewer.csrf(path)}}); status != http.StatusForbidden {
		t.Errorf("viewer's cancel: %d, want 403", status)
	}
	unchanged("after the viewer's post")

	ops := d.client(t)
	ops.mustLogin(operatorName, operatorPassword)
	if _, body := ops.get(path); !strings.Contains(body, cancelButton) {
		t.Error("an operator does not see the cancel button on a retrying job")
	}
	if status, _ := ops.post(path+"/cancel", url.Values{}); status != http.StatusForbidden {
		t.Errorf("cancel without the CSRF token: %d, want 403", status)
	}
	if status, _ := ops.post(path+"/cancel", url.Values{"csrf": {"0123abcd"}}); status != http.StatusForbidden {
		t.Errorf("cancel with a wrong CSRF token: %d, want 403", status)
	}
	unchanged("after posts without the CSRF token")

	status, _ := ops.post(path+"/cancel", url.Values{"csrf": {ops.csrf(path)}})
	if status != http.StatusSeeOther {
		t.Fatalf("operator's cancel: %d, want 303 to the job page", status)
	}
	rec := d.waitJob(t, job.ID, func(r store.JobRecord) bool { return r.State.Terminal() })
	if rec.State != jobs.StateFailed || rec.ErrorCode != jobs.CodeCancelled || rec.CancelRequestedBy != operatorName {
		t.Errorf("record %+v, want failed, cancelled by %s", rec, operatorName)
	}
	acts := d.cancelActions(t)
	if len(acts) != 1 || acts[0].Actor != operatorName || acts[0].Target != job.ID || acts[0].Count != 1 ||
		!strings.Contains(acts[0].Detail, "cancel requested") || acts[0].At.IsZero() {
		t.Errorf("admin log %+v, want one cancel of %s by %s touching 1 job", acts, job.ID, operatorName)
	}
	_, body := ops.get(path)
	for _, want := range []string{"failed (cancelled)", "Cancelled", "requested by " + operatorName} {
		if !strings.Contains(body, want) {
			t.Errorf("job page after the cancel lacks %q", want)
		}
	}
	if strings.Contains(body, cancelButton) {
		t.Error("the cancel button still shows on a cancelled job")
	}
	if _, body := ops.get("/admin/jobs?reason=" + store.ReasonCancelled); !strings.Contains(body, job.ID) || !strings.Contains(body, "failed (cancelled)") {
		t.Error("the jobs table filtered by reason cancelled does not list the job as cancelled")
	}
	if _, body := ops.get("/admin/actions"); !strings.Contains(body, "cancel job") || !strings.Contains(body, job.ID) {
		t.Error("the admin log page does not show the cancel")
	}

	// Posting again (the page no longer offers it) changes nothing and says so.
	ops.hc.CheckRedirect = nil // follow to the job page and its message
	if status, body := ops.post(path+"/cancel", url.Values{"csrf": {ops.csrf(path)}}); status != http.StatusOK || !strings.Contains(body, "already cancelled") {
		t.Errorf("second cancel: %d, want the job page saying it was already cancelled", status)
	}
	if acts := d.cancelActions(t); len(acts) != 2 || acts[0].Count != 0 {
		t.Errorf("admin log after the second cancel %+v, want it recorded touching no job", acts)
	}
}

// TestCancelSucceededJobForm: a succeeded job offers no cancel button, and
// a cancel posted anyway changes nothing and says so.
func TestCancelSucceededJobForm(t *testing.T) {
	d := newRetryingDash(t)
	job := d.addPhone(t, twiliotest.SandboxNumberNYC, workertest.TwilioCreds)
	before := d.waitJob(t, job.ID, func(r store.JobRecord) bool { return r.State == jobs.StateSucceeded })
	path := d.jobPath(job)
	ops := d.client(t)
	ops.mustLogin(operatorName, operatorPassword)
	if _, body := ops.get(path); strings.Contains(body, cancelButton) {
		t.Error("the cancel button shows on a succeeded job")
	}
	ops.hc.CheckRedirect = nil
	status, body := ops.post(path+"/cancel", url.Values{"csrf": {ops.csrf(path)}})
	if status != http.StatusOK || !strings.Contains(body, "already succeeded; nothing was cancelled") {
		t.Errorf("cancel of a succeeded job: %d, want the job page saying it already succeeded", status)
	}
	after, err := d.env.Store.GetJob(context.Background(), d.env.OrgID, job.ID)
	if err != nil || after.State != jobs.StateSucceeded || after.CancelRequestedAt != nil || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("record after the cancel: %+v, %v; want it unchanged", after, err)
	}
	if acts := d.cancelActions(t); len(acts) != 1 || acts[0].Count != 0 {
		t.Errorf("admin log %+v, want the cancel recorded touching no job", acts)
	}
}
