package telnyx_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/telnyx"
)

const secret = "KEY0123456789SECRET"

// canned answers every request with status, headers and body.
func canned(t *testing.T, status int, header map[string]string, body string) *telnyx.Adapter {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	a, err := telnyx.New(telnyx.Options{BaseURL: ts.URL, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func telnyxError(code, detail string) string {
	return `{"errors":[{"code":"` + code + `","title":"T","detail":"` + detail + `"}]}`
}

func TestClassify(t *testing.T) {
	rl := map[string]string{"x-ratelimit-limit": "100", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "30"}
	for _, c := range []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		kind       providers.Kind
		code       string
		retryAfter time.Duration
		message    string
	}{
		{"bad request", 400, nil, telnyxError("10015", "not well-formed"), providers.KindBadRequest, "10015", 0, "not well-formed"},
		{"authentication", 401, nil, telnyxError("10009", "The required authentication headers were either invalid"), providers.KindInvalidCredentials, "10009", 0, "authentication headers"},
		{"authorization", 403, nil, telnyxError("10010", "no permission"), providers.KindInvalidCredentials, "10010", 0, "no permission"},
		{"not found", 404, nil, telnyxError("10005", "gone"), providers.KindNotOwned, "10005", 0, "gone"},
		{"request timeout", 408, nil, "", providers.KindTransient, "", 0, "Request Timeout"},
		{"conflict", 409, nil, telnyxError("10012", "duplicate"), providers.KindTransient, "10012", 0, "duplicate"},
		{"missing parameter", 422, nil, telnyxError("10004", "missing"), providers.KindBadRequest, "10004", 0, "missing"},
		{"not E.164", 422, nil, telnyxError("10016", "format"), providers.KindBadRequest, "10016", 0, "format"},
		{"429 without Retry-After", 429, rl, telnyxError("10011", "slow down"), providers.KindRateLimited, "10011", 0, "slow down"},
		{"429 with Retry-After", 429, map[string]string{"Retry-After": "7"}, telnyxError("10011", "slow down"), providers.KindRateLimited, "10011", 7 * time.Second, "slow down"},
		{"10011 on another status", 503, nil, telnyxError("10011", "slow down"), providers.KindRateLimited, "10011", 0, "slow down"},
		{"server error", 500, nil, telnyxError("10007", "unexpected"), providers.KindTransient, "10007", 0, "unexpected"},
		{"proxy page", 502, map[string]string{"Content-Type": "text/html"}, "<html>bad gateway</html>", providers.KindTransient, "", 0, "Bad Gateway"},
		{"numeric code", 400, nil, `{"errors":[{"code":10015,"title":"Bad Request"}]}`, providers.KindBadRequest, "10015", 0, "Bad Request"},
		{"key echoed", 401, nil, telnyxError("10009", "key "+secret+" is wrong"), providers.KindInvalidCredentials, "10009", 0, "key [redacted] is wrong"},
		{"redirect", 302, map[string]string{"Location": "https://evil.example.com/"}, "", providers.KindTransient, "", 0, "Found"},
		{"unreadable 200", 200, nil, "not json", providers.KindTransient, "", 0, "unreadable response"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := canned(t, c.status, c.header, c.body)
			_, err := a.Lookup(context.Background(), providers.Credentials{Secret: secret}, "+442012345678")
			pe := wantKind(t, err, c.kind)
			if pe.Status != c.status || pe.Code != c.code || pe.RetryAfter != c.retryAfter || pe.Provider != "telnyx" || pe.Op != "lookup" {
				t.Errorf("got %+v", pe)
			}
			if !strings.Contains(pe.Message, c.message) {
				t.Errorf("message %q, want it to contain %q", pe.Message, c.message)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(pe.Err.Error(), secret) {
				t.Errorf("error %q contains the API key", err)
			}
		})
	}
}

func TestNoResponse(t *testing.T) {
	// The handler also returns when the test ends: a request whose
	// connection stays open (a client that sent a body the server has not
	// read) would otherwise hold ts.Close, and the test, forever.
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer ts.Close()
	defer close(release) // before ts.Close
	a, err := telnyx.New(telnyx.Options{BaseURL: ts.URL, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	creds := providers.Credentials{Secret: secret}

	err = a.ValidateCredentials(context.Background(), creds)
	if pe := wantKind(t, err, providers.KindTransient); pe.Message != "timed out" || pe.Status != 0 {
		t.Errorf("timeout: %+v", pe)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = a.ValidateCredentials(ctx, creds)
	if pe := wantKind(t, err, providers.KindTransient); pe.Message != "cancelled" || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %+v", pe)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	a, _ = telnyx.New(telnyx.Options{BaseURL: closed.URL})
	err = a.ValidateCredentials(context.Background(), creds)
	if pe := wantKind(t, err, providers.KindTransient); pe.Message != "no response" {
		t.Errorf("refused: %+v", pe)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q contains the API key", err)
	}
}
