package twiliotest_test

// These tests speak HTTP to the simulator directly, to pin down wire
// details the SDK hides: exact bodies, headers, the paging envelope and
// parameter validation.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tt "github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

const apiBase = "https://api.twilio.com/2010-04-01/Accounts/"

// call sends a request through hc and returns the status, headers and body.
func call(t *testing.T, hc *http.Client, method, rawURL, user, pass string, form url.Values) (int, http.Header, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	must(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := hc.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

// rawClient reaches the simulator without validating requests, for the
// requests Twilio's description forbids.
func (e *env) rawClient() *http.Client {
	return &http.Client{Transport: &rewriteTransport{base: e.base, prefix: e.prefix, next: http.DefaultTransport}, Timeout: 10 * time.Second}
}

func TestUnauthenticatedBody(t *testing.T) {
	forEachMount(t, func(t *testing.T, prefix string) {
		e := serve(t, tt.NewSandbox(), prefix)
		hc, _ := e.httpClient(t, 10*time.Second)
		for _, c := range []struct{ user, pass string }{
			{tt.SandboxAccountSID, "wrong"},
			{"AC" + strings.Repeat("9", 32), tt.SandboxAuthToken},
		} {
			status, h, body := call(t, hc, "GET", apiBase+tt.SandboxAccountSID+".json", c.user, c.pass, nil)
			if status != 401 || body != `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}` {
				t.Errorf("%d %s", status, body)
			}
			if got := h.Get("WWW-Authenticate"); got != `Basic realm="Twilio API"` {
				t.Errorf("WWW-Authenticate %q", got)
			}
		}
		// Without credentials at all (the spec requires them, so unvalidated).
		status, _, body := call(t, e.rawClient(), "GET", apiBase+tt.SandboxAccountSID+".json", "", "", nil)
		if status != 401 || !strings.Contains(body, `"code":20003`) {
			t.Errorf("no credentials: %d %s", status, body)
		}
	})
}

func TestNotFoundBody(t *testing.T) {
	e := serve(t, tt.NewSandbox(), sandboxPrefix)
	pn := "PN" + strings.Repeat("f", 32)
	for _, path := range []string{
		tt.SandboxAccountSID + "/IncomingPhoneNumbers/" + pn + ".json",
		tt.SandboxAccountSID + "/Calls.json",
		tt.SandboxAccountSID + "/IncomingPhoneNumbers/Local.json",
	} {
		status, h, body := call(t, e.rawClient(), "GET", apiBase+path, tt.SandboxAccountSID, tt.SandboxAuthToken, nil)
		want := `{"code":20404,"message":"The requested resource /2010-04-01/Accounts/` + path + ` was not found","more_info":"https://www.twilio.com/docs/errors/20404","status":404}`
		if status != 404 || body != want {
			t.Errorf("%s: %d %s\nwant %s", path, status, body, want)
		}
		if ct := h.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
	}
}

func TestListEnvelope(t *testing.T) {
	e := serve(t, tt.NewSandbox(), sandboxPrefix)
	hc, _ := e.httpClient(t, 10*time.Second)
	list := apiBase + tt.SandboxAccountSID + "/IncomingPhoneNumbers.json"
	rel := "/2010-04-01/Accounts/" + tt.SandboxAccountSID + "/IncomingPhoneNumbers.json"
	trunked, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberTrunked)
	sf, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberSF)

	get := func(rawURL string) map[string]any {
		t.Helper()
		status, _, body := call(t, hc, "GET", rawURL, tt.SandboxAccountSID, tt.SandboxAuthToken, nil)
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		var m map[string]any
		must(t, json.Unmarshal([]byte(body), &m))
		return m
	}
	envelope := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			if k != "incoming_phone_numbers" {
				out[k] = v
			}
		}
		return out
	}

	// Page 0 of 2: '+' arrives decoded and is re-encoded in the URIs.
	m := get(list + "?PhoneNumber=%2B1415555&PageSize=1")
	want := map[string]any{
		"first_page_uri":    rel + "?PhoneNumber=%2B1415555&PageSize=1&Page=0",
		"uri":               rel + "?PhoneNumber=%2B1415555&PageSize=1&Page=0",
		"next_page_uri":     rel + "?PhoneNumber=%2B1415555&PageSize=1&Page=1&PageToken=PA" + sf.SID,
		"previous_page_uri": nil,
		"page":              0.0, "page_size": 1.0, "start": 0.0, "end": 0.0,
	}
	if diff := cmp.Diff(want, envelope(m)); diff != "" {
		t.Errorf("first page (-want +got):\n%s", diff)
	}

	// The next page, as the SDK fetches it: the last one, next_page_uri null.
	m = get("https://api.twilio.com" + want["next_page_uri"].(string))
	want = map[string]any{
		"first_page_uri":    rel + "?PhoneNumber=%2B1415555&PageSize=1&Page=0",
		"uri":               rel + "?PhoneNumber=%2B1415555&PageSize=1&Page=1&PageToken=PA" + sf.SID,
		"next_page_uri":     nil,
		"previous_page_uri": rel + "?PhoneNumber=%2B1415555&PageSize=1&Page=0",
		"page":              1.0, "page_size": 1.0, "start": 1.0, "end": 1.0,
	}
	if diff := cmp.Diff(want, envelope(m)); diff != "" {
		t.Errorf("last page (-want +got):\n%s", diff)
	}
	items := m["incoming_phone_numbers"].([]any)
	if len(items) != 1 {
		t.Fatalf("%d items", len(items))
	}

	// Every schema field is present, null where Twilio sends null.
	item := items[0].(map[string]any)
	for _, k := range []string{
		"account_sid", "address_sid", "address_requirements", "api_version", "beta", "capabilities",
		"date_created", "date_updated", "friendly_name", "identity_sid", "phone_number", "origin", "sid",
		"sms_application_sid", "sms_fallback_method", "sms_fallback_url", "sms_method", "sms_url",
		"status_callback", "status_callback_method", "trunk_sid", "uri", "voice_receive_mode",
		"voice_application_sid", "voice_caller_id_lookup", "voice_fallback_method", "voice_fallback_url",
		"voice_method", "voice_url", "emergency_status", "emergency_address_sid", "emergency_address_status",
		"bundle_sid", "status", "type",
	} {
		if _, ok := item[k]; !ok {
			t.Errorf("field %s missing", k)
		}
	}
	if item["sid"] != trunked.SID || item["trunk_sid"] != tt.SandboxTrunkSID || item["voice_url"] != nil || item["sms_url"] != "" {
		t.Errorf("item %v", item)
	}

	// Past the end: an empty page, still a valid envelope.
	m = get(list + "?PageSize=50&Page=3")
	if items := m["incoming_phone_numbers"].([]any); len(items) != 0 || m["next_page_uri"] != nil || m["start"] != 4.0 {
		t.Errorf("past the end: %v", m)
	}
	// Filters other than PhoneNumber.
	m = get(list + "?FriendlyName=" + url.QueryEscape("(202) 555-1234"))
	if items := m["incoming_phone_numbers"].([]any); len(items) != 1 || items[0].(map[string]any)["phone_number"] != tt.SandboxNumberDC {
		t.Errorf("FriendlyName: %v", items)
	}
	m = get(list + "?Origin=hosted")
	if items := m["incoming_phone_numbers"].([]any); len(items) != 0 {
		t.Errorf("Origin=hosted: %v", items)
	}
}

