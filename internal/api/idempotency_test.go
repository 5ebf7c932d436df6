package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// response is an answer as it came over the wire.
type response struct {
	status int
	header http.Header
	body   []byte
}

// send sends body exactly as given and returns the answer unparsed, after
// checking it against openapi.json like every answer the tests get.
func (e *apiEnv) send(t *testing.T, method, path string, headers map[string]string, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkDocumented(t, req, resp.StatusCode, resp.Header, b)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

func (r response) replayed() bool { return r.header.Get("Idempotent-Replayed") == "true" }

// with returns headers plus Idempotency-Key: key.
func with(headers map[string]string, key string) map[string]string {
	out := map[string]string{"Idempotency-Key": key}
	for k, v := range headers {
		out[k] = v
	}
	return out
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// wantReplay fails the test unless again is first replayed: the same
// status, body bytes and headers, plus Idempotent-Replayed: true.
func wantReplay(t *testing.T, what string, first, again response) {
	t.Helper()
	if first.replayed() {
		t.Errorf("%s: the first answer says Idempotent-Replayed", what)
	}
	if !again.replayed() {
		t.Errorf("%s: the replay lacks Idempotent-Replayed: true (headers %v)", what, again.header)
	}
	if again.status != first.status || !bytes.Equal(again.body, first.body) {
		t.Errorf("%s: replay %d %s, want %d %s", what, again.status, again.body, first.status, first.body)
	}
	strip := func(h http.Header) http.Header {
		h = h.Clone()
		h.Del("Date")
		h.Del("Idempotent-Replayed")
		return h
	}
	if diff := cmp.Diff(strip(first.header), strip(again.header)); diff != "" {
		t.Errorf("%s: replay headers (-first +replay):\n%s", what, diff)
	}
}

// testClock is the API's clock in tests that move time.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now().UTC()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// hookStore runs hook before each CreateTarget (n counts the calls from
// 1); an error from hook is CreateTarget's.
type hookStore struct {
	store.Store
	calls atomic.Int32
	hook  func(n int) error
}

func (s *hookStore) CreateTarget(ctx context.Context, t store.Target) (store.Target, error) {
	n := int(s.calls.Add(1))
	if s.hook != nil {
		if err := s.hook(n); err != nil {
			return store.Target{}, err
		}
	}
	return s.Store.CreateTarget(ctx, t)
}

// startHooked serves the API on env with CreateTarget going through hook.
func startHooked(t *testing.T, env *workertest.Env, p api.Params, hook func(n int) error) (*apiEnv, *hookStore) {
	t.Helper()
	hs := &hookStore{Store: env.Store, hook: hook}
	hooked := *env
	hooked.Store = hs
	return startAPIWith(t, &hooked, p), hs
}

const appBody = `{"name": "Support", "answer_url": "` + answerURL + `"}`

// TestIdempotentAddPhone: a real add-phone (201) is replayed byte for
// byte without a second job; the JSON body counts by value; the stored
// record holds no credentials.
func TestIdempotentAddPhone(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		auth := with(bearer(e.key), "add-1")
		body := mustJSON(addPhoneBody("12125551234", twiliotest.SandboxAuthToken))
		first := e.send(t, "POST", "/api/call/add-phone", auth, body)
		if first.status != 201 {
			t.Fatalf("add: %d %s", first.status, first.body)
		}
		writes, added := env.Twilio.Writes(), countJobs(t, e, jobs.TypeAddPhone)

		wantReplay(t, "same body", first, e.send(t, "POST", "/api/call/add-phone", auth, body))
		// The same members in another order and spacing are the same request.
		var m map[string]any
		json.Unmarshal([]byte(body), &m)
		reordered := "{\n  \"accSId\": " + mustJSON(m["accSId"]) + ", \"authToken\": " + mustJSON(m["authToken"]) +
			",\n  \"integration\": \"twilio\", \"phoneNumber\": \"12125551234\", \"userId\": \"" + workertest.UserID + "\"}"
		wantReplay(t, "reordered body", first, e.send(t, "POST", "/api/call/add-phone", auth, reordered))
		if env.Twilio.Writes() != writes || countJobs(t, e, jobs.TypeAddPhone) != added {
			t.Errorf("replays made %d provider writes and %d jobs", env.Twilio.Writes()-writes, countJobs(t, e, jobs.TypeAddPhone)-added)
		}
		// Without the key the same request runs again, as before.
		if again := e.send(t, "POST", "/api/call/add-phone", bearer(e.key), body); again.status != 400 || again.replayed() {
			t.Errorf("without the key: %d %s, want the seed's 400 duplicate", again.status, again.body)
		}

		// The record: the response and a hash, never the request.
		rec, claimed, err := env.Store.BeginIdempotent(t.Context(), store.IdempotencyClaim{OrgID: e.OrgID, Key: "add-1",
			Fingerprint: []byte("probe"), Token: "probe", Now: time.Now(), LeaseUntil: time.Now(), ExpiresAt: time.Now()})
		if err != nil || claimed || rec.Response == nil {
			t.Fatalf("stored record: %+v %v %v", rec, claimed, err)
		}
		stored := rec.Key + mustJSON(rec.Response.Header) + string(rec.Response.Body) + string(rec.Fingerprint)
		for _, secret := range []string{twiliotest.SandboxAuthToken, twiliotest.SandboxAccountSID} {
			if strings.Contains(stored, secret) {
				t.Errorf("the stored record contains %q: %s", secret, stored)
			}
		}
		if len(rec.Fingerprint) != 32 {
			t.Errorf("fingerprint is %d bytes, want a SHA-256", len(rec.Fingerprint))
		}
	})
}

