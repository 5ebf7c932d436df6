package twiliotest_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"

	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// sandboxPrefix is where the dev sandbox mounts the simulator.
const sandboxPrefix = "/sandbox/twilio"

// forEachMount runs a test against the simulator served on its own and
// under the dev sandbox's prefix.
func forEachMount(t *testing.T, test func(t *testing.T, prefix string)) {
	for _, m := range []struct{ name, prefix string }{{"root", ""}, {"prefixed", sandboxPrefix}} {
		t.Run(m.name, func(t *testing.T) { test(t, m.prefix) })
	}
}

// env is a simulator on a test HTTP server.
type env struct {
	srv    *twiliotest.Server
	base   *url.URL
	prefix string
}

// serve mounts srv (under prefix, when not empty, with http.StripPrefix as
// the dev sandbox does) on a test server closed with the test.
func serve(t *testing.T, srv *twiliotest.Server, prefix string) *env {
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
	base, err := url.Parse(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, base: base, prefix: prefix}
}

// rewriteTransport sends requests addressed to https://api.twilio.com to
// the test server, under its prefix, the way switchboard's adapter points
// the SDK at the simulator.
type rewriteTransport struct {
	base   *url.URL
	prefix string
	next   http.RoundTripper
}

func (rt *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme = rt.base.Scheme
	out.URL.Host = rt.base.Host
	out.URL.Path = rt.prefix + req.URL.Path
	out.URL.RawPath = ""
	out.Host = ""
	return rt.next.RoundTrip(out)
}

// httpClient returns a client whose requests for https://api.twilio.com
// reach the simulator, each exchange validated against Twilio's OpenAPI
// description.
func (e *env) httpClient(t *testing.T, timeout time.Duration) (*http.Client, *validatingTransport) {
	t.Helper()
	vt := newValidatingTransport(t, &rewriteTransport{base: e.base, prefix: e.prefix, next: http.DefaultTransport})
	return &http.Client{Transport: vt, Timeout: timeout}, vt
}

// sdk returns the real twilio-go REST client for an account, set up as
// PROVIDERS.md describes, talking to the simulator.
func (e *env) sdk(t *testing.T, sid, token string) (*twilio.RestClient, *validatingTransport) {
	t.Helper()
	return e.sdkWithTimeout(t, sid, token, 10*time.Second)
}

func (e *env) sdkWithTimeout(t *testing.T, sid, token string, timeout time.Duration) (*twilio.RestClient, *validatingTransport) {
	t.Helper()
	hc, vt := e.httpClient(t, timeout)
	c := &client.Client{Credentials: client.NewCredentials(sid, token), HTTPClient: hc}
	c.SetAccountSid(sid)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c}), vt
}

// restError asserts err is a Twilio REST error with status and code.
func restError(t *testing.T, err error, status, code int) *client.TwilioRestError {
	t.Helper()
	var te *client.TwilioRestError
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T), want *client.TwilioRestError %d/%d", err, err, status, code)
	}
	if te.Status != status || te.Code != code {
		t.Fatalf("Twilio error %d/%d (%s), want %d/%d", te.Status, te.Code, te.Message, status, code)
	}
	return te
}

func ptr[T any](v T) *T { return &v }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func setFaults(t *testing.T, srv *twiliotest.Server, f twiliotest.Faults) {
	t.Helper()
	must(t, srv.SetFaults(f))
}
