package telnyxtest_test

// These tests speak plain HTTP to the simulator, to pin down the wire:
// exact bodies, headers, filters, paging, PATCH semantics.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tt "github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
)

const unauthenticatedBody = `{"errors":[{"code":"10009","title":"Authentication failed","detail":"The required authentication headers were either invalid or not included in the request.","meta":{"url":"https://developers.telnyx.com/docs/overview/errors/10009"}}]}`

func TestUnauthenticatedBody(t *testing.T) {
	forEachMount(t, func(t *testing.T, prefix string) {
		e := serve(t, tt.NewSandbox(), prefix)
		for _, key := range []string{"KEYWRONG", ""} {
			r := e.do(t, "GET", "/v2/balance", key, "")
			if r.status != 401 || r.body != unauthenticatedBody {
				t.Errorf("key %q: %d %s", key, r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		}
		// Basic auth with the key is not Bearer.
		req, _ := http.NewRequest("GET", e.base+"/v2/balance", nil)
		req.SetBasicAuth(tt.SandboxAPIKey, "")
		resp, err := e.hc.Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("Basic auth: %d", resp.StatusCode)
		}
		// Unknown paths are checked after the key.
		if r := e.do(t, "GET", "/v2/calls", "KEYWRONG", ""); r.status != 401 {
			t.Errorf("unknown path, wrong key: %d", r.status)
		}
	})
}

func TestBalance(t *testing.T) {
	e := serve(t, tt.NewSandbox(), "")
	r := e.get(t, "/v2/balance")
	want := `{"data":{"record_type":"balance","balance":"300.00","credit_limit":"100.00","available_credit":"400.00","currency":"USD"}}`
	if r.status != 200 || r.body != want {
		t.Errorf("%d %s", r.status, r.body)
	}
	must(t, e.srv.UpdateAccount(tt.SandboxAPIKey, func(a *tt.Account) { a.BalanceCents = -1250 }))
	if got := e.get(t, "/v2/balance").data(t); got["balance"] != "-12.50" || got["available_credit"] != "87.50" {
		t.Errorf("negative balance: %v", got)
	}
}

func TestNotFound(t *testing.T) {
	e := serve(t, tt.NewSandbox(), "")
	want := `{"errors":[{"code":"10005","title":"Resource not found","detail":"The requested resource or URL could not be found.","meta":{"url":"https://developers.telnyx.com/docs/overview/errors/10005"}}]}`
	for _, c := range []struct{ method, path string }{
		{"GET", "/v2/calls"},
		{"GET", "/v2/phone_numbers/123"},
		{"DELETE", "/v2/phone_numbers/" + numberID(t, e.srv, tt.SandboxNumberLondon)},
		{"GET", "/v2/call_control_applications/" + tt.SandboxForeignConnectionID}, // not an application
		{"POST", "/v2/balance"},
		{"GET", "/v2/phone_numbers/1/voice"},
	} {
		r := e.do(t, c.method, c.path, tt.SandboxAPIKey, "")
		if r.status != 404 || r.body != want {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.status, r.body)
		}
	}
	// Another account's number is not found either.
	must(t, e.srv.AddAccount("KEYOTHER"))
	r := e.do(t, "GET", "/v2/phone_numbers/"+numberID(t, e.srv, tt.SandboxNumberLondon), "KEYOTHER", "")
	if r.status != 404 {
		t.Errorf("another account's number: %d", r.status)
	}
}

func TestRateLimitHeadersOnEveryAnswer(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	e := serve(t, tt.NewSandbox(tt.WithClock(func() time.Time { return now })), "")
	check := func(r response, what string, remaining string) {
		t.Helper()
		got := []string{r.header.Get("x-ratelimit-limit"), r.header.Get("x-ratelimit-remaining"), r.header.Get("x-ratelimit-reset")}
		if diff := cmp.Diff([]string{"2000", remaining, "60"}, got); diff != "" {
			t.Errorf("%s: limit, remaining, reset (-want +got):\n%s", what, diff)
		}
	}
	check(e.get(t, "/v2/balance"), "200", "1999")
	check(e.do(t, "GET", "/v2/balance", "KEYWRONG", ""), "401 (another key's window)", "1999")
	check(e.get(t, "/v2/nothing"), "404", "1998")
	setFaults(t, e.srv, tt.Faults{RateLimitNext: 1})
	check(e.get(t, "/v2/balance"), "429", "1997")
	setFaults(t, e.srv, tt.Faults{ErrorRate: 1})
	check(e.get(t, "/v2/balance"), "500", "1996")
}

