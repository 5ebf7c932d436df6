package api_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// startBatchAPI serves the API with batch imports on env, whose org has a
// stored connection to the Twilio sandbox account.
func startBatchAPI(t *testing.T, env *workertest.Env) *apiEnv {
	t.Helper()
	return startBatchAPIWith(t, env, api.Params{Wait: time.Second})
}

// startBatchAPIWith is startBatchAPI with p (its Bulk and Queue filled in).
func startBatchAPIWith(t *testing.T, env *workertest.Env, p api.Params) *apiEnv {
	t.Helper()
	bulk := jobs.NewClient(env.Redis, env.Keys, jobs.Options{Queue: jobs.QueueBulk})
	t.Cleanup(func() { bulk.Close() })
	sealed, err := env.Keys.SealCredentials(workertest.TwilioCreds)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.UpsertConnection(context.Background(), store.Connection{ID: store.NewID(), OrgID: env.OrgID,
		Provider: jobs.ProviderTwilio, AccountID: workertest.TwilioCreds.AccountID, Credentials: sealed}); err != nil {
		t.Fatal(err)
	}
	p.Bulk, p.Queue = bulk, asynq.NewInspectorFromRedisClient(env.Redis)
	return startAPIWith(t, env, p)
}

func (e *apiEnv) upload(t *testing.T, path, contentType, body string, extra map[string]string) response {
	t.Helper()
	h := map[string]string{"Content-Type": contentType, "X-API-Key": e.key}
	for k, v := range extra {
		h[k] = v
	}
	return e.send(t, "POST", path, h, body)
}

// batchFile has three sandbox numbers the sandbox account owns, one the
// worker must refuse (wired to a SIP trunk), a repeat and a bad number.
var batchFile = "phone_number,user_id\n" +
	twiliotest.SandboxNumberNYC + "," + workertest.UserID + "\n" +
	twiliotest.SandboxNumberDC + "," + workertest.UserID + "\n" +
	"+1 (212) 555-1234," + workertest.UserID + "\n" + // the NYC number again, written otherwise
	twiliotest.SandboxNumberTrunked + "," + workertest.UserID + "\n" +
	"555," + workertest.UserID + "\n" +
	twiliotest.SandboxNumberSF + "," + workertest.UserID + "\n"

func (e *apiEnv) batch(t *testing.T, id string) map[string]any {
	t.Helper()
	r := e.send(t, "GET", "/v1/batches/"+id, xAPIKey(e.key), "")
	if r.status != 200 {
		t.Fatalf("GET batch: %d %s", r.status, r.body)
	}
	return dataOf(r.json(t))
}

func counts(d map[string]any) map[string]int {
	out := map[string]int{}
	for k, v := range d["counts"].(map[string]any) {
		out[k] = int(v.(float64))
	}
	return out
}

