package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// importOutage imports a batch of the NYC and DC sandbox numbers, plus one
// invalid line, while Twilio is down, and waits for both jobs to fail.
func (d *dash) importOutage(t *testing.T) store.Batch {
	t.Helper()
	ctx := context.Background()
	sealed, err := d.env.Keys.SealCredentials(workertest.TwilioCreds)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.env.Store.UpsertConnection(ctx, store.Connection{ID: store.NewID(), OrgID: d.env.OrgID, Provider: jobs.ProviderTwilio,
		AccountID: workertest.TwilioCreds.AccountID, Credentials: sealed}); err != nil {
		t.Fatal(err)
	}
	bulk := jobs.NewClient(d.env.Redis, d.env.Keys, jobs.Options{Queue: jobs.QueueBulk})
	defer bulk.Close()
	d.setFaults(t, `{"error_rate":1}`)
	defer d.setFaults(t, `{}`)
	file := "phone_number,user_id\n" + twiliotest.SandboxNumberNYC + "," + workertest.UserID + "\n" +
		twiliotest.SandboxNumberDC + "," + workertest.UserID + "\nnot-a-number," + workertest.UserID + "\n"
	r, err := batch.NewReader(strings.NewReader(file), batch.CSV)
	if err != nil {
		t.Fatal(err)
	}
	im := &batch.Importer{Store: d.env.Store, Jobs: bulk}
	b, err := im.Import(ctx, store.Batch{ID: "bat_admin" + store.NewID(), OrgID: d.env.OrgID, Provider: jobs.ProviderTwilio}, r)
	if err != nil {
		t.Fatal(err)
	}
	d.waitBatch(t, b, store.RowFailed, 2)
	return b
}

