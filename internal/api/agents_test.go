package api_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

const agentURL = "https://agents.example.com/answer"

var agentIDShape = regexp.MustCompile(`^agent_[0-9a-f]{24}$`)

// createAgent makes an agent through the API and returns its id.
func (e *apiEnv) createAgent(t *testing.T, key, name string) string {
	t.Helper()
	code, body := e.do(t, "POST", "/api/agent", token(key), map[string]any{"name": name, "answer_url": agentURL + "/" + name})
	if code != 201 {
		t.Fatalf("create agent: %d %v", code, body)
	}
	return str(dataOf(body), "agent_id")
}

// checkAgentEnvelope checks seed 003's envelope around body and removes
// its timestamp, so the rest can be compared.
func checkAgentEnvelope(t *testing.T, what string, code int, body map[string]any) {
	t.Helper()
	ts, ok := body["timestamp"].(float64)
	if now := float64(time.Now().UnixMilli()); !ok || ts < now-60_000 || ts > now+1000 {
		t.Errorf("%s: timestamp = %v, want Unix milliseconds of now", what, body["timestamp"])
	}
	if body["code"] != float64(code) || body["error"] != (code >= 400) {
		t.Errorf("%s: envelope code %v error %v for status %d", what, body["code"], body["error"], code)
	}
	delete(body, "timestamp")
}

func TestAgentAttach(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		e.mustAddNumbers(t, "+12125551234", "+12025551234")

		code, body := e.do(t, "POST", "/api/agent", map[string]string{"api_access_token": e.key}, map[string]any{"name": "Receptionist", "answer_url": agentURL})
		checkAgentEnvelope(t, "create", code, body)
		agent := dataOf(body)
		agentID := str(agent, "agent_id")
		if code != 201 || !agentIDShape.MatchString(agentID) || !isoMillis.MatchString(str(agent, "created_at")) {
			t.Fatalf("create: %d %v", code, body)
		}
		wantAgent := map[string]any{"error": false, "code": float64(201), "message": "Agent created successfully",
			"data": map[string]any{"agent_id": agentID, "name": "Receptionist", "answer_url": agentURL, "org_id": float64(e.OrgID), "created_at": agent["created_at"]}}
		if diff := cmp.Diff(wantAgent, body); diff != "" {
			t.Errorf("create (-want +got):\n%s", diff)
		}
		code, body = e.do(t, "GET", "/api/agent/"+agentID, token(e.key), nil)
		checkAgentEnvelope(t, "get", code, body)
		wantAgent["code"], wantAgent["message"] = float64(200), "Agent fetched successfully"
		if diff := cmp.Diff(wantAgent, body); code != 200 || diff != "" {
			t.Errorf("get: %d (-want +got):\n%s", code, diff)
		}

		req := map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12125551234", "+12025551234"}}
		code, body = e.do(t, "POST", "/api/agent/attach-phone-number", token(e.key), req)
		checkAgentEnvelope(t, "attach", code, body)
		data := dataOf(body)
		if code != 200 || !isoMillis.MatchString(str(data, "attached_at")) || str(data, "job_id") == "" {
			t.Fatalf("attach: %d %v", code, body)
		}
		outcomes, _ := data["numbers"].([]any)
		linkedAt := func(i int) any {
			if i < len(outcomes) {
				return outcomes[i].(map[string]any)["linked_at"]
			}
			return nil
		}
		want := map[string]any{"error": false, "code": float64(200), "message": "Phone number(s) attached successfully",
			"data": map[string]any{
				"agent_id": agentID, "phone_numbers": []any{"+12125551234", "+12025551234"}, "provider": "twilio",
				"attached_at": data["attached_at"], "status": "active", "job_id": data["job_id"],
				"numbers": []any{
					map[string]any{"number": "+12125551234", "status": "linked", "provider": "twilio", "linked_at": linkedAt(0)},
					map[string]any{"number": "+12025551234", "status": "linked", "provider": "twilio", "linked_at": linkedAt(1)},
				},
			}}
		if diff := cmp.Diff(want, body); diff != "" {
			t.Errorf("attach (-want +got):\n%s", diff)
		}
		for _, n := range []string{"+12125551234", "+12025551234"} {
			if got := e.voiceURL(n); got != agentURL {
				t.Errorf("%s routes to %q, want the agent's answer_url", n, got)
			}
		}

		// Again: already attached, success without provider writes.
		e.Twilio.ResetCalls()
		code, body = e.do(t, "POST", "/api/agent/attach-phone-number", bearer(e.key), map[string]any{"agent_id": agentID, "provider": "Twilio", "numbers": []string{"+12125551234"}})
		checkAgentEnvelope(t, "attach again", code, body)
		data = dataOf(body)
		if code != 200 || data["status"] != "active" || data["provider"] != "twilio" || e.Twilio.Writes() != 0 {
			t.Errorf("attach again: %d %v, %d writes", code, body, e.Twilio.Writes())
		}
		if o, _ := data["numbers"].([]any); len(o) != 1 || o[0].(map[string]any)["status"] != "already_linked" {
			t.Errorf("attach again: outcomes %v, want already_linked", data["numbers"])
		}
	})
}

