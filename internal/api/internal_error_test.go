package api_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
)

// brokenStore authenticates keys and fails everything else, as a
// database that went away mid-request would.
type brokenStore struct{ store.Store }

var errDBDown = errors.New("db down: secret detail")

func (brokenStore) Ping(context.Context) error { return errDBDown }
func (brokenStore) CreateTarget(context.Context, store.Target) (store.Target, error) {
	return store.Target{}, errDBDown
}
func (brokenStore) GetTarget(context.Context, int64, string) (store.Target, error) {
	return store.Target{}, errDBDown
}
func (brokenStore) ListAvailableNumbers(context.Context, int64) ([]store.Number, error) {
	return nil, errDBDown
}
func (brokenStore) ListConnections(context.Context, int64) ([]store.Connection, error) {
	return nil, errDBDown
}
func (brokenStore) CreateUser(context.Context, store.User) (store.User, error) {
	return store.User{}, errDBDown
}
func (brokenStore) GetUser(context.Context, int64, string) (store.User, error) {
	return store.User{}, errDBDown
}
func (brokenStore) GetJob(context.Context, int64, string) (store.JobRecord, error) {
	return store.JobRecord{}, errDBDown
}

// TestInternalErrors: a failing database answers each family's 500
// without the error's details.
func TestInternalErrors(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPIWith(t, &workertest.Env{Store: brokenStore{env.Store}, Jobs: env.Jobs, Redis: env.Redis, OrgID: env.OrgID}, api.Params{Wait: 20 * time.Second})
	const app, agent = "app_000000000000000000000000", "agent_000000000000000000000000"
	for _, c := range []struct {
		method, path string
		headers      map[string]string
		body         any
		message      string
	}{
		{"POST", "/sfvopi/apps", xAPIKey(e.key), map[string]any{"name": "a", "answer_url": answerURL}, "Failed to create app: internal error"},
		{"GET", "/sfvopi/apps/" + app, xAPIKey(e.key), nil, "Failed to get app: internal error"},
		{"DELETE", "/sfvopi/apps/" + app, xAPIKey(e.key), nil, "Failed to delete app: internal error"},
		{"POST", "/sfvopi/apps/" + app + "/numbers", xAPIKey(e.key), map[string]any{"voip_number": "+12125551234"}, "Failed to link number: internal error"},
		{"GET", "/sfvopi/apps/" + app + "/numbers", xAPIKey(e.key), nil, "Failed to get numbers: internal error"},
		{"DELETE", "/sfvopi/apps/" + app + "/numbers/%2B12125551234", xAPIKey(e.key), nil, "Failed to unlink number: internal error"},
		{"GET", "/sfvopi/numbers/available", xAPIKey(e.key), nil, "Failed to get available numbers: internal error"},
		{"POST", "/api/agent", token(e.key), map[string]any{"name": "a", "answer_url": agentURL}, "Internal server error"},
		{"GET", "/api/agent/" + agent, token(e.key), nil, "Internal server error"},
		{"POST", "/api/agent/attach-phone-number", token(e.key), map[string]any{"agent_id": agent, "provider": "twilio", "numbers": []string{"+12125551234"}}, "Internal server error"},
		{"POST", "/api/users", bearer(e.key), map[string]any{"name": "a"}, "Internal server error"},
		{"GET", "/api/users/" + workertest.UserID, bearer(e.key), nil, "Internal server error"},
		{"POST", "/api/call/add-phone", bearer(e.key), addPhoneBody("12125551234", "token"), "Internal server error"},
	} {
		code, body := e.do(t, c.method, c.path, c.headers, c.body)
		if code != 500 || body["message"] != c.message {
			t.Errorf("%s %s: %d %v, want 500 %q", c.method, c.path, code, body, c.message)
		}
		if strings.Contains(fmt.Sprint(body), "secret detail") {
			t.Errorf("%s %s: the answer shows the internal error: %v", c.method, c.path, body)
		}
	}
	code, body := e.do(t, "GET", "/v1/jobs/x", xAPIKey(e.key), nil)
	if errBody, _ := body["error"].(map[string]any); code != 500 || errBody["code"] != "internal" || errBody["message"] != "Internal server error" {
		t.Errorf("GET /v1/jobs/x: %d %v", code, body)
	}
	if code, body := e.do(t, "GET", "/readyz", nil, nil); code != 503 || body["database"] != "unreachable" || body["redis"] != "ok" {
		t.Errorf("readyz: %d %v", code, body)
	}
}