func TestUpdateValidation(t *testing.T) {
	e := serve(t, tt.NewSandbox(), "")
	sf, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberSF)
	path := apiBase + tt.SandboxAccountSID + "/IncomingPhoneNumbers/" + sf.SID + ".json"
	post := func(form url.Values) (int, string) {
		status, _, body := call(t, e.rawClient(), "POST", path, tt.SandboxAccountSID, tt.SandboxAuthToken, form)
		return status, body
	}
	for _, c := range []struct {
		form url.Values
		code string
	}{
		{url.Values{"VoiceUrl": {"not a url"}}, `"code":21502`},
		{url.Values{"VoiceUrl": {"ftp://example.com/x"}}, `"code":21502`},
		{url.Values{"StatusCallback": {"https://bad_host.example.com/"}}, `"code":21502`},
		{url.Values{"VoiceUrl": {"https://example.com/ok"}, "VoiceMethod": {"PUT"}}, `"code":20001`},
		{url.Values{"VoiceApplicationSid": {"APnothex"}}, `"code":22108`},
		{url.Values{"TrunkSid": {"TK123"}}, `"code":20001`},
	} {
		status, body := post(c.form)
		if status != 400 || !strings.Contains(body, c.code) || !strings.Contains(body, `"status":400`) {
			t.Errorf("%v: %d %s", c.form, status, body)
		}
	}
	if after, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberSF); after != sf {
		t.Errorf("a refused update changed the number:\n%s", cmp.Diff(sf, after))
	}
	if e.srv.AppliedWrites() != 0 || e.srv.Writes() != 6 {
		t.Errorf("writes %d, applied %d", e.srv.Writes(), e.srv.AppliedWrites())
	}

	// Through the validating client from here on: these are valid requests.
	hc, _ := e.httpClient(t, 10*time.Second)
	app := "AP" + strings.Repeat("1", 32)
	trunk := "TK" + strings.Repeat("2", 32)
	must(t, e.srv.AddApplication(tt.SandboxAccountSID, app))
	must(t, e.srv.AddTrunk(tt.SandboxAccountSID, trunk))
	for _, c := range []struct {
		form      url.Values
		app, trnk string
	}{
		{url.Values{"VoiceApplicationSid": {app}}, app, ""},
		{url.Values{"TrunkSid": {trunk}}, "", trunk}, // a trunk replaces the application
		{url.Values{"VoiceApplicationSid": {app}}, app, ""},
		{url.Values{"VoiceApplicationSid": {""}}, "", ""},
	} {
		status, _, body := call(t, hc, "POST", path, tt.SandboxAccountSID, tt.SandboxAuthToken, c.form)
		n, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberSF)
		if status != 200 || n.VoiceApplicationSID != c.app || n.TrunkSID != c.trnk {
			t.Errorf("%v: %d, app %q trunk %q: %s", c.form, status, n.VoiceApplicationSID, n.TrunkSID, body)
		}
	}
	// Methods are taken exactly as documented.
	for _, m := range []string{"get", ""} {
		status, _, _ := call(t, e.rawClient(), "POST", path, tt.SandboxAccountSID, tt.SandboxAuthToken, url.Values{"VoiceMethod": {m}})
		if status != 400 {
			t.Errorf("VoiceMethod=%q: %d", m, status)
		}
	}
	status, _, _ := call(t, hc, "POST", path, tt.SandboxAccountSID, tt.SandboxAuthToken, url.Values{"VoiceMethod": {"GET"}})
	if n, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberSF); status != 200 || n.VoiceMethod != "GET" {
		t.Errorf("VoiceMethod=GET: %d %q", status, n.VoiceMethod)
	}
}