// TestAgentAttachErrors checks seed 003's errors in the documented order;
// none enqueues a job or touches the provider.
func TestAgentAttachErrors(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		e.mustAddNumbers(t, "+12125551234", "+12025551234", "+14155550100")
		agentID := e.createAgent(t, e.key, "one")
		otherAgent := e.createAgent(t, e.key, "two")
		appID := e.createApp(t, e.key, "app")
		attach := func(agent string, numbers ...string) {
			t.Helper()
			code, body := e.do(t, "POST", "/api/agent/attach-phone-number", token(e.key), map[string]any{"agent_id": agent, "provider": "twilio", "numbers": numbers})
			if code != 200 {
				t.Fatalf("attach: %d %v", code, body)
			}
		}
		attach(otherAgent, "+12025551234")
		if code, body := e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", xAPIKey(e.key), map[string]any{"voip_number": "+14155550100"}); code != 200 {
			t.Fatalf("link: %d %v", code, body)
		}
		// A Plivo connection without numbers: Twilio numbers are not Plivo's.
		sealed, err := e.Keys.SealCredentials(jobs.Credentials{AccountID: "MA0000000000000000001", Secret: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Store.UpsertConnection(context.Background(), store.Connection{ID: store.NewID(), OrgID: e.OrgID, Provider: "plivo", AccountID: "MA0000000000000000001", Credentials: sealed}); err != nil {
			t.Fatal(err)
		}
		e.Twilio.ResetCalls()
		before := countJobs(t, e, jobs.TypeAttach)

		auth := token(e.key)
		req := func(agent, provider string, numbers ...string) map[string]any {
			return map[string]any{"agent_id": agent, "provider": provider, "numbers": numbers}
		}
		many := make([]string, jobs.MaxNumbersPerAttach+1)
		for i := range many {
			many[i] = fmt.Sprintf("+1212555%04d", i)
		}
		const unknownAgent = "agent_000000000000000000000000"
		cases := []struct {
			name    string
			headers map[string]string
			body    any
			code    int
			message string
		}{
			{"no key", nil, req(agentID, "twilio", "+12125551234"), 401, "Invalid or missing API key"},
			{"wrong token", token("sbk_000000000000_00"), req(agentID, "twilio", "+12125551234"), 401, "Invalid or missing API key"},
			{"wrong api_access_token", map[string]string{"api_access_token": e.key + "x"}, req(agentID, "twilio", "+12125551234"), 401, "Invalid or missing API key"},
			{"not JSON", auth, "[", 400, "Invalid request body"},
			{"numbers not an array", auth, map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": "+12125551234"}, 400, "Invalid request body"},
			{"empty body", auth, map[string]any{}, 400, "Agent ID is required"},
			{"no agent id, bad number", auth, req("", "", "12"), 400, "Agent ID is required"},
			{"no provider", auth, req(agentID, "", "+12125551234"), 400, "Provider is required"},
			{"no provider, no numbers", auth, req(agentID, " "), 400, "Provider is required"},
			{"no numbers", auth, map[string]any{"agent_id": agentID, "provider": "twilio"}, 400, "Phone number(s) are required"},
			{"empty numbers", auth, req(agentID, "twilio"), 400, "Phone number(s) are required"},
			{"missing +", auth, req(agentID, "twilio", "918062810341"), 400, "Invalid phone number format. Use E.164 format"},
			{"punctuation", auth, req(agentID, "twilio", "(918) 062-810341"), 400, "Invalid phone number format. Use E.164 format"},
			{"spaces", auth, req(agentID, "twilio", "+91 8062 810341"), 400, "Invalid phone number format. Use E.164 format"},
			{"not canonical", auth, req(agentID, "twilio", "+4402012345678"), 400, "Invalid phone number format. Use E.164 format"},
			{"one bad among good", auth, req(agentID, "twilio", "+12125551234", "+1212"), 400, "Invalid phone number format. Use E.164 format"},
			{"bad number before unknown provider", auth, req(agentID, "nope", "12125551234"), 400, "Invalid phone number format. Use E.164 format"},
			{"too many numbers", auth, req(agentID, "twilio", many...), 422, fmt.Sprintf("At most %d phone numbers per request", jobs.MaxNumbersPerAttach)},
			// The cap counts distinct numbers: the cap exactly, plus a repeat,
			// gets past it (to the inventory check).
			{"the cap and a repeat", auth, req(agentID, "twilio", slices.Concat(many[:jobs.MaxNumbersPerAttach], many[:1])...), 400, "Number not found or not owned by organization"},
			{"too many, bad number after the cap", auth, req(agentID, "twilio", slices.Concat(many, []string{"12"})...), 422, fmt.Sprintf("At most %d phone numbers per request", jobs.MaxNumbersPerAttach)},
			{"unknown provider", auth, req(agentID, "nope", "+12125551234"), 422, "Unsupported provider. Use one of: san, ozonetell, twilio, exotel, telnyx, vonage, plivo, bandwidth"},
			{"unknown provider before unknown agent", auth, req(unknownAgent, "nope", "+12125551234"), 422, "Unsupported provider. Use one of: san, ozonetell, twilio, exotel, telnyx, vonage, plivo, bandwidth"},
			{"seed provider without adapter", auth, req(agentID, "vonage", "+12125551234"), 400, "Provider not configured for your account"},
			{"provider without connection", auth, req(agentID, "telnyx", "+12125551234"), 400, "Provider not configured for your account"},
			{"not configured before unknown agent", auth, req(unknownAgent, "telnyx", "+12125551234"), 400, "Provider not configured for your account"},
			{"unknown agent", auth, req(unknownAgent, "twilio", "+12125551234"), 404, "Agent not found"},
			{"an app is not an agent", auth, req(appID, "twilio", "+12125551234"), 404, "Agent not found"},
			{"unknown agent before unknown number", auth, req(unknownAgent, "twilio", "+12125550000"), 404, "Agent not found"},
			{"number not in inventory", auth, req(agentID, "twilio", "+12125551234", "+12125550000"), 400, "Number not found or not owned by organization"},
			{"number on another provider", auth, req(agentID, "plivo", "+12125551234"), 400, "Number not found or not owned by organization"},
			{"attached to another agent", auth, req(agentID, "twilio", "+12125551234", "+12025551234"), 409, "Phone number is already attached to another agent"},
			{"linked to an app", auth, req(agentID, "twilio", "+14155550100"), 409, "Phone number is already attached to another agent"},
		}
		for _, c := range cases {
			code, body := e.do(t, "POST", "/api/agent/attach-phone-number", c.headers, c.body)
			checkAgentEnvelope(t, c.name, code, body)
			want := map[string]any{"error": true, "code": float64(c.code), "message": c.message, "data": nil}
			if diff := cmp.Diff(want, body); code != c.code || diff != "" {
				t.Errorf("%s: %d, want %d; body (-want +got):\n%s", c.name, code, c.code, diff)
			}
		}
		if n := countJobs(t, e, jobs.TypeAttach); n != before || e.Twilio.Writes() != 0 {
			t.Errorf("rejected attaches made %d jobs and %d provider writes", n-before, e.Twilio.Writes())
		}
		if got := e.voiceURL("+12125551234"); got == agentURL+"/one" {
			t.Errorf("a rejected attach routed the number to the agent")
		}
	})
}

