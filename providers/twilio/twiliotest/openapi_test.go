package twiliotest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// specFile is Twilio's official OpenAPI description of the 2010-04-01 API
// (github.com/twilio/twilio-oai, MIT licence in testdata/twilio-oai-LICENSE).
const specFile = "testdata/twilio_api_v2010.json"

// twilioSpec loads and prepares the spec once per test binary: parsing and
// checking 1.8 MB of OpenAPI takes a while.
var twilioSpec = sync.OnceValues(loadTwilioSpec)

type openAPISpec struct {
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
}

func loadTwilioSpec() (*openAPISpec, error) {
	// Decoded with encoding/json, refs resolved after: openapi3.Loader's
	// LoadFromFile reads JSON through its YAML parser, which takes 5-15 s
	// for this file instead of under one.
	data, err := os.ReadFile(specFile)
	if err != nil {
		return nil, err
	}
	doc := new(openapi3.T)
	if err := json.Unmarshal(data, doc); err != nil {
		return nil, fmt.Errorf("decode %s: %w", specFile, err)
	}
	if err := openapi3.NewLoader().ResolveRefsIn(doc, nil); err != nil {
		return nil, fmt.Errorf("resolve %s: %w", specFile, err)
	}
	if err := patchSpec(doc); err != nil {
		return nil, err
	}
	// Check the document itself, but not its examples: Twilio's examples
	// contradict their own schemas in dozens of places ("true" for
	// booleans, "" for SIDs, strings for numbers), which says nothing about
	// what the API sends. TestSpecExamples checks the examples of the
	// operations simulated here against the patched schemas instead.
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("validate %s: %w", specFile, err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", specFile, err)
	}
	return &openAPISpec{doc: doc, router: router, opts: &openapi3filter.Options{
		AuthenticationFunc:      requireBasicAuth,
		SchemaValidationOptions: formatValidators(),
		// Twilio documents only the 200 of each operation; error statuses
		// are checked against Twilio's error body by checkErrorBody.
		IncludeResponseStatus: false,
		MultiError:            true,
	}}, nil
}

// patchSpec corrects the two places where the schema contradicts Twilio's
// documented behaviour on the operations simulated here:
//
//   - voice_application_sid and sms_application_sid are "" on numbers
//     without an application in Twilio's own examples (the fetch, read and
//     update examples), while the schema demands 34 characters matching
//     ^AP...; the simulator renders them as Twilio does.
//   - VoiceApplicationSid=, SmsApplicationSid= and TrunkSid= (empty) are
//     how an application or trunk is detached from a number (PROVIDERS.md),
//     while the request schema demands a SID.
//
// Only "" is added to what those properties accept; everything else about
// them, and every other property, is validated as published.
func patchSpec(doc *openapi3.T) error {
	allowEmpty := func(schema *openapi3.SchemaRef, props ...string) error {
		if schema == nil || schema.Value == nil {
			return errors.New("patchSpec: schema missing")
		}
		for _, name := range props {
			p := schema.Value.Properties[name]
			if p == nil || p.Value == nil || p.Value.Pattern == "" {
				return fmt.Errorf("patchSpec: property %s missing or without a pattern", name)
			}
			p.Value.MinLength = 0
			p.Value.Pattern = "^(" + strings.TrimSuffix(strings.TrimPrefix(p.Value.Pattern, "^"), "$") + ")?$"
		}
		return nil
	}
	number := doc.Components.Schemas["api.v2010.account.incoming_phone_number"]
	if err := allowEmpty(number, "voice_application_sid", "sms_application_sid"); err != nil {
		return err
	}
	update := doc.Paths.Find("/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json")
	if update == nil || update.Post == nil || update.Post.RequestBody == nil {
		return errors.New("patchSpec: update operation missing")
	}
	form := update.Post.RequestBody.Value.Content.Get("application/x-www-form-urlencoded")
	if form == nil {
		return errors.New("patchSpec: update form missing")
	}
	return allowEmpty(form.Schema, "VoiceApplicationSid", "SmsApplicationSid", "TrunkSid")
}