// TestIdempotentAddPhone202: a 202 is stored and replayed as is, its
// job id and Location included, even after the job has finished.
func TestIdempotentAddPhone202(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	f := env.Twilio.Faults()
	f.Latency = 300 * time.Millisecond
	if err := env.Twilio.SetFaults(f); err != nil {
		t.Fatal(err)
	}
	e := startAPI(t, env, 50*time.Millisecond, nil)
	auth := with(bearer(e.key), "slow")
	body := mustJSON(addPhoneBody("12025551234", twiliotest.SandboxAuthToken))
	first := e.send(t, "POST", "/api/call/add-phone", auth, body)
	if first.status != 202 || first.header.Get("Location") == "" {
		t.Fatalf("slow add: %d %v %s", first.status, first.header, first.body)
	}
	jobID := str(dataOf(first.json(t)), "job_id")
	eventually(t, "the job to finish", func() bool {
		rec, err := env.Store.GetJob(t.Context(), e.OrgID, jobID)
		return err == nil && rec.State == jobs.StateSucceeded
	})
	wantReplay(t, "202", first, e.send(t, "POST", "/api/call/add-phone", auth, body))
}

// TestIdempotentApp: creating and deleting an app replay their answers:
// one app is created, and the repeated delete is 200, not 404.
func TestIdempotentApp(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e, hs := startHooked(t, env, api.Params{Wait: 20 * time.Second}, nil)
		auth := with(xAPIKey(e.key), "create-1")
		first := e.send(t, "POST", "/sfvopi/apps", auth, appBody)
		if first.status != 201 {
			t.Fatalf("create: %d %s", first.status, first.body)
		}
		wantReplay(t, "create", first, e.send(t, "POST", "/sfvopi/apps", auth, appBody))
		if n := hs.calls.Load(); n != 1 {
			t.Errorf("CreateTarget ran %d times, want 1", n)
		}
		appID := str(dataOf(first.json(t)), "app_id")

		del := with(xAPIKey(e.key), "delete-1")
		deleted := e.send(t, "DELETE", "/sfvopi/apps/"+appID, del, "")
		if deleted.status != 200 {
			t.Fatalf("delete: %d %s", deleted.status, deleted.body)
		}
		wantReplay(t, "delete", deleted, e.send(t, "DELETE", "/sfvopi/apps/"+appID, del, ""))
		if again := e.send(t, "DELETE", "/sfvopi/apps/"+appID, xAPIKey(e.key), ""); again.status != 404 {
			t.Errorf("delete again without the key: %d %s, want 404", again.status, again.body)
		}

		// A key is the org's, across endpoints: on another path, or with
		// another method, it is another request.
		for _, r := range []struct{ method, path, body string }{
			{"POST", "/api/agent", `{"name": "Support", "answer_url": "` + agentURL + `"}`},
			{"DELETE", "/sfvopi/apps/" + appID, ""},
		} {
			got := e.send(t, r.method, r.path, with(token(e.key), "create-1"), r.body)
			if got.status != 422 || got.replayed() {
				t.Errorf("%s %s with another request's key: %d %s, want 422", r.method, r.path, got.status, got.body)
			}
		}
	})
}

