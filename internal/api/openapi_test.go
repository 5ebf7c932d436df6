package api_test

import (
	"context"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI())
	if err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not valid OpenAPI 3: %v", err)
	}
	return doc
}

// TestOpenAPIDescribesEveryRoute: the document and routes.go list the
// same operations, and every operation documents its errors.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	var routes, documented []string
	for _, r := range api.Routes() {
		routes = append(routes, r.Method+" "+r.Path)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented = append(documented, method+" "+path)
			public := op.Security != nil && len(*op.Security) == 0
			if !public && op.Responses.Value("401") == nil {
				t.Errorf("%s %s: no 401 response", method, path)
			}
			if !public && op.Responses.Value("500") == nil {
				t.Errorf("%s %s: no 500 response", method, path)
			}
			if op.Responses.Value("202") != nil && op.Responses.Value("202").Value.Headers["Location"] == nil {
				t.Errorf("%s %s: 202 without a Location header", method, path)
			}
		}
	}
	sort.Strings(routes)
	sort.Strings(documented)
	if diff := cmp.Diff(routes, documented); diff != "" {
		t.Errorf("routes.go (-) and openapi.json (+) differ:\n%s", diff)
	}
	for _, name := range []string{"X-API-Key", "token", "api_access_token"} {
		found := false
		for _, s := range doc.Components.SecuritySchemes {
			found = found || (s.Value.Type == "apiKey" && s.Value.In == "header" && s.Value.Name == name)
		}
		if !found {
			t.Errorf("no security scheme for the %s header", name)
		}
	}
}

func TestOpenAPIIsServed(t *testing.T) {
	t.Parallel()
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), time.Second, nil)
	resp, err := http.Get(e.url + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || string(b) != string(api.OpenAPI()) {
		t.Errorf("GET /openapi.json: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
	}
}

// openAPIRouter finds a request's operation in openapi.json.
var openAPIRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI())
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

// checkDocumented fails the test unless openapi.json documents the
// response (status, headers and body) to req. Every request the tests make
// passes through it, so the document cannot drift from the behaviour.
func checkDocumented(t *testing.T, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	router, err := openAPIRouter()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Errorf("%s %s: not in openapi.json: %v", req.Method, req.URL.Path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s: %d response does not match openapi.json: %v\n%s", req.Method, req.URL.Path, status, err, body)
	}
}