// formatValidators defines the string formats Twilio's spec uses that
// kin-openapi does not know (it ignores unknown formats, which would let
// anything through). They are passed per validation rather than registered
// globally, to leave kin-openapi's package state alone.
func formatValidators() []openapi3.SchemaValidationOption {
	phone := regexp.MustCompile(`^\+?[0-9*]{1,15}$`)
	return []openapi3.SchemaValidationOption{
		// RFC 2822 dates as Twilio writes them: always GMT, "+0000".
		openapi3.WithStringFormatValidator("date-time-rfc-2822", openapi3.NewCallbackValidator(func(s string) error {
			if _, err := time.Parse(time.RFC1123Z, s); err != nil || !strings.HasSuffix(s, " +0000") {
				return fmt.Errorf("not a GMT RFC 2822 date: %q", s)
			}
			return nil
		})),
		// Callback URLs are absolute http(s) URLs or "" (unset); page URIs
		// are paths relative to https://api.twilio.com.
		openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
			if s == "" {
				return nil
			}
			u, err := url.Parse(s)
			switch {
			case err != nil:
				return err
			case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
				return nil
			case u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/2010-04-01/"):
				return nil
			}
			return fmt.Errorf("not an http(s) URL nor an API path: %q", s)
		})),
		// E.164 in responses; the PhoneNumber filter also takes partial
		// numbers and '*' wildcards, which this pattern allows too (tests
		// compare returned numbers exactly).
		openapi3.WithStringFormatValidator("phone-number", openapi3.NewCallbackValidator(func(s string) error {
			if !phone.MatchString(s) {
				return fmt.Errorf("not a phone number: %q", s)
			}
			return nil
		})),
		openapi3.WithStringFormatValidator("http-method", openapi3.NewCallbackValidator(func(s string) error {
			switch s {
			case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
				return nil
			}
			return fmt.Errorf("not an HTTP method: %q", s)
		})),
	}
}

// requireBasicAuth stands for the spec's accountSid_authToken scheme: the
// request must carry Basic credentials (whether they are right is the
// simulator's business).
func requireBasicAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "accountSid_authToken" {
		return fmt.Errorf("unexpected security scheme %q", in.SecuritySchemeName)
	}
	if _, _, ok := in.RequestValidationInput.Request.BasicAuth(); !ok {
		return errors.New("no Basic credentials")
	}
	return nil
}

// exchange is one request and its response, as a validating transport saw
// them.
type exchange struct {
	Method string
	URL    string
	Status int
	Header http.Header
	Body   []byte
}

// validatingTransport checks every request the SDK sends and every response
// it gets against Twilio's OpenAPI description, failing the test on any
// violation, and keeps a log of the exchanges (the SDK drops response
// headers, so tests read Retry-After here). It must sit outermost, where
// URLs still point at https://api.twilio.com, the spec's server.
type validatingTransport struct {
	t    testing.TB
	spec *openAPISpec
	next http.RoundTripper

	mu  sync.Mutex
	log []exchange
}

func newValidatingTransport(t testing.TB, next http.RoundTripper) *validatingTransport {
	t.Helper()
	spec, err := twilioSpec()
	if err != nil {
		t.Fatal(err)
	}
	return &validatingTransport{t: t, spec: spec, next: next}
}

func (vt *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
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

	in, err := vt.validateRequest(req, reqBody)
	if err != nil {
		vt.t.Errorf("request %s breaks Twilio's OpenAPI description: %v", what, err)
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

	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		vt.t.Errorf("response to %s: Content-Type %q", what, ct)
	}
	if in != nil {
		rin := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 resp.StatusCode,
			Header:                 resp.Header,
			Options:                vt.spec.opts,
		}
		rin.SetBodyBytes(respBody)
		if err := openapi3filter.ValidateResponse(req.Context(), rin); err != nil {
			vt.t.Errorf("response to %s breaks Twilio's OpenAPI description: %v\nbody: %s", what, err, respBody)
		}
	}
	if resp.StatusCode >= 400 {
		if err := checkErrorBody(resp.StatusCode, respBody); err != nil {
			vt.t.Errorf("error response to %s: %v", what, err)
		}
	}

	vt.mu.Lock()
	vt.log = append(vt.log, exchange{Method: req.Method, URL: req.URL.String(), Status: resp.StatusCode, Header: resp.Header.Clone(), Body: respBody})
	vt.mu.Unlock()
	return resp, nil
}