func TestListNumbersFilter(t *testing.T) {
	e := serve(t, tt.NewSandbox(), "")
	phones := func(path string) []string {
		t.Helper()
		r := e.get(t, path)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		var out []string
		for _, n := range r.list(t) {
			out = append(out, n["phone_number"].(string))
		}
		return out
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{tt.SandboxNumberLondon, tt.SandboxNumberSydney, tt.SandboxNumberForeign}},
		{"filter[phone_number]=442012345678", []string{tt.SandboxNumberLondon}},
		{"filter%5Bphone_number%5D=442012345678", []string{tt.SandboxNumberLondon}}, // brackets escaped
		{"filter[phone_number]=4420123456", []string{tt.SandboxNumberLondon, tt.SandboxNumberForeign}},
		{"filter[phone_number]=345", []string{tt.SandboxNumberLondon, tt.SandboxNumberSydney, tt.SandboxNumberForeign}},
		{"filter[phone_number]=" + url.QueryEscape("+442012345678"), nil}, // a non-digit matches nothing
		{"filter[phone_number]=44-20", nil},
		{"filter[phone_number]=442012345678999", nil},
		{"filter[status]=active&filter[phone_number]=612", []string{tt.SandboxNumberSydney}},
		{"filter[status]=port-pending", nil},
		{"filter[connection_id]=" + tt.SandboxForeignConnectionID, []string{tt.SandboxNumberForeign}},
	} {
		if diff := cmp.Diff(c.want, phones("/v2/phone_numbers?"+c.query)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.query, diff)
		}
	}
	r := e.get(t, "/v2/phone_numbers?filter[phone_number]=44")
	if r.status != 400 || r.errorCode(t) != "10015" || !strings.Contains(r.body, `"parameter":"filter[phone_number]"`) {
		t.Errorf("two digits: %d %s", r.status, r.body)
	}
}

