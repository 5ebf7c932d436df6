package plivo_test

// These tests prove that plivo-go's defects (PROVIDERS.md) stop at the
// adapter's edge.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo"
	pt "github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

func isCreate(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Application/")
}

// TestAmbiguousCreates: plivo-go resends an application POST after a 5xx
// and then reports success with an empty app_id, and a create that got no
// answer may still have been applied. Whatever happened, one worker run
// must leave at most one application, and a retry must converge.
func TestAmbiguousCreates(t *testing.T) {
	respond := func(status int, body string) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
	}
	tests := []struct {
		name   string
		faults pt.Faults
		// intercept stands before the simulator for application creates:
		// it may forward (apply) and then lie about the answer.
		intercept func(r *http.Request) (*http.Response, error)
		// applied: the first run succeeds by finding the application;
		// otherwise it fails with KindTransient and a retry creates it.
		applied bool
	}{
		{name: "applied, 500 with a body (the SDK resends)", faults: pt.Faults{AmbiguousCreates: 1}, applied: true},
		{name: "applied, 500 with an empty body", faults: pt.Faults{AmbiguousCreates: 1, EmptyErrorBody: true}, applied: true},
		{name: "applied, no answer", applied: true, intercept: func(r *http.Request) (*http.Response, error) {
			resp, err := http.DefaultTransport.RoundTrip(r)
			if err == nil {
				resp.Body.Close()
			}
			return nil, errors.New("connection reset by peer")
		}},
		{name: "applied, 201 without app_id", applied: true, intercept: func(r *http.Request) (*http.Response, error) {
			resp, err := http.DefaultTransport.RoundTrip(r)
			if err != nil {
				return nil, err
			}
			resp.Body.Close()
			return respond(201, `{"api_id":"00000000-0000-4000-8000-000000000000","message":"created"}`), nil
		}},
		{name: "not applied, 503 with a body (the SDK resends)", intercept: func(r *http.Request) (*http.Response, error) {
			return respond(503, `{"api_id":"x","error":"service unavailable"}`), nil
		}},
		{name: "not applied, 502 with an empty body", intercept: func(r *http.Request) (*http.Response, error) {
			return respond(502, ""), nil
		}},
		{name: "not applied, no answer", intercept: func(r *http.Request) (*http.Response, error) {
			return nil, errors.New("dial tcp: connection refused")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			intercepting := tc.intercept != nil
			creates := 0
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if isCreate(r) {
					mu.Lock()
					creates++
					on := intercepting
					intercepting = false // only the first create is faulted
					mu.Unlock()
					if on {
						return tc.intercept(r)
					}
				}
				return http.DefaultTransport.RoundTrip(r)
			})
			e := newEnv(t, rt)
			e.setFaults(t, tc.faults)

			_, err := e.a.EnsureVoiceRoute(ctx(t), sandboxCreds, e.lookup(t, pt.SandboxNumber1), route)
			if tc.applied {
				must(t, err)
			} else {
				wantKind(t, err, providers.KindTransient)
				if n := e.sim.Applications(pt.SandboxAuthID, route.Name); n != 0 {
					t.Fatalf("%d applications after a create that was not applied", n)
				}
				e.ensure(t, pt.SandboxNumber1, route) // the worker's retry
			}
			mu.Lock()
			defer mu.Unlock()
			if want := map[bool]int{true: 1, false: 2}[tc.applied]; creates != want {
				t.Errorf("%d creates sent, want %d: resends must be refused locally", creates, want)
			}
			if n := e.sim.Applications(pt.SandboxAuthID, route.Name); n != 1 {
				t.Errorf("%d applications named %s, want 1", n, route.Name)
			}
			if got := e.sim.VoiceURL(pt.SandboxAuthID, pt.SandboxNumber1); got != route.VoiceURL {
				t.Errorf("routes to %q", got)
			}
		})
	}
}

