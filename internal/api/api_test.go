package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
)

// apiEnv is the API served over HTTP on a running back end.
type apiEnv struct {
	*workertest.Env
	url string
	key string
}

func startAPI(t *testing.T, env *workertest.Env, wait time.Duration, ping func(context.Context) error) *apiEnv {
	t.Helper()
	return startAPIWith(t, env, api.Params{Wait: wait, Ping: ping})
}

// startAPIWith serves the API on env with p's settings; p's Store, Jobs,
// Logger and (when nil) Ping and Store are env's.
func startAPIWith(t *testing.T, env *workertest.Env, p api.Params) *apiEnv {
	t.Helper()
	if p.Ping == nil {
		p.Ping = func(ctx context.Context) error { return env.Redis.Ping(ctx).Err() }
	}
	if p.Store == nil {
		p.Store = env.Store
	}
	p.Jobs = env.Jobs
	if p.Logger == nil {
		p.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv := httptest.NewServer(api.NewServer(p))
	t.Cleanup(srv.Close)
	return &apiEnv{Env: env, url: srv.URL, key: newKey(t, env, env.OrgID)}
}

func apiParams(wait time.Duration, region string) api.Params {
	return api.Params{Wait: wait, DefaultRegion: region}
}

// newKey stores a new API key of orgID and returns it.
func newKey(t *testing.T, env *workertest.Env, orgID int64) string {
	t.Helper()
	plain, k := api.NewAPIKey(orgID)
	if err := env.Store.CreateAPIKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return plain
}

// newOrg creates another org in the env's store and returns its id and key.
func (e *apiEnv) newOrg(t *testing.T, name string) (int64, string) {
	t.Helper()
	org, err := e.Store.CreateOrg(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return org.ID, newKey(t, e.Env, org.ID)
}

// do sends a request and decodes the JSON answer into a generic map.
func (e *apiEnv) do(t *testing.T, method, path string, headers map[string]string, body any) (int, map[string]any) {
	t.Helper()
	code, _, out := e.call(t, method, path, headers, body)
	return code, out
}

// call is do with the response headers.
func (e *apiEnv) call(t *testing.T, method, path string, headers map[string]string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var raw string
	switch b := body.(type) {
	case nil:
	case string:
		raw = b
	default:
		j, _ := json.Marshal(b)
		raw = string(j)
	}
	r := e.send(t, method, path, headers, raw)
	var out map[string]any
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v", method, path, err)
	}
	return r.status, r.header, out
}

// raw sends target exactly as written on the request line, bypassing
// net/url's escaping, checks the answer against openapi.json and decodes
// it.
func (e *apiEnv) raw(t *testing.T, method, target string, headers map[string]string) (int, map[string]any) {
	t.Helper()
	status, header, raw := e.rawRequest(t, method, target, headers, "")
	req, err := http.NewRequest(method, e.url+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkDocumented(t, req, status, header, raw)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v", method, target, err)
	}
	return status, out
}

// mustAddNumbers adds sandbox numbers to the env's org through the worker.
func (e *apiEnv) mustAddNumbers(t *testing.T, numbers ...string) {
	t.Helper()
	for _, n := range numbers {
		job, err := e.Jobs.AddPhone(context.Background(), jobs.AddPhoneRequest{OrgID: e.OrgID, UserID: workertest.UserID,
			PhoneNumber: n, Provider: jobs.ProviderTwilio, Credentials: workertest.TwilioCreds})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, err := e.Jobs.Wait(ctx, job)
		cancel()
		if err != nil || out.State != jobs.StateSucceeded {
			t.Fatalf("add %s: %+v %v", n, out, err)
		}
	}
}

// tasksOf lists the ids of every task of type typ in Redis, in any queue
// and any state (pending to completed): what was enqueued, whether or not
// a worker has run it.
func tasksOf(t *testing.T, e *apiEnv, typ string) []string {
	t.Helper()
	insp := asynq.NewInspectorFromRedisClient(e.Redis)
	queues, err := insp.Queues()
	if err != nil {
		t.Fatal(err)
	}
	// A task can move between the lists while they are read (the answer
	// comes once the job's outcome is stored, before asynq marks the task
	// completed), so the same id may be read twice: count it once.
	var ids []string
	seen := map[string]bool{}
	for _, q := range queues {
		for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
			insp.ListPendingTasks, insp.ListActiveTasks, insp.ListScheduledTasks,
			insp.ListRetryTasks, insp.ListArchivedTasks, insp.ListCompletedTasks,
		} {
			tasks, err := list(q, asynq.PageSize(10000))
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range tasks {
				if task.Type == typ && !seen[task.ID] {
					seen[task.ID] = true
					ids = append(ids, task.ID)
				}
			}
		}
	}
	return ids
}

// eventually polls cond until it holds or ten seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Header sets for each way of presenting a key.
func xAPIKey(k string) map[string]string { return map[string]string{"X-API-Key": k} }
func bearer(k string) map[string]string  { return map[string]string{"Authorization": "Bearer " + k} }
func token(k string) map[string]string   { return map[string]string{"token": k} }

// isoMillis matches the seeds' timestamps.
var isoMillis = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// str returns m[k] as a string ("" if it is not one).
func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// dataOf returns body["data"] as an object.
func dataOf(body map[string]any) map[string]any {
	d, _ := body["data"].(map[string]any)
	return d
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), time.Second, nil)
	if code, body := e.do(t, "GET", "/healthz", nil, nil); code != 200 || body["status"] != "ok" {
		t.Errorf("healthz = %d %v", code, body)
	}
	if code, body := e.do(t, "GET", "/readyz", nil, nil); code != 200 || body["redis"] != "ok" || body["database"] != "ok" {
		t.Errorf("readyz = %d %v", code, body)
	}
}

func TestReadyzReportsUnreachableRedis(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPI(t, env, time.Second, func(context.Context) error { return errors.New("connection refused") })
	if code, body := e.do(t, "GET", "/readyz", nil, nil); code != 503 || body["redis"] != "unreachable" || body["database"] != "ok" {
		t.Errorf("readyz = %d %v, want 503 with redis unreachable", code, body)
	}
}