func TestCreateAgentErrors(t *testing.T) {
	t.Parallel()
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), 20*time.Second, nil)
	appID := e.createApp(t, e.key, "app")
	for _, c := range []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		body    any
		code    int
		message string
	}{
		{"create without key", "POST", "/api/agent", nil, map[string]any{"name": "a", "answer_url": agentURL}, 401, "Invalid or missing API key"},
		{"not JSON", "POST", "/api/agent", token(e.key), "x", 400, "Invalid request body"},
		{"no name", "POST", "/api/agent", token(e.key), map[string]any{"answer_url": agentURL}, 400, "Invalid request body: name is required"},
		{"bad answer_url", "POST", "/api/agent", token(e.key), map[string]any{"name": "a", "answer_url": "agents.example.com"}, 400, "Invalid request body: answer_url must be an absolute http or https URL"},
		{"get without key", "GET", "/api/agent/agent_000000000000000000000000", nil, nil, 401, "Invalid or missing API key"},
		{"get unknown", "GET", "/api/agent/agent_000000000000000000000000", token(e.key), nil, 404, "Agent not found"},
		{"get an app", "GET", "/api/agent/" + appID, token(e.key), nil, 404, "Agent not found"},
	} {
		code, body := e.do(t, c.method, c.path, c.headers, c.body)
		checkAgentEnvelope(t, c.name, code, body)
		want := map[string]any{"error": true, "code": float64(c.code), "message": c.message, "data": nil}
		if diff := cmp.Diff(want, body); code != c.code || diff != "" {
			t.Errorf("%s: %d, want %d; body (-want +got):\n%s", c.name, code, c.code, diff)
		}
	}
}