func TestListNumbersPaging(t *testing.T) {
	e := serve(t, tt.NewSandbox(), "")
	meta := func(r response) map[string]any {
		t.Helper()
		return r.json(t)["meta"].(map[string]any)
	}
	r := e.get(t, "/v2/phone_numbers?page[size]=2&page[number]=2")
	want := map[string]any{"page_number": 2.0, "page_size": 2.0, "total_pages": 2.0, "total_results": 3.0}
	if diff := cmp.Diff(want, meta(r)); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
	if items := r.list(t); len(items) != 1 || items[0]["phone_number"] != tt.SandboxNumberForeign {
		t.Errorf("page 2: %v", items)
	}
	r = e.get(t, "/v2/phone_numbers")
	if m := meta(r); m["page_size"] != 20.0 || m["page_number"] != 1.0 {
		t.Errorf("defaults: %v", m)
	}
	r = e.get(t, "/v2/phone_numbers?page[number]=9")
	if items := r.list(t); r.status != 200 || len(items) != 0 || meta(r)["total_results"] != 3.0 {
		t.Errorf("past the end: %d %s", r.status, r.body)
	}
	r = e.get(t, "/v2/phone_numbers?filter[phone_number]=999")
	want = map[string]any{"page_number": 1.0, "page_size": 20.0, "total_pages": 0.0, "total_results": 0.0}
	if diff := cmp.Diff(want, meta(r)); diff != "" || !strings.HasPrefix(r.body, `{"data":[],`) {
		t.Errorf("empty list %s (-want +got):\n%s", r.body, diff)
	}
	for _, q := range []string{"page[size]=251", "page[size]=0", "page[number]=0", "page[number]=x"} {
		if r := e.get(t, "/v2/phone_numbers?"+q); r.status != 400 || r.errorCode(t) != "10015" {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	if r := e.get(t, "/v2/phone_numbers?page[size]=250"); r.status != 200 {
		t.Errorf("page[size]=250: %d", r.status)
	}
}

func TestNumberObject(t *testing.T) {
	e := serve(t, tt.NewSandbox(), "")
	id := numberID(t, e.srv, tt.SandboxNumberForeign)
	r := e.get(t, "/v2/phone_numbers/"+id)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	n := r.data(t)
	for _, k := range []string{
		"id", "record_type", "phone_number", "status", "tags", "external_pin", "connection_id", "connection_name",
		"customer_reference", "messaging_profile_id", "messaging_profile_name", "billing_group_id",
		"emergency_enabled", "emergency_address_id", "call_forwarding_enabled", "cnam_listing_enabled",
		"caller_id_name_enabled", "call_recording_enabled", "t38_fax_gateway_enabled", "phone_number_type",
		"purchased_at", "created_at", "updated_at",
	} {
		if _, ok := n[k]; !ok {
			t.Errorf("field %s missing", k)
		}
	}
	want := map[string]any{
		"id": id, "record_type": "phone_number", "phone_number": tt.SandboxNumberForeign, "status": "active",
		"connection_id": tt.SandboxForeignConnectionID, "connection_name": tt.SandboxForeignConnectionName,
		"messaging_profile_id": nil, "external_pin": nil, "tags": []any{},
	}
	for k, v := range want {
		if !cmp.Equal(n[k], v) {
			t.Errorf("%s = %#v, want %#v", k, n[k], v)
		}
	}
	if ts, ok := n["created_at"].(string); !ok || !strings.HasSuffix(ts, "Z") || len(ts) != len("2018-02-02T22:25:27.521Z") {
		t.Errorf("created_at %v", n["created_at"])
	}
	london := e.get(t, "/v2/phone_numbers/"+numberID(t, e.srv, tt.SandboxNumberLondon)).data(t)
	if london["connection_id"] != nil || london["connection_name"] != nil || london["messaging_profile_id"] != tt.SandboxMessagingProfileID {
		t.Errorf("London: %v", london)
	}
}

func TestUpdateNumber(t *testing.T) {
	e := serve(t, tt.NewSandbox(), "")
	app, err := e.srv.AddApplication(tt.SandboxAPIKey, "switchboard-org1-default", "https://example.com/voice")
	must(t, err)
	id := numberID(t, e.srv, tt.SandboxNumberLondon)
	path := "/v2/phone_numbers/" + id
	patch := func(body string) response {
		t.Helper()
		return e.do(t, "PATCH", path, tt.SandboxAPIKey, body)
	}
	before, _ := e.srv.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon)

	// Refused updates change nothing.
	for _, c := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"connection_id":"999"}`, 422, "10013"},
		{`{"connection_id":123}`, 400, "10015"},
		{`{"tags":"x"}`, 400, "10015"},
		{`{"hd_voice_enabled":null}`, 422, "10015"},
		{`[1]`, 400, "10015"},
		{`{"connection_id":"` + app + `"} trailing`, 400, "10015"},
	} {
		r := patch(c.body)
		if r.status != c.status || r.errorCode(t) != c.code {
			t.Errorf("%s: %d %s", c.body, r.status, r.body)
		}
	}
	r := patch(`{"connection_id":"999"}`)
	if !strings.Contains(r.body, `"source":{"pointer":"/connection_id"}`) {
		t.Errorf("no pointer: %s", r.body)
	}
	r = e.doType(t, "PATCH", path, tt.SandboxAPIKey, `connection_id=1`, "application/x-www-form-urlencoded")
	if r.status != 415 || r.errorCode(t) != "10014" {
		t.Errorf("form body: %d %s", r.status, r.body)
	}
	if after, _ := e.srv.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon); !cmp.Equal(before, after) {
		t.Errorf("refused updates changed the number:\n%s", cmp.Diff(before, after))
	}
	if e.srv.AppliedWrites() != 0 {
		t.Errorf("%d applied writes", e.srv.AppliedWrites())
	}

	// Only the fields sent change; the messaging profile stays.
	r = patch(`{"connection_id":"` + app + `","unknown_field":1}`)
	d := r.data(t)
	if r.status != 200 || d["connection_id"] != app || d["connection_name"] != "switchboard-org1-default" || d["messaging_profile_id"] != tt.SandboxMessagingProfileID {
		t.Errorf("attach: %d %s", r.status, r.body)
	}
	if got := e.srv.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon); got != "https://example.com/voice" {
		t.Errorf("VoiceURL %q", got)
	}
	// The same again changes nothing.
	if r := patch(`{"connection_id":"` + app + `"}`); r.status != 200 || e.srv.AppliedWrites() != 1 {
		t.Errorf("same again: %d, %d applied", r.status, e.srv.AppliedWrites())
	}
	r = patch(`{"tags":["a","b"],"external_pin":"1234"}`)
	if d := r.data(t); !cmp.Equal(d["tags"], []any{"a", "b"}) || d["external_pin"] != "1234" || d["connection_id"] != app {
		t.Errorf("tags: %s", r.body)
	}
	// null and "" clear.
	for _, clear := range []string{`null`, `""`} {
		patch(`{"connection_id":"` + app + `"}`)
		r = patch(`{"connection_id":` + clear + `}`)
		if d := r.data(t); d["connection_id"] != nil || d["connection_name"] != nil {
			t.Errorf("clear with %s: %s", clear, r.body)
		}
	}
	// A SIP connection is a connection too.
	if r := patch(`{"connection_id":"` + tt.SandboxForeignConnectionID + `"}`); r.status != 200 {
		t.Errorf("to the trunk: %d %s", r.status, r.body)
	}
	if got := e.srv.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon); got != "" {
		t.Errorf("VoiceURL on a trunk %q", got)
	}
	if r := e.do(t, "PATCH", "/v2/phone_numbers/42", tt.SandboxAPIKey, `{}`); r.status != 404 || r.errorCode(t) != "10005" {
		t.Errorf("unknown number: %d %s", r.status, r.body)
	}
}

// TestBalanceWithoutPermission: a key whose role may not read billing is
// answered 403 (code 10010) on the balance, and may still read its
// numbers.
func TestBalanceWithoutPermission(t *testing.T) {
	e := serve(t, tt.NewSandbox(), "")
	r := e.do(t, "GET", "/v2/balance", tt.SandboxNoBalanceAPIKey, "")
	if r.status != 403 || r.errorCode(t) != tt.CodeAuthorizationFailed {
		t.Fatalf("balance: %d %s", r.status, r.body)
	}
	r = e.do(t, "GET", "/v2/phone_numbers?filter[phone_number]=441612345678", tt.SandboxNoBalanceAPIKey, "")
	if r.status != 200 || len(r.list(t)) != 1 {
		t.Fatalf("numbers: %d %s", r.status, r.body)
	}
	if r := e.get(t, "/v2/balance"); r.status != 200 {
		t.Errorf("the other key's balance: %d %s", r.status, r.body)
	}
}

func TestApplications(t *testing.T) {
	e := serve(t, tt.NewSandbox(), "")
	create := func(body string) response {
		t.Helper()
		return e.do(t, "POST", "/v2/call_control_applications", tt.SandboxAPIKey, body)
	}
	r := create(`{"application_name":"switchboard-org1-default","webhook_event_url":"https://example.com/voice","webhook_event_failover_url":"","webhook_api_version":"2","webhook_timeout_secs":25,"active":true}`)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	app := r.data(t)
	id := app["id"].(string)
	want := map[string]any{
		"record_type": "call_control_application", "application_name": "switchboard-org1-default",
		"webhook_event_url": "https://example.com/voice", "webhook_event_failover_url": "", "webhook_api_version": "2",
		"webhook_timeout_secs": 25.0, "active": true, "anchorsite_override": "Latency", "dtmf_type": "RFC 2833",
		"first_command_timeout": false, "first_command_timeout_secs": 30.0,
		// Unset inbound and outbound fields are left out: the schema does
		// not make them nullable.
		"inbound":  map[string]any{"shaken_stir_enabled": false, "sip_subdomain_receive_settings": "from_anyone"},
		"outbound": map[string]any{},
	}
	for k, v := range want {
		if !cmp.Equal(app[k], v) {
			t.Errorf("%s = %#v, want %#v", k, app[k], v)
		}
	}
	if len(id) != 19 || app["created_at"] == nil || app["updated_at"] != app["created_at"] {
		t.Errorf("id %q, created_at %v, updated_at %v", id, app["created_at"], app["updated_at"])
	}
	// Defaults of a minimal create, and names are not unique.
	r = create(`{"application_name":"switchboard-org1-default","webhook_event_url":"http://other.example.com/v"}`)
	if d := r.data(t); r.status != 201 || d["webhook_api_version"] != "1" || d["webhook_timeout_secs"] != nil || d["id"] == id {
		t.Errorf("second create: %d %s", r.status, r.body)
	}
	if n := e.srv.Applications(tt.SandboxAPIKey, "switchboard-org1-default"); n != 2 {
		t.Errorf("%d applications", n)
	}
	for _, c := range []struct{ body, code string }{
		{`{"webhook_event_url":"https://example.com"}`, "10004"},
		{`{"application_name":"","webhook_event_url":"https://example.com"}`, "10004"},
		{`{"application_name":"x"}`, "10004"},
		{`{"application_name":"x","webhook_event_url":"example.com/voice"}`, "10003"},
		{`{"application_name":"x","webhook_event_url":"https://example.com","webhook_api_version":"3"}`, "10015"},
		{`{"application_name":"x","webhook_event_url":"https://example.com","webhook_timeout_secs":31}`, "10015"},
		{`{"application_name":"x","webhook_event_url":"https://example.com","dtmf_type":"rfc2833"}`, "10015"},
	} {
		if r := create(c.body); r.status != 422 || r.errorCode(t) != c.code {
			t.Errorf("%s: %d %s", c.body, r.status, r.body)
		}
	}
	if n := e.srv.Applications(tt.SandboxAPIKey, "x"); n != 0 {
		t.Errorf("refused creates made %d applications", n)
	}

	// GET and PATCH by id.
	if r := e.get(t, "/v2/call_control_applications/"+id); r.status != 200 || r.data(t)["id"] != id {
		t.Errorf("get: %d %s", r.status, r.body)
	}
	path := "/v2/call_control_applications/" + id
	if r := e.do(t, "PATCH", path, tt.SandboxAPIKey, `{"webhook_event_url":"https://example.com/new"}`); r.status != 422 || r.errorCode(t) != "10004" {
		t.Errorf("patch without a name: %d %s", r.status, r.body)
	}
	r = e.do(t, "PATCH", path, tt.SandboxAPIKey, `{"application_name":"switchboard-org1-default","webhook_event_url":"https://example.com/new","active":false}`)
	if d := r.data(t); r.status != 200 || d["webhook_event_url"] != "https://example.com/new" || d["active"] != false || d["webhook_api_version"] != "2" {
		t.Errorf("patch: %d %s", r.status, r.body)
	}
	if r := e.do(t, "PATCH", "/v2/call_control_applications/77", tt.SandboxAPIKey, `{}`); r.status != 404 {
		t.Errorf("patch unknown: %d", r.status)
	}
}

func TestListApplications(t *testing.T) {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := tt.NewSandbox()
	for i, name := range []string{"switchboard-org1-default", "Switchboard-ORG1-other", "switchboard-org12-default", "acme"} {
		_, err := srv.AddConnection(tt.SandboxAPIKey, tt.Connection{Name: name, Active: true, WebhookEventURL: "https://example.com",
			CreatedAt: base.Add(time.Duration(i) * time.Hour)})
		must(t, err)
	}
	e := serve(t, srv, "")
	names := func(query string) []string {
		t.Helper()
		r := e.get(t, "/v2/call_control_applications?"+query)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", query, r.status, r.body)
		}
		var out []string
		for _, a := range r.list(t) {
			out = append(out, a["application_name"].(string))
		}
		return out
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		// Newest first by default; the credential connection is not listed.
		{"", []string{"acme", "switchboard-org12-default", "Switchboard-ORG1-other", "switchboard-org1-default"}},
		{"sort=created_at", []string{"switchboard-org1-default", "Switchboard-ORG1-other", "switchboard-org12-default", "acme"}},
		{"filter[application_name][contains]=SWITCHBOARD-org1-&sort=created_at", []string{"switchboard-org1-default", "Switchboard-ORG1-other"}},
		{"filter%5Bapplication_name%5D%5Bcontains%5D=org1-default", []string{"switchboard-org1-default"}},
		{"filter[application_name][contains]=default&sort=connection_name", []string{"switchboard-org1-default", "switchboard-org12-default"}},
		{"filter[application_name][contains]=default&sort=-connection_name", []string{"switchboard-org12-default", "switchboard-org1-default"}},
		{"filter[application_name][contains]=nothing", nil},
		{"sort=created_at&page[size]=3&page[number]=2", []string{"acme"}},
	} {
		if diff := cmp.Diff(c.want, names(c.query)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.query, diff)
		}
	}
	for _, q := range []string{"filter[application_name][contains]=ab", "sort=name"} {
		if r := e.get(t, "/v2/call_control_applications?"+q); r.status != 400 || r.errorCode(t) != "10015" {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

func TestReadOnlyKey(t *testing.T) {
	e := serve(t, tt.NewSandbox(), "")
	must(t, e.srv.UpdateAccount(tt.SandboxAPIKey, func(a *tt.Account) { a.ReadOnly = true }))
	if r := e.get(t, "/v2/phone_numbers"); r.status != 200 {
		t.Errorf("read: %d", r.status)
	}
	r := e.do(t, "POST", "/v2/call_control_applications", tt.SandboxAPIKey, `{"application_name":"x","webhook_event_url":"https://example.com"}`)
	if r.status != 403 || r.errorCode(t) != "10010" {
		t.Errorf("write: %d %s", r.status, r.body)
	}
}

func TestConsoleChanges(t *testing.T) {
	srv := tt.NewSandbox()
	app, err := srv.AddApplication(tt.SandboxAPIKey, "switchboard-org1-default", "https://example.com/voice")
	must(t, err)
	must(t, srv.UpdateNumber(tt.SandboxAPIKey, tt.SandboxNumberSydney, func(n *tt.Number) { n.ConnectionID = app }))
	if got := srv.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberSydney); got != "https://example.com/voice" {
		t.Errorf("VoiceURL %q", got)
	}
	must(t, srv.UpdateConnection(tt.SandboxAPIKey, app, func(c *tt.Connection) { c.Active = false }))
	if got := srv.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberSydney); got != "" {
		t.Errorf("inactive application: VoiceURL %q", got)
	}
	must(t, srv.DeleteConnection(tt.SandboxAPIKey, app))
	if n, _ := srv.Number(tt.SandboxAPIKey, tt.SandboxNumberSydney); n.ConnectionID != "" {
		t.Errorf("number still on deleted connection %s", n.ConnectionID)
	}
	if err := srv.UpdateNumber(tt.SandboxAPIKey, tt.SandboxNumberSydney, func(n *tt.Number) { n.ConnectionID = "1" }); err == nil {
		t.Error("a number was put on a connection that does not exist")
	}
	if _, err := srv.AddConnection(tt.SandboxAPIKey, tt.Connection{ID: tt.SandboxForeignConnectionID, Name: "dup"}); err == nil {
		t.Error("a connection id was reused")
	}
	if _, err := srv.AddNumber(tt.SandboxAPIKey, "442012345678"); err == nil {
		t.Error("a number without + was added")
	}
}

// TestCallForwardingSwitch: call_forwarding_enabled switches the
// forwarding that forwarding_type and forwards_to describe (Telnyx's
// CallForwarding schema: "enabled for this number if forwards_to and
// forwarding_type are filled in"). A PATCH of the switch alone changes
// only it: switched off, the number still reports where it would forward.
func TestCallForwardingSwitch(t *testing.T) {
	e := serve(t, tt.NewSandbox(), "")
	path := "/v2/phone_numbers/" + numberID(t, e.srv, tt.SandboxNumberLondon) + "/voice"
	forwarding := func(what string) any {
		t.Helper()
		r := e.get(t, path)
		if r.status != 200 {
			t.Fatalf("%s: GET %d %s", what, r.status, r.body)
		}
		return r.data(t)["call_forwarding"]
	}
	if diff := cmp.Diff(map[string]any{"call_forwarding_enabled": true}, forwarding("nothing set")); diff != "" {
		t.Errorf("nothing set: call_forwarding (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		body string
		want map[string]any
	}{
		{`{"call_forwarding":{"forwarding_type":"always","forwards_to":"+13035559123"}}`,
			map[string]any{"call_forwarding_enabled": true, "forwarding_type": "always", "forwards_to": "+13035559123"}},
		{`{"call_forwarding":{"call_forwarding_enabled":false}}`,
			map[string]any{"call_forwarding_enabled": false, "forwarding_type": "always", "forwards_to": "+13035559123"}},
		{`{"call_forwarding":{"call_forwarding_enabled":true}}`,
			map[string]any{"call_forwarding_enabled": true, "forwarding_type": "always", "forwards_to": "+13035559123"}},
	} {
		r := e.do(t, "PATCH", path, tt.SandboxAPIKey, c.body)
		if r.status != 200 {
			t.Fatalf("PATCH %s: %d %s", c.body, r.status, r.body)
		}
		if diff := cmp.Diff(c.want, r.data(t)["call_forwarding"]); diff != "" {
			t.Errorf("PATCH %s: answered call_forwarding (-want +got):\n%s", c.body, diff)
		}
		if diff := cmp.Diff(c.want, forwarding(c.body)); diff != "" {
			t.Errorf("after PATCH %s: GET call_forwarding (-want +got):\n%s", c.body, diff)
		}
	}
}