func TestBatchImport(t *testing.T) {
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startBatchAPI(t, env)
		r := e.upload(t, "/v1/batches?provider=twilio", "text/csv", batchFile, nil)
		if r.status != 202 {
			t.Fatalf("POST /v1/batches: %d %s", r.status, r.body)
		}
		data := dataOf(r.json(t))
		id := str(data, "batch_id")
		if !strings.HasPrefix(id, "bat_") || str(data, "status_url") != "/v1/batches/"+id || r.header.Get("Location") != "/v1/batches/"+id {
			t.Fatalf("202 = %s, Location %q", r.body, r.header.Get("Location"))
		}
		var d map[string]any
		eventually(t, "the batch's jobs finish", func() bool {
			d = e.batch(t, id)
			c := counts(d)
			return c["pending"]+c["queued"] == 0
		})
		want := map[string]int{"succeeded": 3, "failed": 1, "invalid": 1, "skipped": 1, "pending": 0, "queued": 0, "canceled": 0}
		if diff := cmp.Diff(want, counts(d)); diff != "" {
			t.Errorf("counts (-want +got):\n%s", diff)
		}
		if str(d, "state") != "imported" || d["rows"].(float64) != 6 {
			t.Errorf("batch = %v", d)
		}
		failures := d["failures"].([]any)
		if len(failures) != 2 {
			t.Fatalf("failures = %v", failures)
		}
		trunk, bad := failures[0].(map[string]any), failures[1].(map[string]any)
		if bad["line"].(float64) != 6 || str(bad, "code") != "invalid_number" || str(bad, "column") != "phone_number" || str(bad, "job_id") != "" {
			t.Errorf("failure 1 = %v, want line 6 invalid_number", bad)
		}
		if trunk["line"].(float64) != 5 || str(trunk, "status") != "failed" || str(trunk, "job_id") != id+"-5.0" {
			t.Errorf("failure 2 = %v, want line 5 failed as job %s-5.0", trunk, id)
		}
		// The numbers are in the org, added by the batch rows' jobs.
		if n, err := env.Store.GetNumber(context.Background(), env.OrgID, twiliotest.SandboxNumberSF); err != nil || n.JobID != id+"-7.0" {
			t.Errorf("GetNumber SF = %+v, %v; want added by job %s-7.0", n, err, id)
		}

		csv := e.send(t, "GET", "/v1/batches/"+id+"/failures.csv", xAPIKey(e.key), "")
		lines := strings.Split(strings.TrimSpace(string(csv.body)), "\n")
		if csv.status != 200 || csv.header.Get("Content-Type") != "text/csv; charset=utf-8" || len(lines) != 3 ||
			lines[0] != "phone_number,provider,account,user_id,target_id,line,status,column,code,reason" ||
			!strings.HasPrefix(lines[1], "+14155550199,twilio,"+workertest.TwilioCreds.AccountID+","+workertest.UserID+",,5,failed,,") ||
			!strings.HasPrefix(lines[2], "555,,,"+workertest.UserID+",,6,invalid,phone_number,invalid_number,") {
			t.Errorf("failures.csv: %d %q\n%s", csv.status, csv.header.Get("Content-Type"), csv.body)
		}

		// Retry: the failed row runs again as run 1 (and fails again); the
		// counters count it once.
		rr := e.send(t, "POST", "/v1/batches/"+id+"/retry", xAPIKey(e.key), "")
		if rr.status != 202 || dataOf(rr.json(t))["retried"].(float64) != 1 {
			t.Fatalf("retry: %d %s", rr.status, rr.body)
		}
		eventually(t, "the retried row finishes", func() bool {
			d = e.batch(t, id)
			f := d["failures"].([]any)
			return counts(d)["failed"] == 1 && len(f) == 2 && str(f[0].(map[string]any), "job_id") == id+"-5.1"
		})
		if diff := cmp.Diff(want, counts(d)); diff != "" {
			t.Errorf("counts after retry (-want +got):\n%s", diff)
		}
	})
}