func TestFaultsHandler(t *testing.T) {
	srv := tt.New()
	fh := srv.FaultsHandler()
	do := func(method, body string) (int, string) {
		t.Helper()
		rec := httptest.NewRecorder()
		fh.ServeHTTP(rec, httptest.NewRequest(method, "/faults", strings.NewReader(body)))
		return rec.Code, rec.Body.String()
	}

	status, body := do("PUT", `{"latency":"150ms","jitter":"10ms","error_rate":0.25,"rate_limit_next":2,"retry_after":1,"max_concurrent":3,"ambiguous_writes":1}`)
	if status != 200 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	want := tt.Faults{Latency: 150 * time.Millisecond, Jitter: 10 * time.Millisecond, ErrorRate: 0.25, RateLimitNext: 2, RetryAfter: 1, MaxConcurrent: 3, AmbiguousWrites: 1}
	if diff := cmp.Diff(want, srv.Faults()); diff != "" {
		t.Errorf("faults after PUT (-want +got):\n%s", diff)
	}
	status, body = do("GET", "")
	if status != 200 || body != `{"latency":"150ms","jitter":"10ms","error_rate":0.25,"timeout_rate":0,"rate_limit_next":2,"retry_after":1,"max_concurrent":3,"ambiguous_writes":1}` {
		t.Errorf("GET: %d %s", status, body)
	}
	for _, bad := range []string{`{"error_rate":2}`, `{"latency":"soon"}`, `{"eror_rate":0.1}`, `{"max_concurrent":-1}`, `not json`} {
		if status, body := do("PUT", bad); status != 400 {
			t.Errorf("PUT %s: %d %s", bad, status, body)
		}
	}
	if diff := cmp.Diff(want, srv.Faults()); diff != "" {
		t.Errorf("a refused PUT changed the faults:\n%s", diff)
	}
	if status, _ := do("DELETE", ""); status != 405 {
		t.Errorf("DELETE: %d", status)
	}
	if status, _ := do("PUT", `{}`); status != 200 || srv.Faults() != (tt.Faults{}) {
		t.Errorf("PUT {} left %+v", srv.Faults())
	}
}