// TestIdempotencyKeyReused: the same key with another body is 422 in the
// family's envelope, and nothing runs: no job, no provider call.
func TestIdempotencyKeyReused(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		auth := with(bearer(e.key), "add-1")
		if first := e.send(t, "POST", "/api/call/add-phone", auth, mustJSON(addPhoneBody("12125551234", twiliotest.SandboxAuthToken))); first.status != 201 {
			t.Fatalf("add: %d %s", first.status, first.body)
		}
		writes, added := env.Twilio.Writes(), countJobs(t, e, jobs.TypeAddPhone)
		got := e.send(t, "POST", "/api/call/add-phone", auth, mustJSON(addPhoneBody("12025551234", twiliotest.SandboxAuthToken)))
		want := map[string]any{"message": "Idempotency-Key already used", "status": false, "code": float64(422),
			"errorMessage": "it was used with a different request (method, path or body)", "data": nil}
		if diff := cmp.Diff(want, got.json(t)); got.status != 422 || diff != "" {
			t.Errorf("another body: %d (-want +got):\n%s", got.status, diff)
		}
		// Give a job that should not exist the time to show up.
		time.Sleep(100 * time.Millisecond)
		if env.Twilio.Writes() != writes || countJobs(t, e, jobs.TypeAddPhone) != added {
			t.Errorf("the refused request made %d provider writes and %d jobs", env.Twilio.Writes()-writes, countJobs(t, e, jobs.TypeAddPhone)-added)
		}
		if _, err := env.Store.GetNumber(t.Context(), e.OrgID, "+12025551234"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the refused request's number: %v, want ErrNotFound", err)
		}

		// In the other families' envelopes.
		if got := e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), "add-1"), appBody); got.status != 422 ||
			str(got.json(t), "message") != "Idempotency-Key already used: it was used with a different request (method, path or body)" {
			t.Errorf("SFVoPI: %d %s", got.status, got.body)
		}
		if got := e.send(t, "POST", "/api/agent", with(token(e.key), "add-1"), appBody); got.status != 422 || got.json(t)["error"] != true {
			t.Errorf("agents: %d %s", got.status, got.body)
		}
	})
}

// TestIdempotencyConcurrent: ten identical requests at once with one key
// create one app; every other answer is 409 or the replay.
func TestIdempotencyConcurrent(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		const n = 10
		e, hs := startHooked(t, env, api.Params{Wait: 20 * time.Second}, func(int) error {
			time.Sleep(200 * time.Millisecond) // the others arrive while it runs
			return nil
		})
		auth := with(xAPIKey(e.key), "race")
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			got   = make([]response, n)
		)
		for i := range n {
			wg.Go(func() {
				<-start
				got[i] = e.send(t, "POST", "/sfvopi/apps", auth, appBody)
			})
		}
		close(start)
		wg.Wait()
		var executed, replayed, inUse int
		appIDs := map[string]bool{}
		for _, r := range got {
			switch {
			case r.status == 201 && !r.replayed():
				executed++
				appIDs[str(dataOf(r.json(t)), "app_id")] = true
			case r.status == 201:
				replayed++
				appIDs[str(dataOf(r.json(t)), "app_id")] = true
			case r.status == 409 && r.header.Get("Retry-After") != "":
				inUse++
			default:
				t.Errorf("unexpected answer %d %v %s", r.status, r.header, r.body)
			}
		}
		t.Logf("%d executed, %d replayed, %d in use", executed, replayed, inUse)
		if executed != 1 || len(appIDs) != 1 || hs.calls.Load() != 1 {
			t.Errorf("%d executed, %d replayed, %d in use, app ids %v, %d CreateTarget calls; want one execution",
				executed, replayed, inUse, appIDs, hs.calls.Load())
		}
	})
}

