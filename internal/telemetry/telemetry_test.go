package telemetry_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/telemetry"
)

func TestEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"/2010-04-01/Accounts/AC00000000000000000000000000000001/IncomingPhoneNumbers.json":                                    "/2010-04-01/Accounts/{id}/IncomingPhoneNumbers.json",
		"/2010-04-01/Accounts/AC00000000000000000000000000000001/IncomingPhoneNumbers/PN0123456789abcdef0123456789abcdef.json": "/2010-04-01/Accounts/{id}/IncomingPhoneNumbers/{id}.json",
		"/v1/Account/MA00000000000000SBX1/Number/918000000001/":                                                                "/v1/Account/{id}/Number/{id}/",
		"/v1/Account/MA00000000000000SBX1/Application/":                                                                        "/v1/Account/{id}/Application/",
		"/v2/phone_numbers/1293384261075731499":                                                                                "/v2/phone_numbers/{id}",
		"/v2/balance":                                                                                                          "/v2/balance",
	} {
		if got := telemetry.Endpoint(in); got != want {
			t.Errorf("Endpoint(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTransportCountsByEndpoint(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTooManyRequests) }))
	defer srv.Close()
	m := telemetry.New()
	c := &http.Client{Transport: m.Transport("plivo", nil)}
	for range 2 {
		resp, err := c.Get(srv.URL + "/v1/Account/MA1/Number/918000000001/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	want := `switchboard_provider_http_requests_total{endpoint="/v1/Account/{id}/Number/{id}/",method="GET",provider="plivo",status="429"} 2`
	if !strings.Contains(string(body), want) {
		t.Errorf("metrics lack %s", want)
	}
}
