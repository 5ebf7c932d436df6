// Package openapicheck holds provider simulators and adapters to the
// providers' own OpenAPI descriptions in tests: a Transport validates every
// request sent through it and every response it gets against a Spec, and
// fails the test on any violation. Twilio and Telnyx return the specs of
// the two providers that publish one, with the few documented corrections
// each needs.
//
// Only tests import this package: it embeds the specs (2 MB) and pulls in
// kin-openapi, neither of which belongs in the switchboard binary.
package openapicheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Spec is a provider's OpenAPI description, ready to validate exchanges.
type Spec struct {
	// Name is the provider's name, for messages.
	Name string
	// Doc is the (patched) description.
	Doc *openapi3.T
	// Opts are the validation options: authentication check and format
	// validators.
	Opts *openapi3filter.Options
	// Host is where requests must be addressed (scheme://host), the
	// spec's server: the transport sits before any rewriting to a
	// simulator.
	Host string
	// ContentType is the Content-Type every response must carry.
	ContentType string
	// CheckError checks the body of a 4xx or 5xx response, which the spec
	// does not (always) describe.
	CheckError func(status int, body []byte) error

	router routers.Router
}

// load decodes a JSON OpenAPI document, resolves its references, applies
// patch and checks the result (without its examples, which providers do
// not keep true to their schemas).
func load(name string, data []byte, patch func(*openapi3.T) error) (*openapi3.T, routers.Router, error) {
	// Decoded with encoding/json, refs resolved after: openapi3.Loader's
	// LoadFromData reads JSON through its YAML parser, which takes 5-15 s
	// for Twilio's 1.8 MB instead of under one.
	doc := new(openapi3.T)
	if err := json.Unmarshal(data, doc); err != nil {
		return nil, nil, fmt.Errorf("decode %s: %w", name, err)
	}
	if err := openapi3.NewLoader().ResolveRefsIn(doc, nil); err != nil {
		return nil, nil, fmt.Errorf("resolve %s: %w", name, err)
	}
	if patch != nil {
		if err := patch(doc); err != nil {
			return nil, nil, fmt.Errorf("patch %s: %w", name, err)
		}
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, nil, fmt.Errorf("validate %s: %w", name, err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("route %s: %w", name, err)
	}
	return doc, router, nil
}

// Exchange is one request and its response, as a Transport saw them.
type Exchange struct {
	Method string
	URL    string
	Status int
	Header http.Header
	Body   []byte
}

// Transport checks every request sent through it and every response it
// gets against a Spec, failing the test on any violation, and keeps a log
// of the exchanges (SDKs drop response headers, so tests read Retry-After
// here). It must sit outermost, where URLs still point at the provider's
// host.
type Transport struct {
	// ResponsesOnly leaves requests unchecked, for tests that send
	// malformed requests on purpose to see the simulator refuse them; the
	// responses are still held to the spec.
	ResponsesOnly bool

	t    testing.TB
	spec *Spec
	next http.RoundTripper

	mu  sync.Mutex
	log []Exchange
}

// NewTransport returns a Transport validating against spec (loaded by
// load, e.g. Twilio), sending requests on through next.
func NewTransport(t testing.TB, load func() (*Spec, error), next http.RoundTripper) *Transport {
	t.Helper()
	spec, err := load()
	if err != nil {
		t.Fatal(err)
	}
	return &Transport{t: t, spec: spec, next: next}
}

// RoundTrip implements http.RoundTripper.
func (vt *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
	}
	what := req.Method + " " + req.URL.String()
	name := vt.spec.Name

	in, err := vt.validateRequest(req, reqBody)
	if err != nil && !vt.ResponsesOnly {
		vt.t.Errorf("request %s breaks %s's OpenAPI description: %v", what, name, err)
	}

	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(reqBody))
	resp, err := vt.next.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))

	if ct := resp.Header.Get("Content-Type"); ct != vt.spec.ContentType {
		vt.t.Errorf("response to %s: Content-Type %q, want %q", what, ct, vt.spec.ContentType)
	}
	if in != nil {
		rin := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 resp.StatusCode,
			Header:                 resp.Header,
			Options:                vt.spec.Opts,
		}
		rin.SetBodyBytes(respBody)
		if err := openapi3filter.ValidateResponse(req.Context(), rin); err != nil {
			vt.t.Errorf("response to %s breaks %s's OpenAPI description: %v\nbody: %s", what, name, err, respBody)
		}
	}
	if resp.StatusCode >= 400 && vt.spec.CheckError != nil {
		if err := vt.spec.CheckError(resp.StatusCode, respBody); err != nil {
			vt.t.Errorf("error response to %s: %v", what, err)
		}
	}

	vt.mu.Lock()
	vt.log = append(vt.log, Exchange{Method: req.Method, URL: req.URL.String(), Status: resp.StatusCode, Header: resp.Header.Clone(), Body: respBody})
	vt.mu.Unlock()
	return resp, nil
}

func (vt *Transport) validateRequest(req *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	if req.URL.Scheme+"://"+req.URL.Host != vt.spec.Host {
		return nil, fmt.Errorf("not addressed to %s", vt.spec.Host)
	}
	vreq := req.Clone(req.Context())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := vt.spec.router.FindRoute(vreq)
	if err != nil {
		return nil, fmt.Errorf("no operation: %w", err)
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: vt.spec.Opts}
	return in, openapi3filter.ValidateRequest(req.Context(), in)
}

// Exchanges returns the log so far.
func (vt *Transport) Exchanges() []Exchange {
	vt.mu.Lock()
	defer vt.mu.Unlock()
	return append([]Exchange(nil), vt.log...)
}

// Last returns the latest exchange.
func (vt *Transport) Last(t testing.TB) Exchange {
	t.Helper()
	log := vt.Exchanges()
	if len(log) == 0 {
		t.Fatal("no exchange recorded")
	}
	return log[len(log)-1]
}

// Rewrite sends requests on to base (scheme://host[/prefix]), the way
// the adapters point vendor hosts at a simulator.
type Rewrite struct {
	Scheme, Host, Prefix string
	Next                 http.RoundTripper // nil means http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (rt *Rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme = rt.Scheme
	out.URL.Host = rt.Host
	out.URL.Path = rt.Prefix + req.URL.Path
	out.URL.RawPath = ""
	out.Host = ""
	next := rt.Next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(out)
}
