package plivotest_test

// These tests speak HTTP to the simulator directly, to pin down wire
// details the SDK hides: exact bodies, headers, paths and validation.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	pt "github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

var notFoundBody = regexp.MustCompile(`^\{"api_id":"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}","error":"not found"\}$`)

func TestUnauthorized(t *testing.T) {
	forEachMount(t, func(t *testing.T, prefix string) {
		e := serve(t, pt.NewSandbox(), prefix)
		hc, _ := e.httpClient(10 * time.Second)
		for _, c := range []struct{ user, pass string }{
			{pt.SandboxAuthID, "wrong"},
			{"MA00000000000000NONE", pt.SandboxAuthToken},
			{"", ""},
		} {
			status, h, body := call(t, hc, "GET", sandboxURL(""), c.user, c.pass, nil)
			if status != 401 || body != `{"error":"authentication credentials were not provided"}` {
				t.Errorf("%q: %d %s", c.user, status, body)
			}
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		}
	})
}

func TestNotFound(t *testing.T) {
	srv := pt.NewSandbox()
	other := "MA00000000000000OTHR"
	must(t, srv.AddAccount(other, "othertoken"))
	e := serve(t, srv, sandboxPrefix)
	hc, _ := e.httpClient(10 * time.Second)
	for _, c := range []struct{ method, url string }{
		{"GET", sandboxURL("Number/918000000099/")},              // not rented
		{"GET", sandboxURL("Number/918000000001")},               // no trailing slash
		{"GET", sandboxURL("Call/")},                             // not simulated
		{"DELETE", sandboxURL("Application/10000000000000001/")}, // nor this
		{"GET", sandboxURL("Application/10000000000000001/")},    // no such application
		{"GET", apiBase + other + "/"},                           // another account's
		{"GET", "https://api.plivo.com/v2/Account/" + pt.SandboxAuthID + "/"},
	} {
		status, _, body := call(t, hc, c.method, c.url, pt.SandboxAuthID, pt.SandboxAuthToken, nil)
		if status != 404 || !notFoundBody.MatchString(body) {
			t.Errorf("%s %s: %d %s", c.method, c.url, status, body)
		}
	}
	if n := srv.Calls()[pt.EndpointOther]; n != 4 {
		t.Errorf("%d requests counted as other, want 4", n)
	}
}

func TestAccountPaths(t *testing.T) {
	e := serve(t, pt.NewSandbox(), "")
	hc, _ := e.httpClient(10 * time.Second)
	for _, p := range []string{"", "/"} { // "/v1/Account/{id}/" and the SDK's "//"
		if m := get(t, hc, sandboxURL(p)); m["auth_id"] != pt.SandboxAuthID {
			t.Errorf("%q: %v", p, m)
		}
	}
	// The account never carries the auth token.
	_, _, body := call(t, hc, "GET", sandboxURL(""), pt.SandboxAuthID, pt.SandboxAuthToken, nil)
	if strings.Contains(body, pt.SandboxAuthToken) {
		t.Errorf("account body holds the token: %s", body)
	}
}