// TestIdempotencyKeyInUse: while the first request runs, the key answers
// 409 with Retry-After; once it has answered, the replay.
func TestIdempotencyKeyInUse(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		gate := make(chan struct{})
		e, hs := startHooked(t, env, api.Params{Wait: 5 * time.Second}, func(n int) error {
			if n == 1 {
				<-gate
			}
			return nil
		})
		open := sync.OnceFunc(func() { close(gate) })
		t.Cleanup(open) // before the server closes, should the test fail first
		auth := with(token(e.key), "agent-1")
		body := `{"name": "Receptionist", "answer_url": "` + agentURL + `"}`
		firstc := make(chan response, 1)
		go func() { firstc <- e.send(t, "POST", "/api/agent", auth, body) }()
		eventually(t, "the first request to run", func() bool { return hs.calls.Load() == 1 })
		busy := e.send(t, "POST", "/api/agent", auth, body)
		if busy.status != 409 {
			t.Fatalf("while the first runs: %d %s, want 409", busy.status, busy.body)
		}
		retry, err := strconv.Atoi(busy.header.Get("Retry-After"))
		if err != nil || retry < 1 || retry > 5 {
			t.Errorf("Retry-After = %q, want 1-5 seconds (Params.Wait)", busy.header.Get("Retry-After"))
		}
		msg := "Idempotency-Key in use: a request with this key is still running; retry after Retry-After seconds"
		if b := busy.json(t); b["message"] != msg || b["error"] != true || b["code"] != float64(409) {
			t.Errorf("409 body: %s", busy.body)
		}
		open()
		first := <-firstc
		if first.status != 201 {
			t.Fatalf("create agent: %d %s", first.status, first.body)
		}
		wantReplay(t, "agent", first, e.send(t, "POST", "/api/agent", auth, body))
	})
}

// TestIdempotencyStaleClaim: a request whose claim outlived its lease (it
// hangs, or its process died) no longer holds the key: the next request
// takes it over and runs, and the late one cannot overwrite its answer.
func TestIdempotencyStaleClaim(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		clock := newTestClock()
		gate := make(chan struct{})
		const wait = 2 * time.Second
		e, hs := startHooked(t, env, api.Params{Wait: wait, Now: clock.Now}, func(n int) error {
			if n == 1 {
				<-gate // the first request hangs
			}
			return nil
		})
		open := sync.OnceFunc(func() { close(gate) })
		t.Cleanup(open) // before the server closes, should the test fail first
		auth := with(xAPIKey(e.key), "stale")
		stuck := make(chan response, 1)
		go func() { stuck <- e.send(t, "POST", "/sfvopi/apps", auth, appBody) }()
		eventually(t, "the first request to run", func() bool { return hs.calls.Load() == 1 })
		// Within the lease (Wait + 30s) the claim holds.
		clock.Advance(wait + 29*time.Second)
		if got := e.send(t, "POST", "/sfvopi/apps", auth, appBody); got.status != 409 || got.header.Get("Retry-After") != "1" {
			t.Errorf("within the lease: %d Retry-After %q %s, want 409 with Retry-After 1", got.status, got.header.Get("Retry-After"), got.body)
		}
		clock.Advance(time.Second)
		second := e.send(t, "POST", "/sfvopi/apps", auth, appBody)
		if second.status != 201 || second.replayed() || hs.calls.Load() != 2 {
			t.Fatalf("after the lease: %d %v %s, %d CreateTarget calls", second.status, second.header, second.body, hs.calls.Load())
		}
		open()
		if late := <-stuck; late.status != 201 {
			t.Errorf("the late request: %d %s", late.status, late.body)
		}
		wantReplay(t, "after the take-over", second, e.send(t, "POST", "/sfvopi/apps", auth, appBody))
	})
}

// TestIdempotencyExpiry: a key is kept for Params.IdempotencyTTL, then the
// same request runs again; expired records are purged.
func TestIdempotencyExpiry(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		clock := newTestClock()
		t0 := clock.Now()
		e, hs := startHooked(t, env, api.Params{Wait: 20 * time.Second, Now: clock.Now}, nil)
		other := e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), "other"), appBody)
		auth := with(xAPIKey(e.key), "expiring")
		first := e.send(t, "POST", "/sfvopi/apps", auth, appBody)
		if first.status != 201 || other.status != 201 {
			t.Fatalf("create: %d %s / %d %s", first.status, first.body, other.status, other.body)
		}
		clock.Advance(24*time.Hour - time.Second)
		wantReplay(t, "before 24h", first, e.send(t, "POST", "/sfvopi/apps", auth, appBody))
		clock.Advance(time.Second)
		again := e.send(t, "POST", "/sfvopi/apps", auth, appBody)
		if again.status != 201 || again.replayed() || bytes.Equal(again.body, first.body) || hs.calls.Load() != 3 {
			t.Errorf("after 24h: %d %v %s, %d CreateTarget calls; want a new app", again.status, again.header, again.body, hs.calls.Load())
		}
		// The "other" record expired too and the claim purged it: a claim
		// dated before its expiry finds the key free.
		_, claimed, err := env.Store.BeginIdempotent(t.Context(), store.IdempotencyClaim{OrgID: e.OrgID, Key: "other",
			Fingerprint: []byte("probe"), Token: "probe", Now: t0.Add(time.Hour), LeaseUntil: t0.Add(time.Hour), ExpiresAt: t0.Add(2 * time.Hour)})
		if err != nil || !claimed {
			t.Errorf("the expired record of another key was not purged: claimed %v, %v", claimed, err)
		}
	})
}