// TestAgentAttachPartialFailure: validation passes, then the provider
// refuses one number. The answer is that number's failure, with each
// number's outcome in data; the other number stays attached.
func TestAgentAttachPartialFailure(t *testing.T) {
	t.Parallel()
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), 20*time.Second, nil)
	e.mustAddNumbers(t, "+12125551234", "+12025551234")
	agentID := e.createAgent(t, e.key, "one")
	if err := e.Twilio.UpdateNumber(twiliotest.SandboxAccountSID, "+12025551234", func(n *twiliotest.Number) { n.TrunkSID = twiliotest.SandboxTrunkSID }); err != nil {
		t.Fatal(err)
	}
	code, body := e.do(t, "POST", "/api/agent/attach-phone-number", token(e.key),
		map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12125551234", "+12025551234"}})
	checkAgentEnvelope(t, "partial", code, body)
	data := dataOf(body)
	if msg := str(body, "message"); code != 500 || !strings.HasPrefix(msg, "Failed to attach phone number(s): ") || len(msg) <= len("Failed to attach phone number(s): ") {
		t.Fatalf("partial failure: %d %v", code, body)
	}
	outcomes, _ := data["numbers"].([]any)
	if len(outcomes) != 2 {
		t.Fatalf("outcomes %v", data)
	}
	first, second := outcomes[0].(map[string]any), outcomes[1].(map[string]any)
	want := map[string]any{"agent_id": agentID, "provider": "twilio", "job_id": data["job_id"], "numbers": []any{
		map[string]any{"number": "+12125551234", "status": "linked", "provider": "twilio", "linked_at": first["linked_at"]},
		map[string]any{"number": "+12025551234", "status": "failed", "code": "conflict", "message": second["message"]},
	}}
	if diff := cmp.Diff(want, data); diff != "" || !isoMillis.MatchString(str(first, "linked_at")) || str(second, "message") == "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	linked := func(number string) bool {
		n, err := e.Store.GetNumber(context.Background(), e.OrgID, number)
		if err != nil {
			t.Fatal(err)
		}
		l, err := e.Store.GetLink(context.Background(), e.OrgID, n.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil && l.TargetID == agentID && l.Status == store.LinkActive
	}
	if !linked("+12125551234") || linked("+12025551234") {
		t.Errorf("after a partial failure: first linked %v, second linked %v; want true, false", linked("+12125551234"), linked("+12025551234"))
	}
	// The job record tells the same story.
	job := waitJob(t, e, str(data, "job_id"), "failed")
	if diff := cmp.Diff(map[string]any{"code": "conflict", "message": second["message"]}, job["error"]); diff != "" {
		t.Errorf("job error (-want +got):\n%s", diff)
	}
}

