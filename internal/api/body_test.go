package api_test

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestUnknownFieldsAreRefused: a body member the endpoint does not know is
// a 400 that names it, in the family's envelope, and nothing runs. A
// client sending a field this version lacks (callback_url to an older
// server, a misspelt name) learns that it was not understood.
func TestUnknownFieldsAreRefused(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPI(t, env, 20*time.Second, nil)
	e.mustAddNumbers(t, "+12125551234")
	appID := e.createApp(t, e.key, "one")
	agentID := e.createAgent(t, e.key, "one")
	const want = `Invalid request body: unknown field "foo"`
	for _, c := range []struct {
		path    string
		headers map[string]string
		body    map[string]any
		// message is the family's field that carries the detail.
		message string
	}{
		{"/sfvopi/apps", xAPIKey(e.key), map[string]any{"name": "x", "answer_url": "https://example.com/a", "foo": 1}, "message"},
		{"/sfvopi/apps/" + appID + "/numbers", xAPIKey(e.key), map[string]any{"voip_number": "+12125551234", "foo": 1}, "message"},
		{"/api/agent", token(e.key), map[string]any{"name": "x", "answer_url": "https://example.com/a", "foo": 1}, "message"},
		{"/api/agent/attach-phone-number", token(e.key), map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12125551234"}, "foo": 1}, "message"},
		{"/api/call/add-phone", bearer(e.key), func() map[string]any {
			b := addPhoneBody("12025551234", twiliotest.SandboxAuthToken)
			b["foo"] = 1
			return b
		}(), "errorMessage"},
		{"/api/users", bearer(e.key), map[string]any{"name": "Grace", "foo": 1}, "errorMessage"},
	} {
		code, body := e.do(t, "POST", c.path, c.headers, c.body)
		got := str(body, c.message)
		if c.message == "errorMessage" {
			got = str(body, "message") + ": " + got
		}
		if code != 400 || got != want {
			t.Errorf("POST %s with an unknown field: %d %v, want 400 %q", c.path, code, body, want)
		}
	}
	if n := countJobs(t, e, "number:attach"); n != 0 {
		t.Errorf("%d attach jobs ran for refused bodies", n)
	}
	if code, body := e.do(t, "GET", "/sfvopi/apps/"+appID+"/numbers", xAPIKey(e.key), nil); code != 200 || len(body["data"].([]any)) != 0 {
		t.Errorf("links after refused bodies: %d %v", code, body)
	}
}

// TestDocumentedFieldsAreAccepted: every field the seeds and docs/api.md
// document, extensions included, still gets through the strict decoder.
func TestDocumentedFieldsAreAccepted(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPI(t, env, 20*time.Second, nil)
	if code, body := e.do(t, "POST", "/sfvopi/apps", xAPIKey(e.key), map[string]any{"name": "x", "answer_url": "https://example.com/a", "hangup_url": "https://example.com/h"}); code != 201 {
		t.Errorf("create app with hangup_url: %d %v", code, body)
	}
	if code, body := e.do(t, "POST", "/api/users", bearer(e.key), map[string]any{"id": "0123456789abcdef01234567", "name": "Grace"}); code != 201 {
		t.Errorf("create user with id: %d %v", code, body)
	}
	b := addPhoneBody("12125551234", twiliotest.SandboxAuthToken)
	b["override"] = false
	if code, body := e.do(t, "POST", "/api/call/add-phone", bearer(e.key), b); code != 201 {
		t.Errorf("add-phone with override: %d %v", code, body)
	}
}
