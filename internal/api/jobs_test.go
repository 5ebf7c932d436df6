package api_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
)

func TestGetJob(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPIWith(t, env, api.Params{Wait: 20 * time.Second, Queue: asynq.NewInspectorFromRedisClient(env.Redis)})
	e.mustAddNumbers(t, "+12125551234")
	agentID := e.createAgent(t, e.key, "one")
	code, body := e.do(t, "POST", "/api/agent/attach-phone-number", token(e.key), map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12125551234"}})
	jobID := str(dataOf(body), "job_id")
	if code != 200 || jobID == "" {
		t.Fatalf("attach: %d %v", code, body)
	}

	code, body = e.do(t, "GET", "/v1/jobs/"+jobID, xAPIKey(e.key), nil)
	job := dataOf(body)
	for _, k := range []string{"created_at", "updated_at", "finished_at"} {
		if !isoMillis.MatchString(str(job, k)) {
			t.Errorf("%s = %v, want ISO 8601", k, job[k])
		}
	}
	var result struct {
		TargetID string `json:"target_id"`
		Numbers  []struct {
			LinkedAt string `json:"linked_at"`
		} `json:"numbers"`
	}
	if raw, _ := json.Marshal(job["result"]); json.Unmarshal(raw, &result) != nil || result.TargetID != agentID || len(result.Numbers) != 1 {
		t.Errorf("result = %v, want the attach result", job["result"])
	} else if !isoMillis.MatchString(result.Numbers[0].LinkedAt) {
		// The same precision as the attach answer's linked_at.
		t.Errorf("result linked_at = %q, want ISO 8601 with milliseconds", result.Numbers[0].LinkedAt)
	}
	want := map[string]any{"data": map[string]any{
		"id": jobID, "type": "number:attach", "state": "succeeded", "org_id": float64(e.OrgID),
		"numbers": []any{"+12125551234"}, "attempts": float64(1), "error": nil,
		"result": job["result"], "changes": job["changes"],
		"created_at": job["created_at"], "updated_at": job["updated_at"], "finished_at": job["finished_at"], "cancel_requested": nil,
		// The request's history: this one run.
		"request": jobs.RequestOf(jobID),
		"runs":    []any{map[string]any{"id": jobID, "state": "succeeded", "created_at": job["created_at"]}},
	}}
	if diff := cmp.Diff(want, body); code != 200 || diff != "" {
		t.Errorf("job: %d (-want +got):\n%s", code, diff)
	}
	if _, ok := job["changes"].([]any); !ok {
		t.Errorf("changes = %v, want the provider changes", job["changes"])
	}

	// A job no worker has started has no record; the queue knows it.
	queued := enqueueLater(t, e, "attach-queued", e.OrgID)
	code, body = e.do(t, "GET", "/v1/jobs/"+queued, xAPIKey(e.key), nil)
	want = map[string]any{"data": map[string]any{
		"id": queued, "type": "number:attach", "state": "queued", "org_id": float64(e.OrgID),
		"numbers": []any{"+12025551234"}, "attempts": float64(0), "error": nil, "result": nil, "changes": nil,
		"created_at": nil, "updated_at": nil, "finished_at": nil, "cancel_requested": nil,
		"request": "attach-queued", "runs": []any{},
	}}
	if diff := cmp.Diff(want, body); code != 200 || diff != "" {
		t.Errorf("queued job: %d (-want +got):\n%s", code, diff)
	}

	otherOrg, otherKey := e.newOrg(t, "other")
	otherQueued := enqueueLater(t, e, "attach-other", otherOrg)
	for _, c := range []struct {
		name    string
		headers map[string]string
		id      string
		code    int
		body    map[string]any
	}{
		{"no key", nil, jobID, 401, map[string]any{"error": map[string]any{"code": "unauthorized", "message": "Missing or invalid API key"}}},
		{"unknown", xAPIKey(e.key), "attach-nope", 404, map[string]any{"error": map[string]any{"code": "not_found", "message": "Job not found"}}},
		{"another org's record", xAPIKey(otherKey), jobID, 404, map[string]any{"error": map[string]any{"code": "not_found", "message": "Job not found"}}},
		{"another org's queued job", xAPIKey(e.key), otherQueued, 404, map[string]any{"error": map[string]any{"code": "not_found", "message": "Job not found"}}},
	} {
		code, body := e.do(t, "GET", "/v1/jobs/"+c.id, c.headers, nil)
		if diff := cmp.Diff(c.body, body); code != c.code || diff != "" {
			t.Errorf("%s: %d, want %d; body (-want +got):\n%s", c.name, code, c.code, diff)
		}
	}

	// Without Params.Queue a job that is only queued is not found.
	plain := startAPI(t, env, 20*time.Second, nil)
	if code, body := plain.do(t, "GET", "/v1/jobs/"+queued, xAPIKey(plain.key), nil); code != 404 {
		t.Errorf("queued job without Params.Queue: %d %v", code, body)
	}
}

// enqueueLater puts an attach task for orgID in the queue, due in an hour,
// so no worker records it during the test.
func enqueueLater(t *testing.T, e *apiEnv, id string, orgID int64) string {
	t.Helper()
	payload, _ := json.Marshal(jobs.Attach{OrgID: orgID, TargetID: "agent_x", Numbers: []string{"+12025551234"}})
	c := asynq.NewClientFromRedisClient(e.Redis)
	if _, err := c.Enqueue(asynq.NewTask(jobs.TypeAttach, payload), asynq.TaskID(id), asynq.Queue(jobs.QueueCritical), asynq.ProcessIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestJobRunningState: a job a worker is running is "running", not
// asynq's "active".
func TestJobRunningState(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	// A first attempt has no record until it ends: the queue reports it.
	e := startAPIWith(t, env, api.Params{Wait: 50 * time.Millisecond, Queue: asynq.NewInspectorFromRedisClient(env.Redis)})
	e.mustAddNumbers(t, "+12125551234")
	agentID := e.createAgent(t, e.key, "one")
	slow(t, e, time.Second)
	code, body := e.do(t, "POST", "/api/agent/attach-phone-number", token(e.key), map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12125551234"}})
	jobID := str(dataOf(body), "job_id")
	if code != 202 || jobID == "" {
		t.Fatalf("slow attach: %d %v", code, body)
	}
	waitJob(t, e, jobID, "running")
	job := waitJob(t, e, jobID, "succeeded")
	runs, _ := job["runs"].([]any)
	if len(runs) != 1 || runs[0].(map[string]any)["state"] != "succeeded" {
		t.Errorf("runs = %v, want this run, succeeded", job["runs"])
	}
}