func TestAgentAttachAnswers202WhenTheProviderIsSlow(t *testing.T) {
	t.Parallel()
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), 100*time.Millisecond, nil)
	e.mustAddNumbers(t, "+12125551234")
	agentID := e.createAgent(t, e.key, "one")
	slow(t, e, 500*time.Millisecond)
	code, header, body := e.call(t, "POST", "/api/agent/attach-phone-number", token(e.key),
		map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12125551234"}})
	checkAgentEnvelope(t, "slow", code, body)
	jobID := str(dataOf(body), "job_id")
	want := map[string]any{"error": false, "code": float64(202), "message": "Phone number(s) are being attached",
		"data": map[string]any{"agent_id": agentID, "phone_numbers": []any{"+12125551234"}, "provider": "twilio", "job_id": jobID, "status_url": "/v1/jobs/" + jobID}}
	if diff := cmp.Diff(want, body); code != 202 || jobID == "" || diff != "" {
		t.Fatalf("slow attach: %d (-want +got):\n%s", code, diff)
	}
	if loc := header.Get("Location"); loc != "/v1/jobs/"+jobID {
		t.Errorf("Location = %q", loc)
	}
	job := waitJob(t, e, jobID, "succeeded")
	if diff := cmp.Diff([]any{"+12125551234"}, job["numbers"]); diff != "" {
		t.Errorf("job numbers (-want +got):\n%s", diff)
	}
}

// TestOneTargetPerNumberAcrossFamilies: apps and agents are both targets;
// each family answers a conflict with its own message.
func TestOneTargetPerNumberAcrossFamilies(t *testing.T) {
	t.Parallel()
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), 20*time.Second, nil)
	e.mustAddNumbers(t, "+12125551234", "+12025551234")
	appID := e.createApp(t, e.key, "app")
	agentID := e.createAgent(t, e.key, "agent")

	if code, body := e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", xAPIKey(e.key), map[string]any{"voip_number": "+12125551234"}); code != 200 {
		t.Fatalf("link: %d %v", code, body)
	}
	code, body := e.do(t, "POST", "/api/agent/attach-phone-number", token(e.key), map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12125551234"}})
	if code != 409 || body["message"] != "Phone number is already attached to another agent" {
		t.Errorf("attach a number linked to an app: %d %v", code, body)
	}

	if code, body := e.do(t, "POST", "/api/agent/attach-phone-number", token(e.key), map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12025551234"}}); code != 200 {
		t.Fatalf("attach: %d %v", code, body)
	}
	code, body = e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", xAPIKey(e.key), map[string]any{"voip_number": "+12025551234"})
	if diff := cmp.Diff(map[string]any{"message": "Number already linked to another app"}, body); code != 409 || diff != "" {
		t.Errorf("link a number attached to an agent: %d (-want +got):\n%s", code, diff)
	}
	// Neither is available, and each routes to its own target.
	_, body = e.do(t, "GET", "/sfvopi/numbers/available", xAPIKey(e.key), nil)
	if diff := cmp.Diff([]any{}, body["data"], cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("available (-want +got):\n%s", diff)
	}
	if e.voiceURL("+12125551234") != answerURL+"/app" || e.voiceURL("+12025551234") != agentURL+"/agent" {
		t.Errorf("routes: %q, %q", e.voiceURL("+12125551234"), e.voiceURL("+12025551234"))
	}
}
