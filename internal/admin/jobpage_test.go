package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestJobPageAttempts: a job's page lists each attempt of the run with its
// error and times, as the worker logged them.
func TestJobPageAttempts(t *testing.T) {
	d := newDash(t)
	job := d.failOutage(t, twiliotest.SandboxNumberNYC)
	ctx := context.Background()
	rec, err := d.env.Store.GetJob(ctx, d.env.OrgID, job.ID)
	if err != nil || len(rec.AttemptLog) != 1 {
		t.Fatalf("the worker's record: %+v, %v; want one attempt logged", rec, err)
	}
	c := d.client(t)
	c.mustLogin(viewerName, viewerPassword)
	_, body := c.get(d.jobPath(job))
	first := rec.AttemptLog[0]
	if !strings.Contains(body, `id="attempt-log"`) || !strings.Contains(body, string(first.Code)) ||
		!strings.Contains(body, first.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC")) {
		t.Fatalf("job page does not show attempt 1 (%+v):\n%s", first, body)
	}

	// A run that retried: each attempt with its own error.
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	retried := store.JobRecord{ID: "task-attempts", OrgID: d.env.OrgID, Type: jobs.TypeAddPhone, State: jobs.StateRetrying, Attempts: 2,
		ErrorCode: jobs.CodeProviderUnavailable, ErrorMessage: "second failure", CreatedAt: at, UpdatedAt: at.Add(time.Minute),
		AttemptLog: []store.JobAttempt{
			{N: 1, StartedAt: at, EndedAt: at.Add(time.Second), Code: jobs.CodeProviderUnavailable, Message: "first failure: HTTP 503"},
			{N: 2, StartedAt: at.Add(time.Minute), EndedAt: at.Add(time.Minute + 2*time.Second), Code: jobs.CodeInternal, Message: "second failure"},
		}}
	if err := d.env.Store.SaveJob(ctx, retried); err != nil {
		t.Fatal(err)
	}
	status, body := c.get("/admin/jobs/" + itoa(d.env.OrgID) + "/" + retried.ID)
	for _, want := range []string{"first failure: HTTP 503", "2026-03-04 05:06:07 UTC", "2026-03-04 05:06:08 UTC",
		"second failure", "2026-03-04 05:07:07 UTC", "2026-03-04 05:07:09 UTC", "<code>internal</code>"} {
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("job page: %d, want %q among its attempts", status, want)
		}
	}
}
