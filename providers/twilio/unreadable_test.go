package twilio_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/twilio"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// answering returns an adapter whose every request gets status and body,
// as from a proxy or a load balancer in front of the API.
func answering(t *testing.T, status int, body string) *twilio.Adapter {
	t.Helper()
	a, err := twilio.New(twilio.Options{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"text/html"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestUnreadableAnswers: an answer the SDK cannot decode is an error of
// the kind its status says, and a success status that cannot be read is a
// transient error (the job retries), never a success and never a
// permanent failure.
func TestUnreadableAnswers(t *testing.T) {
	for _, tc := range []struct {
		status int
		kind   providers.Kind
	}{
		{200, providers.KindTransient},
		{302, providers.KindTransient},
		{400, providers.KindForStatus(400)},
		{503, providers.KindTransient},
	} {
		err := answering(t, tc.status, "<html>").ValidateCredentials(context.Background(), creds)
		var pe *providers.Error
		if !errors.As(err, &pe) || pe.Kind != tc.kind {
			t.Errorf("status %d: error %v (%#v), want kind %v", tc.status, err, pe, tc.kind)
			continue
		}
		if tc.status < 400 && pe.Message != "unreadable response" {
			t.Errorf("status %d: message %q, want unreadable response", tc.status, pe.Message)
		}
	}
}