func TestBatchFormats(t *testing.T) {
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startBatchAPI(t, env)
	jsonl := fmt.Sprintf(`{"phone_number": "%s", "user_id": "%s", "provider": "twilio"}`+"\n\n"+`{"phone_number": 12025551234, "user_id": "%s"}`+"\n[1]\n",
		twiliotest.SandboxNumberNYC, workertest.UserID, workertest.UserID)
	r := e.upload(t, "/v1/batches?provider=twilio", "application/x-ndjson", jsonl, nil)
	if r.status != 202 {
		t.Fatalf("JSON Lines: %d %s", r.status, r.body)
	}
	d := e.batch(t, str(dataOf(r.json(t)), "batch_id"))
	f := d["failures"].([]any)
	if d["rows"].(float64) != 3 || len(f) != 1 || f[0].(map[string]any)["line"].(float64) != 4 || str(f[0].(map[string]any), "code") != "malformed_row" {
		t.Errorf("JSON Lines batch = %v", d)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("note", "ignored")
	fw, _ := mw.CreateFormFile("file", "numbers.csv")
	fmt.Fprintf(fw, "phone_number,user_id,provider\n%s,%s,twilio\n", twiliotest.SandboxNumberSF, workertest.UserID)
	mw.Close()
	r = e.upload(t, "/v1/batches", mw.FormDataContentType(), body.String(), nil)
	if r.status != 202 {
		t.Fatalf("multipart: %d %s", r.status, r.body)
	}
	if c := counts(e.batch(t, str(dataOf(r.json(t)), "batch_id"))); c["invalid"] != 0 || c["pending"]+c["queued"]+c["succeeded"] != 1 {
		t.Errorf("multipart counts = %v", c)
	}
}

func TestBatchErrors(t *testing.T) {
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startBatchAPI(t, env)
	fail := func(code, message string) map[string]any {
		return map[string]any{"error": map[string]any{"code": code, "message": message}}
	}
	for _, c := range []struct {
		name, path, ctype, body string
		headers                 map[string]string
		status                  int
		want                    map[string]any
	}{
		{"no key", "/v1/batches", "text/csv", "phone_number\n", map[string]string{"X-API-Key": ""}, 401, fail("unauthorized", "Missing or invalid API key")},
		{"JSON", "/v1/batches", "application/json", "{}", nil, 415,
			fail("unsupported_media_type", "Content-Type application/json is not text/csv, application/x-ndjson or multipart/form-data")},
		{"no phone_number column", "/v1/batches", "text/csv", "number,user_id\n1,2\n", nil, 400,
			fail("invalid_file", "unreadable import file: header: no phone_number column (the first line must name the columns: phone_number,provider,account,user_id,target_id)")},
		{"empty", "/v1/batches", "text/csv", "", nil, 400,
			fail("invalid_file", "unreadable import file: the file is empty (a CSV file starts with a header row)")},
		{"strict", "/v1/batches?strict=maybe", "text/csv", "phone_number\n", nil, 400, fail("invalid_request", "strict must be true or false")},
		{"unknown target", "/v1/batches?provider=twilio&target=nope", "text/csv", "phone_number,user_id\n+12125551234," + workertest.UserID + "\n", nil, 400,
			fail("unknown_target", `Unknown target "nope": not an app or agent of this organization`)},
		{"callback_url", "/v1/batches?callback_url=ftp://x", "text/csv", "phone_number\n", nil, 400,
			fail("invalid_callback_url", "Invalid callback_url: URL scheme must be http or https")},
		{"multipart without file", "/v1/batches", "multipart/form-data; boundary=x", "--x--\r\n", nil, 415,
			fail("unsupported_media_type", `the multipart upload has no part named "file"`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.upload(t, c.path, c.ctype, c.body, c.headers)
			if diff := cmp.Diff(c.want, r.json(t)); r.status != c.status || diff != "" {
				t.Errorf("%d, want %d; body (-want +got):\n%s", r.status, c.status, diff)
			}
		})
	}
	// Refused requests record nothing.
	if rows, err := env.Store.ListJobs(context.Background(), store.JobFilter{OrgID: env.OrgID}); err != nil || len(rows) != 0 {
		t.Errorf("jobs after refused uploads: %v, %v", rows, err)
	}
	if bs, err := env.Store.ListBatches(context.Background(), 0); err != nil || len(bs) != 0 {
		t.Errorf("batches after refused uploads: %v, %v", bs, err)
	}
	for _, path := range []string{"/v1/batches/bat_nope", "/v1/batches/bat_nope/failures.csv"} {
		r := e.send(t, "GET", path, xAPIKey(e.key), "")
		if diff := cmp.Diff(fail("not_found", "Batch not found"), r.json(t)); r.status != 404 || diff != "" {
			t.Errorf("GET %s: %d %s", path, r.status, diff)
		}
	}
	// Another org's batch is not found.
	r := e.upload(t, "/v1/batches?provider=twilio", "text/csv", batchFile, nil)
	id := str(dataOf(r.json(t)), "batch_id")
	_, otherKey := e.newOrg(t, "other")
	if g := e.send(t, "GET", "/v1/batches/"+id, xAPIKey(otherKey), ""); g.status != 404 {
		t.Errorf("another org's batch: %d", g.status)
	}
	if g := e.send(t, "GET", "/v1/batches/"+id+"?limit=0", xAPIKey(e.key), ""); g.status != 400 {
		t.Errorf("limit=0: %d", g.status)
	}
}

// TestBatchIdempotencyKey: the same key is the same batch; the file is not
// imported twice.
func TestBatchIdempotencyKey(t *testing.T) {
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	insp := asynq.NewInspectorFromRedisClient(env.Redis)
	if err := insp.PauseQueue(jobs.QueueBulk); err != nil {
		t.Fatal(err)
	}
	e := startBatchAPI(t, env)
	key := map[string]string{"Idempotency-Key": "import-2026-12-01"}
	a := e.upload(t, "/v1/batches?provider=twilio", "text/csv", batchFile, key)
	b := e.upload(t, "/v1/batches?provider=twilio", "text/csv", batchFile, key)
	if a.status != 202 || b.status != 202 || str(dataOf(a.json(t)), "batch_id") != str(dataOf(b.json(t)), "batch_id") {
		t.Fatalf("two uploads with one key: %d %s, %d %s", a.status, a.body, b.status, b.body)
	}
	id := str(dataOf(a.json(t)), "batch_id")
	tasks, err := insp.ListPendingTasks(jobs.QueueBulk)
	if err != nil || len(tasks) != 4 {
		t.Errorf("%d pending tasks, want 4 (%v)", len(tasks), err)
	}
	c := counts(e.batch(t, id))
	if c["queued"] != 4 || c["invalid"] != 1 || c["skipped"] != 1 {
		t.Errorf("counts = %v", c)
	}

	// DELETE cancels the jobs that have not started.
	del := e.send(t, "DELETE", "/v1/batches/"+id, xAPIKey(e.key), "")
	if del.status != 200 {
		t.Fatalf("DELETE: %d %s", del.status, del.body)
	}
	d := dataOf(del.json(t))
	if str(d, "state") != "canceled" || counts(d)["canceled"] != 4 || counts(d)["queued"] != 0 {
		t.Errorf("canceled batch = %v", d)
	}
	if tasks, _ := insp.ListPendingTasks(jobs.QueueBulk); len(tasks) != 0 {
		t.Errorf("%d tasks left in the queue", len(tasks))
	}
	// The canceled batch's key does not import it again.
	again := e.upload(t, "/v1/batches?provider=twilio", "text/csv", batchFile, key)
	if again.status != 409 {
		t.Errorf("upload of a canceled batch's key: %d %s", again.status, again.body)
	}
	if r := e.send(t, "POST", "/v1/batches/"+id+"/retry", xAPIKey(e.key), ""); r.status != 409 {
		t.Errorf("retry of a canceled batch: %d %s", r.status, r.body)
	}
}

// TestBatchesNeedTheBulkQueue: a server without a bulk client answers 503
// and records nothing.
func TestBatchesNeedTheBulkQueue(t *testing.T) {
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPIWith(t, env, api.Params{Wait: time.Second})
	r := e.upload(t, "/v1/batches?provider=twilio", "text/csv", batchFile, nil)
	want := map[string]any{"error": map[string]any{"code": "unavailable", "message": "Batch imports are not configured on this server"}}
	if diff := cmp.Diff(want, r.json(t)); r.status != 503 || diff != "" {
		t.Errorf("%d %s", r.status, diff)
	}
}

// TestImportYieldsToWaitingRequest: a batch posted to the API while a
// synchronous request of the same API waits for its job holds back each
// page for Params.ImportYield, and still finishes: 1,500 rows (three
// pages, four pauses of 1 s one after another) take over 4 s, against well
// under that once nothing waits. No worker runs, so the request waits.
func TestImportYieldsToWaitingRequest(t *testing.T) {
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		env.Server.Shutdown()
		e := startBatchAPIWith(t, env, api.Params{Wait: 20 * time.Second, ImportYield: time.Second})
		file := func(first int) string {
			var b strings.Builder
			b.WriteString("phone_number,user_id\n")
			for i := range 1500 {
				fmt.Fprintf(&b, "+1212%07d,%s\n", first+i, workertest.UserID)
			}
			return b.String()
		}
		importTook := func(first int) time.Duration {
			start := time.Now()
			if r := e.upload(t, "/v1/batches?provider=twilio", "text/csv", file(first), nil); r.status != 202 {
				t.Fatalf("POST /v1/batches: %d %s", r.status, r.body)
			}
			return time.Since(start)
		}
		alone := importTook(0)

		ctx, cancel := context.WithCancel(t.Context())
		waiting := make(chan struct{})
		go func() {
			defer close(waiting)
			body := fmt.Sprintf(`{"userId":%q,"phoneNumber":%q,"integration":"twilio","authToken":%q,"accSId":%q}`,
				workertest.UserID, strings.TrimPrefix(twiliotest.SandboxNumberNYC, "+"), twiliotest.SandboxAuthToken, twiliotest.SandboxAccountSID)
			req, _ := http.NewRequestWithContext(ctx, "POST", e.url+"/api/call/add-phone", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-API-Key", e.key)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		insp := asynq.NewInspectorFromRedisClient(env.Redis)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if qi, err := insp.GetQueueInfo(jobs.QueueCritical); err == nil && qi.Pending > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the add-phone request's job never reached the queue")
			}
		}
		yielding := importTook(10000)
		cancel()
		<-waiting
		// The goroutine that records pages pauses before each of its four
		// (three full, then the empty one at the end of the file), one
		// after the other; the reader's pauses overlap them.
		// The pauses are long (the default is 25 ms) so that an import
		// slowed by a loaded machine cannot pass for one that paused.
		if yielding < 4*time.Second {
			t.Errorf("import while a request waited took %v, want at least 4 s (four pauses of 1 s); alone it took %v", yielding, alone)
		}
	})
}
