package api_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
)

// TestOrgIsolation: a key never sees another org's numbers, apps, agents,
// users or jobs; their ids answer 404 as if they did not exist.
func TestOrgIsolation(t *testing.T) {
	t.Parallel()
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), 20*time.Second, nil)
	e.mustAddNumbers(t, "+12125551234", "+12025551234")
	appID := e.createApp(t, e.key, "a")
	agentID := e.createAgent(t, e.key, "a")
	code, body := e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", xAPIKey(e.key), map[string]any{"voip_number": "+12125551234"})
	if code != 200 {
		t.Fatalf("link: %d %v", code, body)
	}
	code, body = e.do(t, "POST", "/api/agent/attach-phone-number", token(e.key), map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12025551234"}})
	jobID := str(dataOf(body), "job_id")
	if code != 200 {
		t.Fatalf("attach: %d %v", code, body)
	}

	_, other := e.newOrg(t, "other")
	otherApp := e.createApp(t, other, "b")
	otherAgent := e.createAgent(t, other, "b")
	sf, ag := xAPIKey(other), token(other)
	for _, c := range []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		body    any
		code    int
		message string
	}{
		{"get app", "GET", "/sfvopi/apps/" + appID, sf, nil, 404, "App not found"},
		{"delete app", "DELETE", "/sfvopi/apps/" + appID, sf, nil, 404, "App not found"},
		{"list app numbers", "GET", "/sfvopi/apps/" + appID + "/numbers", sf, nil, 404, "App not found"},
		{"link to app", "POST", "/sfvopi/apps/" + appID + "/numbers", sf, map[string]any{"voip_number": "+14155550100"}, 404, "App not found"},
		{"unlink from app", "DELETE", "/sfvopi/apps/" + appID + "/numbers/%2B12125551234", sf, nil, 404, "App not found"},
		{"link another org's number", "POST", "/sfvopi/apps/" + otherApp + "/numbers", sf, map[string]any{"voip_number": "+12125551234"}, 400, "Number not found or not owned by organization"},
		{"unlink another org's number", "DELETE", "/sfvopi/apps/" + otherApp + "/numbers/%2B12125551234", sf, nil, 404, "Number not linked to this app"},
		{"get agent", "GET", "/api/agent/" + agentID, ag, nil, 404, "Agent not found"},
		// The other org has no Twilio connection of its own.
		{"attach to another org's agent", "POST", "/api/agent/attach-phone-number", ag, map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12125551234"}}, 400, "Provider not configured for your account"},
		{"get user", "GET", "/api/users/" + workertest.UserID, bearer(other), nil, 404, "User not found"},
		{"add-phone for another org's user", "POST", "/api/call/add-phone", bearer(other), map[string]any{"userId": workertest.UserID, "phoneNumber": "14155550100", "integration": "twilio", "authToken": "x", "accSId": "AC00000000000000000000000000000001"}, 404, "User not found"},
	} {
		code, body := e.do(t, c.method, c.path, c.headers, c.body)
		if code != c.code || body["message"] != c.message {
			t.Errorf("%s: %d %v, want %d %q", c.name, code, body, c.code, c.message)
		}
	}
	code, body = e.do(t, "GET", "/v1/jobs/"+jobID, xAPIKey(other), nil)
	if code != 404 {
		t.Errorf("get another org's job: %d %v", code, body)
	}
	code, body = e.do(t, "GET", "/sfvopi/numbers/available", sf, nil)
	if diff := cmp.Diff(map[string]any{"data": []any{}, "message": "success"}, body); code != 200 || diff != "" {
		t.Errorf("another org's available numbers: %d (-want +got):\n%s", code, diff)
	}
	code, body = e.do(t, "GET", "/sfvopi/apps/"+otherApp+"/numbers", sf, nil)
	if diff := cmp.Diff(map[string]any{"data": []any{}, "message": "success"}, body); code != 200 || diff != "" {
		t.Errorf("the other org's own app: %d (-want +got):\n%s", code, diff)
	}
	if code, body := e.do(t, "GET", "/api/agent/"+otherAgent, token(e.key), nil); code != 404 || body["message"] != "Agent not found" {
		t.Errorf("the first org gets the other's agent: %d %v", code, body)
	}
	// Nothing of the first org changed.
	if e.voiceURL("+12125551234") != answerURL+"/a" || e.voiceURL("+12025551234") != agentURL+"/a" {
		t.Errorf("routes changed: %q %q", e.voiceURL("+12125551234"), e.voiceURL("+12025551234"))
	}
	if code, body := e.do(t, "GET", "/sfvopi/apps/"+appID, xAPIKey(e.key), nil); code != 200 {
		t.Errorf("own app after the other org's delete: %d %v", code, body)
	}
}