func (vt *validatingTransport) validateRequest(req *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	if req.URL.Scheme != "https" || req.URL.Host != "api.twilio.com" {
		return nil, fmt.Errorf("not addressed to https://api.twilio.com")
	}
	vreq := req.Clone(req.Context())
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := vt.spec.router.FindRoute(vreq)
	if err != nil {
		return nil, fmt.Errorf("no operation: %w", err)
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: vt.spec.opts}
	return in, openapi3filter.ValidateRequest(req.Context(), in)
}

// exchanges returns the log so far.
func (vt *validatingTransport) exchanges() []exchange {
	vt.mu.Lock()
	defer vt.mu.Unlock()
	return append([]exchange(nil), vt.log...)
}

// last returns the latest exchange.
func (vt *validatingTransport) last(t testing.TB) exchange {
	t.Helper()
	log := vt.exchanges()
	if len(log) == 0 {
		t.Fatal("no exchange recorded")
	}
	return log[len(log)-1]
}

// checkErrorBody checks an error response against Twilio's error body,
// which the spec does not describe: exactly code, message, more_info and
// status, with status equal to the HTTP status and more_info the code's
// documentation page.
func checkErrorBody(status int, body []byte) error {
	var e struct {
		Code     *int    `json:"code"`
		Message  *string `json:"message"`
		MoreInfo *string `json:"more_info"`
		Status   *int    `json:"status"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return fmt.Errorf("not a Twilio error body: %w: %s", err, body)
	}
	switch {
	case e.Code == nil || e.Message == nil || e.MoreInfo == nil || e.Status == nil:
		return fmt.Errorf("missing fields: %s", body)
	case *e.Status != status:
		return fmt.Errorf("status %d in a %d response", *e.Status, status)
	case *e.MoreInfo != "https://www.twilio.com/docs/errors/"+strconv.Itoa(*e.Code):
		return fmt.Errorf("more_info %q for code %d", *e.MoreInfo, *e.Code)
	case *e.Message == "":
		return errors.New("empty message")
	}
	return nil
}

// TestSpecExamples checks Twilio's own 200 examples for the simulated
// operations against the patched schemas and the format validators, so
// the patches and validators accept what Twilio really sends and no more
// is relaxed than needed.
func TestSpecExamples(t *testing.T) {
	spec, err := twilioSpec()
	if err != nil {
		t.Fatal(err)
	}
	ops := []struct{ path, method string }{
		{"/2010-04-01/Accounts/{Sid}.json", http.MethodGet},
		{"/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json", http.MethodGet},
		{"/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json", http.MethodGet},
		{"/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json", http.MethodPost},
	}
	for _, op := range ops {
		o := spec.doc.Paths.Find(op.path).GetOperation(op.method)
		media := o.Responses.Status(200).Value.Content.Get("application/json")
		if len(media.Examples) == 0 {
			t.Errorf("%s %s: no examples", op.method, op.path)
		}
		for name, ex := range media.Examples {
			if err := media.Schema.Value.VisitJSON(ex.Value.Value, spec.opts.SchemaValidationOptions...); err != nil {
				t.Errorf("%s %s example %s: %v", op.method, op.path, name, err)
			}
		}
	}

	// And the patch relaxes nothing but "".
	n := spec.doc.Components.Schemas["api.v2010.account.incoming_phone_number"].Value
	for _, bad := range []any{
		map[string]any{"voice_application_sid": "AP123"},
		map[string]any{"date_created": "2015-07-30T23:19:04Z"},
		map[string]any{"voice_url": "not a url"},
		map[string]any{"phone_number": "call me"},
	} {
		if err := n.VisitJSON(bad, spec.opts.SchemaValidationOptions...); err == nil {
			t.Errorf("%v passes the number schema", bad)
		}
	}
}