// TestIdempotencyTTLParam: Params.IdempotencyTTL sets how long keys last.
func TestIdempotencyTTLParam(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPIWith(t, env, api.Params{Wait: 20 * time.Second, Now: clock.Now, IdempotencyTTL: time.Hour})
	auth := with(xAPIKey(e.key), "hour")
	first := e.send(t, "POST", "/sfvopi/apps", auth, appBody)
	clock.Advance(time.Hour)
	if again := e.send(t, "POST", "/sfvopi/apps", auth, appBody); first.status != 201 || again.status != 201 || again.replayed() {
		t.Errorf("after the TTL: %d, then %d %v", first.status, again.status, again.header)
	}
}

// TestIdempotency5xxIsNotStored: a 500 releases the key, so the retry runs
// (and its answer is the one kept).
func TestIdempotency5xxIsNotStored(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e, hs := startHooked(t, env, api.Params{Wait: 20 * time.Second}, func(n int) error {
			if n == 1 {
				return errors.New("database went away")
			}
			return nil
		})
		auth := with(xAPIKey(e.key), "flaky")
		if failed := e.send(t, "POST", "/sfvopi/apps", auth, appBody); failed.status != 500 || failed.replayed() {
			t.Fatalf("first: %d %s, want 500", failed.status, failed.body)
		}
		retry := e.send(t, "POST", "/sfvopi/apps", auth, appBody)
		if retry.status != 201 || retry.replayed() || hs.calls.Load() != 2 {
			t.Fatalf("retry: %d %v %s, %d CreateTarget calls; want it executed", retry.status, retry.header, retry.body, hs.calls.Load())
		}
		wantReplay(t, "after the retry", retry, e.send(t, "POST", "/sfvopi/apps", auth, appBody))
	})
}

// TestIdempotencyKeyPerOrg: two orgs use one key independently.
func TestIdempotencyKeyPerOrg(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		otherOrg, other := e.newOrg(t, "other")
		mine := e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), "shared"), appBody)
		theirs := e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(other), "shared"), appBody)
		if mine.status != 201 || theirs.status != 201 || theirs.replayed() {
			t.Fatalf("create: %d %s / %d %v %s", mine.status, mine.body, theirs.status, theirs.header, theirs.body)
		}
		if d := dataOf(theirs.json(t)); d["org_id"] != float64(otherOrg) || d["app_id"] == dataOf(mine.json(t))["app_id"] {
			t.Errorf("the other org got %s, mine is %s", theirs.body, mine.body)
		}
		wantReplay(t, "mine", mine, e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), "shared"), appBody))
		wantReplay(t, "theirs", theirs, e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(other), "shared"), appBody))
	})
}