// waitBatch waits until n rows of b have status.
func (d *dash) waitBatch(t *testing.T, b store.Batch, status string, n int) store.BatchCounts {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := d.env.Store.CountBatchRows(context.Background(), b.OrgID, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.ByStatus[status] == n {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch %s: rows %v, want %d %s", b.ID, c.ByStatus, n, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func batchPath(b store.Batch) string { return "/admin/batches/" + itoa(b.OrgID) + "/" + b.ID }

// TestBatchesPage: the list shows each batch's progress and failures by
// reason; the batch page lists its failed rows, a page at a time.
func TestBatchesPage(t *testing.T) {
	// The numbers without their +, which html/template writes as &#43;.
	nyc, dc := twiliotest.SandboxNumberNYC[1:], twiliotest.SandboxNumberDC[1:]
	d := newDash(t)
	b := d.importOutage(t)
	c := d.client(t)
	c.mustLogin(viewerName, viewerPassword)
	status, body := c.get("/admin/batches")
	if status != http.StatusOK || !strings.Contains(body, b.ID) || !strings.Contains(body, "3 of 3 done") ||
		!strings.Contains(body, "provider_unavailable: 2") || !strings.Contains(body, "invalid_number: 1") {
		t.Fatalf("batches page: %d, want %s with 3 of 3 done, 2 outages, 1 invalid:\n%s", status, b.ID, body)
	}
	status, body = c.get(batchPath(b))
	if status != http.StatusOK || !strings.Contains(body, nyc) || !strings.Contains(body, dc) {
		t.Fatalf("batch page: %d, want both failed rows:\n%s", status, body)
	}
	if strings.Contains(body, "not-a-number") {
		t.Error("the failed rows list an invalid row")
	}
	if strings.Contains(body, `id="retry-batch"`) {
		t.Error("a viewer's batch page has a retry link")
	}
	// Line 2 is NYC, line 3 DC: after line 2, only DC.
	if _, body := c.get(batchPath(b) + "?after=2"); strings.Contains(body, nyc) || !strings.Contains(body, dc) {
		t.Errorf("failed rows after line 2: want DC only:\n%s", body)
	}
	for path, want := range map[string]int{
		batchPath(b) + "?after=x":                            http.StatusBadRequest,
		"/admin/batches/0/" + b.ID:                           http.StatusBadRequest,
		"/admin/batches/" + itoa(d.env.OrgID) + "/bat_x":     http.StatusNotFound,
		"/admin/batches/" + itoa(d.env.OrgID+1) + "/" + b.ID: http.StatusNotFound,
	} {
		if status, _ := c.get(path); status != want {
			t.Errorf("GET %s: %d, want %d", path, status, want)
		}
	}
}

// TestRetryBatch: an operator confirms and retries a batch's failed rows;
// they run again and succeed; the admin log says who and how many; a
// second retry has nothing left to retry.
func TestRetryBatch(t *testing.T) {
	d := newDash(t)
	b := d.importOutage(t)
	c := d.client(t)
	c.mustLogin(operatorName, operatorPassword)
	if _, body := c.get(batchPath(b)); !strings.Contains(body, `id="retry-batch"`) {
		t.Fatal("an operator's batch page has no retry link")
	}
	status, body := c.get(batchPath(b) + "/retry")
	if status != http.StatusOK || !strings.Contains(body, "Yes, retry 2 row(s)") {
		t.Fatalf("confirmation: %d, want it to count 2 rows:\n%s", status, body)
	}
	token := csrfRE.FindStringSubmatch(body)[1]
	if status, _ := c.post(batchPath(b)+"/retry", url.Values{"csrf": {token}}); status != http.StatusBadRequest {
		t.Errorf("retry without confirm: %d, want 400", status)
	}
	if cn, _ := d.env.Store.CountBatchRows(context.Background(), b.OrgID, b.ID); cn.ByStatus[store.RowFailed] != 2 {
		t.Fatalf("an unconfirmed retry changed the rows: %v", cn.ByStatus)
	}
	status, body = c.post(batchPath(b)+"/retry", url.Values{"csrf": {token}, "confirm": {"yes"}})
	if status != http.StatusOK || !strings.Contains(body, "2 failed row(s) retried") {
		t.Fatalf("retry: %d, want 2 retried:\n%s", status, body)
	}
	d.waitBatch(t, b, store.RowSucceeded, 2)
	rows, _ := d.env.Store.ListBatchRows(context.Background(), store.BatchRowFilter{OrgID: b.OrgID, BatchID: b.ID, Statuses: []string{store.RowSucceeded}})
	for _, r := range rows {
		if r.Run != 1 || r.JobID != batch.JobID(b.ID, r.Line, 1) {
			t.Errorf("row %d: run %d job %s, want run 1 of the batch's job ids", r.Line, r.Run, r.JobID)
		}
	}
	as, _ := d.env.Store.ListAdminActions(context.Background(), 10)
	if len(as) != 1 || as[0].Actor != operatorName || as[0].Action != "retry batch" || as[0].Count != 2 || !strings.Contains(as[0].Target, b.ID) {
		t.Fatalf("admin log %+v, want ops retried batch %s, 2 rows", as, b.ID)
	}
	_, body = c.post(batchPath(b)+"/retry", url.Values{"csrf": {token}, "confirm": {"yes"}})
	if !strings.Contains(body, "0 failed row(s) retried") {
		t.Errorf("second retry: want 0 retried:\n%s", body)
	}
}

// TestRetryBatchRefused: a viewer gets 403, so does a request without the
// session's CSRF token; a canceled batch is not retried (409). None
// changes a row or records an action.
func TestRetryBatchRefused(t *testing.T) {
	d := newDash(t)
	b := d.importOutage(t)
	viewer := d.client(t)
	viewer.mustLogin(viewerName, viewerPassword)
	if _, body := viewer.get(batchPath(b) + "/retry"); strings.Contains(body, `id="confirm-retry"`) {
		t.Error("a viewer's confirmation page has the retry button")
	}
	token := viewer.csrf(batchPath(b))
	if status, _ := viewer.post(batchPath(b)+"/retry", url.Values{"csrf": {token}, "confirm": {"yes"}}); status != http.StatusForbidden {
		t.Errorf("viewer retries a batch: %d, want 403", status)
	}
	op := d.client(t)
	op.mustLogin(operatorName, operatorPassword)
	for name, form := range map[string]url.Values{
		"no token":    {"confirm": {"yes"}},
		"wrong token": {"confirm": {"yes"}, "csrf": {strings.Repeat("0", 64)}},
	} {
		if status, _ := op.post(batchPath(b)+"/retry", form); status != http.StatusForbidden {
			t.Errorf("retry, %s: %d, want 403", name, status)
		}
	}
	if err := d.env.Store.SetBatchState(context.Background(), b.OrgID, b.ID, store.BatchCanceled, -1); err != nil {
		t.Fatal(err)
	}
	if status, _ := op.post(batchPath(b)+"/retry", url.Values{"csrf": {op.csrf(batchPath(b))}, "confirm": {"yes"}}); status != http.StatusConflict {
		t.Errorf("retry of a canceled batch: %d, want 409", status)
	}
	if cn, _ := d.env.Store.CountBatchRows(context.Background(), b.OrgID, b.ID); cn.ByStatus[store.RowFailed] != 2 {
		t.Errorf("refused retries changed the rows: %v", cn.ByStatus)
	}
	if as, _ := d.env.Store.ListAdminActions(context.Background(), 10); len(as) != 0 {
		t.Errorf("refused retries recorded actions: %+v", as)
	}
}