func TestWriteValidation(t *testing.T) {
	e := serve(t, pt.NewSandbox(), "")
	hc, _ := e.httpClient(10 * time.Second)
	ok := map[string]any{"app_name": "a", "answer_url": "https://a.example.com/"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range ok {
			m[k] = v
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for name, body := range map[string]any{
		"no answer_url":    with("answer_url", nil),
		"relative url":     with("answer_url", "/answer"),
		"no app_name":      with("app_name", nil),
		"space in name":    with("app_name", "a b"),
		"method PUT":       with("answer_method", "PUT"),
		"method lowercase": with("hangup_method", "post"),
		"bool as number":   with("default_number_app", 1),
		"subaccount":       with("subaccount", "SA00000000000000000A"),
		"not an object":    []string{"x"},
	} {
		status, _, b := call(t, hc, "POST", sandboxURL("Application/"), pt.SandboxAuthID, pt.SandboxAuthToken, body)
		if status != 400 || !strings.Contains(b, `"error":"`) || !strings.Contains(b, `"api_id":"`) {
			t.Errorf("%s: %d %s", name, status, b)
		}
	}
	if n := e.srv.Applications(pt.SandboxAuthID, "a"); n != 0 {
		t.Errorf("%d applications created by refused requests", n)
	}
	for _, q := range []string{"limit=21", "limit=0", "limit=x", "offset=-1"} {
		status, _, b := call(t, hc, "GET", sandboxURL("Application/?"+q), pt.SandboxAuthID, pt.SandboxAuthToken, nil)
		if status != 400 {
			t.Errorf("%s: %d %s", q, status, b)
		}
	}
	status, _, b := call(t, hc, "POST", sandboxURL("Number/918000000001/"), pt.SandboxAuthID, pt.SandboxAuthToken, map[string]any{"cnam_lookup": "maybe"})
	if status != 400 {
		t.Errorf("cnam_lookup: %d %s", status, b)
	}
}

// TestAttachWithoutAppID: omitting app_id attaches the account's default
// number application, or detaches the number when there is none.
func TestAttachWithoutAppID(t *testing.T) {
	e := serve(t, pt.NewSandbox(), "")
	hc, _ := e.httpClient(10 * time.Second)
	app, err := e.srv.AddApplication(pt.SandboxAuthID, pt.Application{AppName: "a", AnswerURL: "https://a.example.com/"})
	must(t, err)
	must(t, e.srv.UpdateNumber(pt.SandboxAuthID, pt.SandboxNumber1, func(n *pt.Number) { n.AppID = app }))
	post := func(body any) {
		t.Helper()
		status, _, b := call(t, hc, "POST", sandboxURL("Number/918000000001/"), pt.SandboxAuthID, pt.SandboxAuthToken, body)
		if status != 202 {
			t.Fatalf("%d %s", status, b)
		}
	}
	post(map[string]any{"alias": "desk"})
	if n, _ := e.srv.Number(pt.SandboxAuthID, pt.SandboxNumber1); n.AppID != "" || n.Alias != "desk" {
		t.Errorf("without a default application: %+v", n)
	}
	def, err := e.srv.AddApplication(pt.SandboxAuthID, pt.Application{AppName: "default", AnswerURL: "https://d.example.com/", DefaultNumberApp: true})
	must(t, err)
	post(map[string]any{})
	if n, _ := e.srv.Number(pt.SandboxAuthID, pt.SandboxNumber1); n.AppID != def {
		t.Errorf("with a default application: %+v", n)
	}
	// A create with default_number_app takes the role over.
	status, _, b := call(t, hc, "POST", sandboxURL("Application/"), pt.SandboxAuthID, pt.SandboxAuthToken,
		map[string]any{"app_name": "newdef", "answer_url": "https://n.example.com/", "default_number_app": true})
	if status != 201 {
		t.Fatalf("%d %s", status, b)
	}
	if a, _ := e.srv.Application(pt.SandboxAuthID, def); a.DefaultNumberApp {
		t.Error("two default applications")
	}
}

func TestSameSeedSameIDs(t *testing.T) {
	run := func() []string {
		e := serve(t, pt.NewSandbox(pt.WithSeed(42)), "")
		hc, _ := e.httpClient(10 * time.Second)
		var out []string
		for range 3 {
			m := decode(t, func() string {
				_, _, b := call(t, hc, "POST", sandboxURL("Application/"), pt.SandboxAuthID, pt.SandboxAuthToken,
					map[string]any{"app_name": "a", "answer_url": "https://a.example.com/"})
				return b
			}())
			out = append(out, m["api_id"].(string), m["app_id"].(string))
		}
		return out
	}
	a, b := run(), run()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different ids (-first +second):\n%s", diff)
	}
	if a[1] >= a[3] || a[3] >= a[5] {
		t.Errorf("app ids not increasing: %v", a)
	}
}

func TestAppNameContains(t *testing.T) {
	s := pt.New(pt.WithAppNameContains())
	must(t, s.AddAccount("MA000000000000000001", "tok"))
	for _, name := range []string{"switchboard-org1-default", "switchboard-org1-default-old", "other"} {
		if _, err := s.AddApplication("MA000000000000000001", pt.Application{AppName: name, AnswerURL: "https://a.example.com/"}); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/v1/Account/MA000000000000000001/Application/?app_name=switchboard-org1-default", nil)
	req.SetBasicAuth("MA000000000000000001", "tok")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	var page struct {
		Objects []struct {
			AppName string `json:"app_name"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || w.Code != http.StatusOK {
		t.Fatalf("%d %s: %v", w.Code, w.Body, err)
	}
	var got []string
	for _, o := range page.Objects {
		got = append(got, o.AppName)
	}
	if diff := cmp.Diff([]string{"switchboard-org1-default-old", "switchboard-org1-default"}, got); diff != "" {
		t.Errorf("listed (-want +got):\n%s", diff)
	}
}
