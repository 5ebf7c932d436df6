package telnyxtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers/internal/openapicheck"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
)

// sandboxPrefix is where the dev sandbox mounts the simulator.
const sandboxPrefix = "/sandbox/telnyx"

// forEachMount runs a test against the simulator served on its own and
// under the dev sandbox's prefix.
func forEachMount(t *testing.T, test func(t *testing.T, prefix string)) {
	for _, m := range []struct{ name, prefix string }{{"root", ""}, {"prefixed", sandboxPrefix}} {
		t.Run(m.name, func(t *testing.T) { test(t, m.prefix) })
	}
}

// env is a simulator on a test HTTP server.
type env struct {
	srv  *telnyxtest.Server
	base string // the URL the API's /v2 paths go under
	hc   *http.Client
}

// serve mounts srv (under prefix, when not empty, with http.StripPrefix as
// the dev sandbox does) on a test server closed with the test.
func serve(t *testing.T, srv *telnyxtest.Server, prefix string) *env {
	t.Helper()
	var h http.Handler = srv
	if prefix != "" {
		mux := http.NewServeMux()
		mux.Handle(prefix+"/", http.StripPrefix(prefix, srv))
		h = mux
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	t.Cleanup(srv.Close) // runs first: releases hung requests ts.Close would wait for
	u, err := url.Parse(ts.URL)
	must(t, err)
	// Requests are addressed to Telnyx and rewritten to the test server,
	// so that every response is held to Telnyx's OpenAPI description.
	// Requests are not: tests send malformed ones on purpose.
	vt := openapicheck.NewTransport(t, openapicheck.Telnyx, &openapicheck.Rewrite{Scheme: u.Scheme, Host: u.Host, Prefix: prefix})
	vt.ResponsesOnly = true
	return &env{srv: srv, base: "https://api.telnyx.com", hc: &http.Client{Timeout: 10 * time.Second, Transport: vt}}
}

// response is one exchange's answer.
type response struct {
	status int
	header http.Header
	body   string
}

// json decodes the body into a generic value.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// data returns the body's data object.
func (r response) data(t *testing.T) map[string]any {
	t.Helper()
	d, ok := r.json(t)["data"].(map[string]any)
	if !ok {
		t.Fatalf("no data object in %s", r.body)
	}
	return d
}

// list returns the body's data array.
func (r response) list(t *testing.T) []map[string]any {
	t.Helper()
	raw, ok := r.json(t)["data"].([]any)
	if !ok {
		t.Fatalf("no data array in %s", r.body)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i] = v.(map[string]any)
	}
	return out
}

// errorCode returns the first error's code, and fails when there is none.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	errs, ok := r.json(t)["errors"].([]any)
	if !ok || len(errs) == 0 {
		t.Fatalf("no errors in %s", r.body)
	}
	return errs[0].(map[string]any)["code"].(string)
}

// do sends method path (e.g. "/v2/balance?x=y") with the API key and, when
// body is not "", a JSON body.
func (e *env) do(t *testing.T, method, path, key, body string) response {
	t.Helper()
	return e.doType(t, method, path, key, body, "application/json")
}

func (e *env) doType(t *testing.T, method, path, key, body, contentType string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	must(t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.hc.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// get is do for a GET with the sandbox key.
func (e *env) get(t *testing.T, path string) response {
	t.Helper()
	return e.do(t, http.MethodGet, path, telnyxtest.SandboxAPIKey, "")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func setFaults(t *testing.T, srv *telnyxtest.Server, f telnyxtest.Faults) {
	t.Helper()
	must(t, srv.SetFaults(f))
}

func numberID(t *testing.T, srv *telnyxtest.Server, e164 string) string {
	t.Helper()
	n, ok := srv.Number(telnyxtest.SandboxAPIKey, e164)
	if !ok {
		t.Fatalf("no number %s", e164)
	}
	return n.ID
}
