package plivo

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// closeTracker is a request body that records whether it was closed.
type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

// TestEdgeRefusedCreateClosesItsBody: the edge is an http.RoundTripper,
// which must close the request body even when it fails; a refused second
// create is not sent, and its body (nil or not) is closed all the same.
func TestEdgeRefusedCreateClosesItsBody(t *testing.T) {
	sent := 0
	e := &edge{next: roundTrip(func(r *http.Request) (*http.Response, error) {
		sent++
		return &http.Response{StatusCode: 500, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})}
	const create = "https://api.plivo.com/v1/Account/MA1/Application/"
	newReq := func(body io.ReadCloser) *http.Request {
		r, err := http.NewRequest(http.MethodPost, create, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Body = body
		return r
	}
	first := &closeTracker{Reader: strings.NewReader(`{"app_name":"a"}`)}
	if _, err := e.RoundTrip(newReq(first)); err != nil {
		t.Fatalf("first create: %v", err)
	}
	second := &closeTracker{Reader: strings.NewReader(`{"app_name":"a"}`)}
	if _, err := e.RoundTrip(newReq(second)); !errors.Is(err, errCreateRefused) {
		t.Fatalf("second create: error %v, want %v", err, errCreateRefused)
	}
	if !second.closed {
		t.Error("the refused create's body was not closed")
	}
	if _, err := e.RoundTrip(newReq(nil)); !errors.Is(err, errCreateRefused) {
		t.Fatalf("third create, without a body: error %v, want %v", err, errCreateRefused)
	}
	if sent != 1 {
		t.Errorf("%d creates sent, want 1", sent)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
