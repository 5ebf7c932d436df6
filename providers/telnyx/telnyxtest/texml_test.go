package telnyxtest_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	tt "github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
)

// TestTexmlApplications: /v2/texml_applications creates, lists (by
// friendly_name, contains, case-insensitive), reads and updates TeXML
// applications with the spec's required fields and defaults, and a number
// attached to one sends its calls to the voice URL.
func TestTexmlApplications(t *testing.T) {
	e := serve(t, tt.NewSandbox(), "")
	const path = "/v2/texml_applications"
	r := e.do(t, "POST", path, tt.SandboxAPIKey, `{"friendly_name":"switchboard-org1-default","voice_url":"https://example.com/voice","status_callback":"https://example.com/status"}`)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	app := r.data(t)
	id := app["id"].(string)
	want := map[string]any{
		"record_type": "texml_application", "friendly_name": "switchboard-org1-default", "active": true,
		"voice_url": "https://example.com/voice", "voice_method": "post", "voice_fallback_url": nil,
		"status_callback": "https://example.com/status", "status_callback_method": "post",
		"anchorsite_override": "Latency", "dtmf_type": "RFC 2833", "first_command_timeout_secs": 30.0,
	}
	for k, v := range want {
		if !cmp.Equal(app[k], v) {
			t.Errorf("%s = %#v, want %#v", k, app[k], v)
		}
	}

	if got := e.get(t, path+"?filter[friendly_name]=ORG1-DEF").list(t); len(got) != 1 || got[0]["id"] != id {
		t.Errorf("list by name: %v", got)
	}
	if got := e.get(t, "/v2/call_control_applications").list(t); len(got) != 0 {
		t.Errorf("a TeXML application is listed as Call Control: %v", got)
	}
	if r := e.get(t, "/v2/call_control_applications/"+id); r.status != 404 {
		t.Errorf("TeXML application read as Call Control: %d", r.status)
	}

	for body, pointer := range map[string]string{
		`{"voice_url":"https://example.com/voice"}`:                                      "/friendly_name",
		`{"friendly_name":"x-app"}`:                                                      "/voice_url",
		`{"friendly_name":"x-app","voice_url":"ftp://example.com"}`:                      "/voice_url",
		`{"friendly_name":"x-app","voice_url":"https://e.com","voice_method":"POST"}`:    "/voice_method",
		`{"friendly_name":"x-app","voice_url":"https://e.com","status_callback":"nope"}`: "/status_callback",
	} {
		if r := e.do(t, "PATCH", path+"/"+id, tt.SandboxAPIKey, body); r.status != 422 || !strings.Contains(r.body, pointer) {
			t.Errorf("PATCH %s: %d %s, want 422 at %s", body, r.status, r.body, pointer)
		}
	}
	r = e.do(t, "PATCH", path+"/"+id, tt.SandboxAPIKey, `{"friendly_name":"switchboard-org1-default","voice_url":"https://example.com/v2","voice_method":"get","status_callback":null}`)
	if got := r.data(t); r.status != 200 || got["voice_url"] != "https://example.com/v2" || got["voice_method"] != "get" || got["status_callback"] != nil {
		t.Errorf("update: %d %s", r.status, r.body)
	}

	num := numberID(t, e.srv, tt.SandboxNumberLondon)
	if r := e.do(t, "PATCH", "/v2/phone_numbers/"+num, tt.SandboxAPIKey, `{"connection_id":"`+id+`"}`); r.status != 200 {
		t.Fatalf("attach: %d %s", r.status, r.body)
	}
	if got := e.srv.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon); got != "https://example.com/v2" {
		t.Errorf("calls go to %q", got)
	}
	if n := e.srv.Applications(tt.SandboxAPIKey, "switchboard-org1-default"); n != 1 {
		t.Errorf("Applications = %d", n)
	}
}