// TestStatusesAreClassified: plivo-go reports a non-2xx answer as
// errors.New(body), and an empty one as no error at all; the adapter
// classifies by the status the exchange recorded.
func TestStatusesAreClassified(t *testing.T) {
	const notRented = "account " + pt.SandboxAuthID + " does not rent " + pt.SandboxNumber1
	tests := []struct {
		status     int
		header     string // Retry-After
		body       string
		kind       providers.Kind
		retryAfter time.Duration
		message    string
	}{
		{401, "", `{"error":"authentication credentials were not provided"}`, providers.KindInvalidCredentials, 0, "authentication credentials were not provided"},
		{401, "", ``, providers.KindInvalidCredentials, 0, "Unauthorized"},
		{403, "", `{"api_id":"a","error":"forbidden"}`, providers.KindInvalidCredentials, 0, "forbidden"},
		{404, "", `{"api_id":"a","error":"not found"}`, providers.KindNotOwned, 0, notRented},
		{404, "", `{}`, providers.KindNotOwned, 0, notRented},
		{404, "", ``, providers.KindNotOwned, 0, notRented},
		{429, "7", `{"api_id":"a","error":"too many requests"}`, providers.KindRateLimited, 7 * time.Second, "too many requests"},
		{429, "", ``, providers.KindRateLimited, 0, "Too Many Requests"},
		{500, "", `{"api_id":"a","error":"internal server error"}`, providers.KindTransient, 0, "internal server error"},
		{500, "", ``, providers.KindTransient, 0, "Internal Server Error"},
		{503, "", `<html>bad gateway</html>`, providers.KindTransient, 0, "Service Unavailable"},
		{408, "", ``, providers.KindTransient, 0, "Request Timeout"},
		{409, "", `{"error":"conflict"}`, providers.KindTransient, 0, "conflict"},
		{400, "", `{"api_id":"a","error":{"answer_url":["invalid"]}}`, providers.KindBadRequest, 0, "Bad Request"},
		{422, "", ``, providers.KindBadRequest, 0, "Unprocessable Entity"},
		{301, "", `moved`, providers.KindTransient, 0, "unexpected redirect"},
		// 300 is a redirect too, with or without a body (plivo-go reports
		// an empty one as no error): never a success, nor "Multiple Choices".
		{300, "", `moved`, providers.KindTransient, 0, "unexpected redirect"},
		{300, "", ``, providers.KindTransient, 0, "unexpected redirect"},
		// Plivo's words are kept up to 200 bytes; longer is not a message.
		{400, "", `{"error":"` + strings.Repeat("e", 200) + `"}`, providers.KindBadRequest, 0, strings.Repeat("e", 200)},
		{400, "", `{"error":"` + strings.Repeat("e", 201) + `"}`, providers.KindBadRequest, 0, "Bad Request"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d %q", tc.status, tc.body), func(t *testing.T) {
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				h := http.Header{}
				if tc.header != "" {
					h.Set("Retry-After", tc.header)
				}
				return &http.Response{StatusCode: tc.status, Header: h, Body: io.NopCloser(strings.NewReader(tc.body)), Request: r}, nil
			})
			a, err := plivo.New(plivo.Options{Transport: rt})
			must(t, err)
			n, err := a.Lookup(ctx(t), sandboxCreds, pt.SandboxNumber1)
			pe := wantKind(t, err, tc.kind)
			got := providers.Error{Kind: pe.Kind, Status: pe.Status, RetryAfter: pe.RetryAfter, Message: pe.Message}
			want := providers.Error{Kind: tc.kind, Status: tc.status, RetryAfter: tc.retryAfter, Message: tc.message}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if n != (providers.Number{}) {
				t.Errorf("Lookup returned %+v with an error", n)
			}
		})
	}
}

// TestEmptyRedirectDoesNotValidate: plivo-go reports a 3xx without a body
// as no error; a proxy answering the account fetch that way must not make
// credentials valid, whichever 3xx it is.
func TestEmptyRedirectDoesNotValidate(t *testing.T) {
	for _, status := range []int{300, 302, 399} {
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: status, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
		})
		a, err := plivo.New(plivo.Options{Transport: rt})
		must(t, err)
		err = a.ValidateCredentials(ctx(t), sandboxCreds)
		if err == nil {
			t.Errorf("%d without a body: credentials validated", status)
			continue
		}
		if pe := wantKind(t, err, providers.KindTransient); pe.Status != status || pe.Message != "unexpected redirect" {
			t.Errorf("%d without a body: status %d, message %q; want %d, \"unexpected redirect\"", status, pe.Status, pe.Message, status)
		}
	}
}

// TestUnreadableSuccess: a 2xx the SDK cannot decode is not a success.
func TestUnreadableSuccess(t *testing.T) {
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("<html>")), Request: r}, nil
	})
	a, err := plivo.New(plivo.Options{Transport: rt})
	must(t, err)
	_, err = a.Lookup(ctx(t), sandboxCreds, pt.SandboxNumber1)
	if pe := wantKind(t, err, providers.KindTransient); pe.Message != "unreadable response" {
		t.Errorf("%v", err)
	}
}

// TestEmptyErrorBodiesAreNotSuccesses drives the simulator's empty 500s:
// plivo-go alone would report valid credentials and a zero-value number.
func TestEmptyErrorBodiesAreNotSuccesses(t *testing.T) {
	e := newEnv(t, nil)
	e.setFaults(t, pt.Faults{ErrorRate: 1, EmptyErrorBody: true})
	err := e.a.ValidateCredentials(ctx(t), sandboxCreds)
	if pe := wantKind(t, err, providers.KindTransient); pe.Status != 500 {
		t.Errorf("Status %d", pe.Status)
	}
	_, err = e.a.Lookup(ctx(t), sandboxCreds, pt.SandboxNumber1)
	wantKind(t, err, providers.KindTransient)

	// The application list is an SDK "voice" call, retried on 5xx: an
	// outage there is transient too, not an empty list that leads to a
	// create.
	e.setFaults(t, pt.Faults{})
	n := e.lookup(t, pt.SandboxNumber1)
	e.setFaults(t, pt.Faults{ErrorRate: 1})
	e.sim.ResetCalls()
	_, err = e.a.EnsureVoiceRoute(ctx(t), sandboxCreds, n, route)
	wantKind(t, err, providers.KindTransient)
	if c := e.sim.Calls(); c[pt.EndpointCreateApplication] != 0 || c[pt.EndpointListApplications] != 3 {
		t.Errorf("calls %v: want the SDK's 3 list attempts and no create", c)
	}
}

