package plivotest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	plivo "github.com/plivo/plivo-go/v7"

	pt "github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

// sandboxPrefix is where the dev sandbox mounts the simulator.
const sandboxPrefix = "/sandbox/plivo"

// apiBase is where plivo-go sends every request; the test transport
// rewrites it to the test server.
const apiBase = "https://api.plivo.com/v1/Account/"

// forEachMount runs a test against the simulator served on its own and
// under the dev sandbox's prefix.
func forEachMount(t *testing.T, test func(t *testing.T, prefix string)) {
	for _, m := range []struct{ name, prefix string }{{"root", ""}, {"prefixed", sandboxPrefix}} {
		t.Run(m.name, func(t *testing.T) { test(t, m.prefix) })
	}
}

// env is a simulator on a test HTTP server.
type env struct {
	srv    *pt.Server
	base   *url.URL
	prefix string
}

// serve mounts srv (under prefix, when not empty, with http.StripPrefix)
// on a test server closed with the test.
func serve(t *testing.T, srv *pt.Server, prefix string) *env {
	t.Helper()
	var h http.Handler = srv
	if prefix != "" {
		h = http.StripPrefix(prefix, srv)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	t.Cleanup(srv.Close) // runs first: releases hung requests ts.Close would wait for
	base, err := url.Parse(ts.URL)
	must(t, err)
	return &env{srv: srv, base: base, prefix: prefix}
}

// exchange is one request and its answer, as seen on the wire.
type exchange struct {
	Method, Path string
	ReqBody      string
	Status       int
	Header       http.Header
	Body         string
}

// rewriteTransport sends requests addressed to https://api.plivo.com to
// the test server, under its prefix (the way switchboard's adapter points
// the SDK at the simulator), and records the exchanges.
type rewriteTransport struct {
	base   *url.URL
	prefix string
	log    []exchange
}

func (rt *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme = rt.base.Scheme
	out.URL.Host = rt.base.Host
	out.URL.Path = rt.prefix + req.URL.Path
	out.URL.RawPath = ""
	out.Host = ""
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body.Close()
		out.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	rt.log = append(rt.log, exchange{req.Method, req.URL.Path, string(reqBody), resp.StatusCode, resp.Header, string(body)})
	return resp, nil
}

// httpClient returns a client whose requests for https://api.plivo.com
// reach the simulator. Tests using it are sequential: the log is not
// locked.
func (e *env) httpClient(timeout time.Duration) (*http.Client, *rewriteTransport) {
	rt := &rewriteTransport{base: e.base, prefix: e.prefix}
	return &http.Client{Transport: rt, Timeout: timeout}, rt
}

// sdk returns the real plivo-go client for an account, talking to the
// simulator.
func (e *env) sdk(t *testing.T, authID, token string) (*plivo.Client, *rewriteTransport) {
	t.Helper()
	hc, rt := e.httpClient(10 * time.Second)
	c, err := plivo.NewClient(authID, token, &plivo.ClientOptions{HttpClient: hc})
	must(t, err)
	return c, rt
}

// call sends a request with a JSON body (when body is not nil) and returns
// the status, headers and body.
func call(t *testing.T, hc *http.Client, method, rawURL, user, pass string, body any) (int, http.Header, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		must(t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, rawURL, r)
	must(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
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

// get is call for a GET as the sandbox account that must answer 200; it
// returns the decoded body.
func get(t *testing.T, hc *http.Client, rawURL string) map[string]any {
	t.Helper()
	status, _, body := call(t, hc, "GET", rawURL, pt.SandboxAuthID, pt.SandboxAuthToken, nil)
	if status != 200 {
		t.Fatalf("GET %s: %d %s", rawURL, status, body)
	}
	return decode(t, body)
}

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return m
}

func sandboxURL(path string) string { return apiBase + pt.SandboxAuthID + "/" + path }

func digits(e164 string) string { return strings.TrimPrefix(e164, "+") }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func setFaults(t *testing.T, srv *pt.Server, f pt.Faults) {
	t.Helper()
	must(t, srv.SetFaults(f))
}