// TestIdempotencyKeyValidation: keys must be 1-255 printable ASCII
// characters, sent once; anything else is the family's 400 and runs
// nothing. Authentication comes first, and its failures are not recorded.
func TestIdempotencyKeyValidation(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e, hs := startHooked(t, env, api.Params{Wait: 20 * time.Second}, nil)
	const detail = "it must be one header of 1-255 printable ASCII characters"
	for _, key := range []string{strings.Repeat("k", 256), "ключ", "tab\there"} {
		got := e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), key), appBody)
		if got.status != 400 || str(got.json(t), "message") != "Invalid Idempotency-Key: "+detail {
			t.Errorf("key %q: %d %s", key, got.status, got.body)
		}
	}
	// Each family's envelope.
	got := e.send(t, "POST", "/api/call/add-phone", with(bearer(e.key), strings.Repeat("k", 256)), mustJSON(addPhoneBody("12125551234", "x")))
	want := map[string]any{"message": "Invalid Idempotency-Key", "status": false, "code": float64(400), "errorMessage": detail, "data": nil}
	if diff := cmp.Diff(want, got.json(t)); got.status != 400 || diff != "" {
		t.Errorf("add-phone: %d (-want +got):\n%s", got.status, diff)
	}
	got = e.send(t, "DELETE", "/sfvopi/apps/app_000000000000000000000000/numbers/%2B12125551234", with(xAPIKey(e.key), "é"), "")
	if got.status != 400 {
		t.Errorf("unlink: %d %s", got.status, got.body)
	}
	got = e.send(t, "POST", "/api/agent/attach-phone-number", with(token(e.key), strings.Repeat("k", 256)), `{}`)
	if b := got.json(t); got.status != 400 || b["message"] != "Invalid Idempotency-Key: "+detail || b["error"] != true {
		t.Errorf("attach: %d %s", got.status, got.body)
	}
	// Twice is ambiguous.
	req, _ := http.NewRequest("POST", e.url+"/sfvopi/apps", strings.NewReader(appBody))
	req.Header.Set("X-API-Key", e.key)
	req.Header.Add("Idempotency-Key", "a")
	req.Header.Add("Idempotency-Key", "b")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checkDocumented(t, req, resp.StatusCode, resp.Header, b)
	if resp.StatusCode != 400 {
		t.Errorf("two keys: %d %s", resp.StatusCode, b)
	}
	if n := hs.calls.Load(); n != 0 {
		t.Errorf("refused keys ran CreateTarget %d times", n)
	}

	// 255 printable characters, spaces and symbols included, are a key.
	long := "a ~!" + strings.Repeat("x", 251)
	first := e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), long), appBody)
	if first.status != 201 {
		t.Fatalf("255-character key: %d %s", first.status, first.body)
	}
	wantReplay(t, "255-character key", first, e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), long), appBody))

	// A wrong API key is the handler's 401, whatever the key, and leaves
	// nothing behind: the right API key then runs the request.
	for _, key := range []string{"unauth", strings.Repeat("k", 256)} {
		got := e.send(t, "POST", "/sfvopi/apps", with(xAPIKey("sbk_000000000000_00"), key), appBody)
		if got.status != 401 || got.replayed() || str(got.json(t), "message") != "UnAuthorized, Please Provide Valid API Key" {
			t.Errorf("wrong API key with key %.10q: %d %s", key, got.status, got.body)
		}
	}
	if got := e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), "unauth"), appBody); got.status != 201 || got.replayed() {
		t.Errorf("after a 401: %d %v %s, want it executed", got.status, got.header, got.body)
	}
}

// TestWithoutIdempotencyKey: without the header nothing changes: each
// request runs, and no answer says Idempotent-Replayed.
func TestWithoutIdempotencyKey(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e, hs := startHooked(t, env, api.Params{Wait: 20 * time.Second}, nil)
	a := e.send(t, "POST", "/sfvopi/apps", xAPIKey(e.key), appBody)
	b := e.send(t, "POST", "/sfvopi/apps", xAPIKey(e.key), appBody)
	if a.status != 201 || b.status != 201 || a.replayed() || b.replayed() || bytes.Equal(a.body, b.body) || hs.calls.Load() != 2 {
		t.Errorf("two creates: %d %s, %d %s, %d CreateTarget calls", a.status, a.body, b.status, b.body, hs.calls.Load())
	}
	if _, ok := a.header["Idempotent-Replayed"]; ok {
		t.Errorf("headers without a key: %v", a.header)
	}
}

// TestOpenAPIDocumentsIdempotencyKeys: every POST and DELETE takes the
// Idempotency-Key header and documents its 400, 409 (with Retry-After)
// and 422, and every answer that can be replayed documents
// Idempotent-Replayed. POST /v1/batches keys its batch instead of
// replaying a stored answer (batches.go; TestBatchIdempotencyKey).
func TestOpenAPIDocumentsIdempotencyKeys(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if method != "POST" && method != "DELETE" || method == "POST" && path == "/v1/batches" {
				continue
			}
			name := method + " " + path
			if p := op.Parameters.GetByInAndName("header", "Idempotency-Key"); p == nil || p.Required {
				t.Errorf("%s: no optional Idempotency-Key header parameter", name)
			}
			for _, status := range []string{"400", "409", "422"} {
				r := op.Responses.Value(status)
				if r == nil || r.Value.Description == nil || !strings.Contains(*r.Value.Description, "Idempotency-Key") {
					t.Errorf("%s: %s does not document the Idempotency-Key answer", name, status)
				}
			}
			if r := op.Responses.Value("409"); r != nil && r.Value.Headers["Retry-After"] == nil {
				t.Errorf("%s: 409 without Retry-After", name)
			}
			for status, r := range op.Responses.Map() {
				replayable := status != "401" && !strings.HasPrefix(status, "5")
				if got := r.Value.Headers["Idempotent-Replayed"] != nil; got != replayable {
					t.Errorf("%s: %s documents Idempotent-Replayed = %v, want %v", name, status, got, replayable)
				}
			}
		}
	}
}