func TestRateLimitWindow(t *testing.T) {
	e := newEnv(t, nil)
	e.setFaults(t, pt.Faults{RateLimit: 2, RateWindow: time.Minute})
	must(t, e.a.ValidateCredentials(ctx(t), sandboxCreds))
	must(t, e.a.ValidateCredentials(ctx(t), sandboxCreds))
	pe := wantKind(t, e.a.ValidateCredentials(ctx(t), sandboxCreds), providers.KindRateLimited)
	if pe.Status != 429 || pe.RetryAfter != 0 || pe.Message != "too many requests" {
		t.Errorf("%+v", pe)
	}
}

// TestSecretsStayOut: no error, however it is printed or unwrapped,
// holds the auth token, even when Plivo echoes it.
func TestSecretsStayOut(t *testing.T) {
	const token = "s3cr3tplivotokenvalue"
	creds := providers.Credentials{AccountID: pt.SandboxAuthID, Secret: token}
	echo := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		body := `{"api_id":"a","error":"token ` + token + ` is wrong"}`
		return &http.Response{StatusCode: 401, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})
	refuse := roundTripFunc(func(r *http.Request) (*http.Response, error) { return nil, errors.New("connection refused") })
	for name, rt := range map[string]http.RoundTripper{"echo": echo, "refused": refuse} {
		a, err := plivo.New(plivo.Options{Transport: rt})
		must(t, err)
		var errs []error
		errs = append(errs, a.ValidateCredentials(ctx(t), creds))
		_, err = a.Lookup(ctx(t), creds, pt.SandboxNumber1)
		errs = append(errs, err)
		_, err = a.EnsureVoiceRoute(ctx(t), creds, providers.Number{ID: "918000000001", E164: pt.SandboxNumber1}, route)
		errs = append(errs, err)
		for _, err := range errs {
			if err == nil {
				t.Fatalf("%s: no error", name)
			}
			for e := err; e != nil; e = errors.Unwrap(e) {
				for _, s := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
					if strings.Contains(s, token) {
						t.Errorf("%s: error %q holds the token", name, s)
					}
				}
			}
		}
	}
}

func TestUserAgent(t *testing.T) {
	for _, tc := range []struct{ option, want string }{{"", "switchboard"}, {"switchboard/1.2.0", "switchboard/1.2.0"}} {
		var mu sync.Mutex
		var agents []string
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			agents = append(agents, r.Header.Get("User-Agent"))
			mu.Unlock()
			return http.DefaultTransport.RoundTrip(r)
		})
		e := newEnvWith(t, plivo.Options{Transport: rt, UserAgent: tc.option})
		must(t, e.a.ValidateCredentials(ctx(t), sandboxCreds))
		e.ensure(t, pt.SandboxNumber1, route) // number and application calls
		mu.Lock()
		for _, ua := range agents {
			if !strings.HasPrefix(ua, "plivo-go/7.57.0 (Go: ") || !strings.HasSuffix(ua, ") "+tc.want) {
				t.Errorf("User-Agent %q, want plivo-go's followed by %q", ua, tc.want)
			}
		}
		if len(agents) != 5 {
			t.Errorf("%d requests seen", len(agents))
		}
		mu.Unlock()
	}
}

// TestEmptySuccessesAreNotAnswers: a 2xx without a body decodes to a zero
// value without an error; it must neither disown a number nor hide an
// existing application.
func TestEmptySuccessesAreNotAnswers(t *testing.T) {
	var mu sync.Mutex
	blank := ""
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		on := blank != "" && r.Method == http.MethodGet && strings.Contains(r.URL.Path, blank)
		mu.Unlock()
		if on {
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	e := newEnv(t, rt)
	e.ensure(t, pt.SandboxNumber1, route) // the application exists

	mu.Lock()
	blank = "/Number/"
	mu.Unlock()
	_, err := e.a.Lookup(ctx(t), sandboxCreds, pt.SandboxNumber2)
	if pe := wantKind(t, err, providers.KindTransient); pe.Message != "unreadable response" {
		t.Errorf("%v", err)
	}

	n := func() providers.Number { mu.Lock(); blank = ""; mu.Unlock(); return e.lookup(t, pt.SandboxNumber2) }()
	mu.Lock()
	blank = "/Application/"
	mu.Unlock()
	_, err = e.a.EnsureVoiceRoute(ctx(t), sandboxCreds, n, route)
	wantKind(t, err, providers.KindTransient)
	if c := e.sim.Applications(pt.SandboxAuthID, route.Name); c != 1 {
		t.Errorf("%d applications: an empty list answer led to a create", c)
	}
}