// completeStore fails CompleteIdempotent while fail is set, and
// ReleaseIdempotent and CreateTarget while failRelease and failCreate are.
type completeStore struct {
	store.Store
	fail, failRelease, failCreate atomic.Bool
}

func (s *completeStore) CompleteIdempotent(ctx context.Context, orgID int64, key, token string, resp store.IdempotentResponse) error {
	if s.fail.Load() {
		return errors.New("store down")
	}
	return s.Store.CompleteIdempotent(ctx, orgID, key, token, resp)
}

func (s *completeStore) ReleaseIdempotent(ctx context.Context, orgID int64, key, token string) error {
	if s.failRelease.Load() {
		return errors.New("store down")
	}
	return s.Store.ReleaseIdempotent(ctx, orgID, key, token)
}

func (s *completeStore) CreateTarget(ctx context.Context, t store.Target) (store.Target, error) {
	if s.failCreate.Load() {
		return store.Target{}, errors.New("targets down")
	}
	return s.Store.CreateTarget(ctx, t)
}

// TestIdempotentResponseNotStored: when the response of a request with an
// Idempotency-Key cannot be stored, the work is done all the same: the
// client gets its answer, and the operator an error in the log. A stored
// response logs no error.
func TestIdempotentResponseNotStored(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		logs := &syncBuffer{}
		cs := &completeStore{Store: env.Store}
		e := startAPIWith(t, env, api.Params{Wait: 20 * time.Second, Store: cs, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		const logged = "store idempotent response"

		first := e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), "create-1"), appBody)
		if first.status != 201 {
			t.Fatalf("create: %d %s", first.status, first.body)
		}
		wantReplay(t, "create", first, e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), "create-1"), appBody))
		if strings.Contains(logs.String(), "level=ERROR") {
			t.Errorf("a stored response logged an error:\n%s", logs)
		}

		cs.fail.Store(true)
		second := e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), "create-2"), `{"name": "Sales", "answer_url": "`+answerURL+`"}`)
		if second.status != 201 {
			t.Errorf("create with the store failing: %d %s, want the app created", second.status, second.body)
		}
		if !strings.Contains(logs.String(), logged) || !strings.Contains(logs.String(), "store down") {
			t.Errorf("log %q, want %q with the store's error", logs, logged)
		}
	})
}

// TestIdempotentClaimNotReleased: a request with an Idempotency-Key that
// fails with a 5xx releases its claim, so the retry runs again; when the
// release itself fails, the operator gets an error in the log. A release
// that works logs no error.
func TestIdempotentClaimNotReleased(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		logs := &syncBuffer{}
		cs := &completeStore{Store: env.Store}
		e := startAPIWith(t, env, api.Params{Wait: 20 * time.Second, Store: cs, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		const logged = "release idempotency key"

		cs.failCreate.Store(true)
		if got := e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), "create-1"), appBody); got.status != 500 {
			t.Fatalf("create with targets down: %d %s, want 500", got.status, got.body)
		}
		if strings.Contains(logs.String(), logged) {
			t.Errorf("a released claim logged an error:\n%s", logs)
		}
		cs.failCreate.Store(false)
		if got := e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), "create-1"), appBody); got.status != 201 || got.replayed() {
			t.Errorf("retry after the 500: %d %s, want the app created", got.status, got.body)
		}

		cs.failCreate.Store(true)
		cs.failRelease.Store(true)
		if got := e.send(t, "POST", "/sfvopi/apps", with(xAPIKey(e.key), "create-2"), appBody); got.status != 500 {
			t.Errorf("create with targets and releases down: %d %s, want 500", got.status, got.body)
		}
		if !strings.Contains(logs.String(), logged) || !strings.Contains(logs.String(), "store down") {
			t.Errorf("log %q, want %q with the store's error", logs, logged)
		}
	})
}
