package providers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Exchange is an http.RoundTripper for one adapter operation. Vendor SDKs
// build their own requests (often without a context) and drop response
// headers; an Exchange wrapped around the SDK's transport fixes both at the
// adapter edge:
//
//   - it binds every request to the operation's context, so cancellation and
//     deadlines reach the wire;
//   - it optionally sends requests to BaseURL instead of the vendor's host
//     (a simulator in tests and in the dev sandbox);
//   - it sets User-Agent when the SDK does not;
//   - it remembers the last response's status and Retry-After, which the
//     adapter needs to categorize errors the SDK reports without them.
type Exchange struct {
	Ctx       context.Context
	Base      http.RoundTripper // nil means http.DefaultTransport
	BaseURL   *url.URL          // nil keeps the SDK's URL
	UserAgent string

	mu         sync.Mutex
	status     int
	retryAfter time.Duration
	requests   int
}

// RoundTrip implements http.RoundTripper.
func (e *Exchange) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(e.Ctx)
	if e.BaseURL != nil {
		r.URL.Scheme = e.BaseURL.Scheme
		r.URL.Host = e.BaseURL.Host
		r.Host = e.BaseURL.Host
		if p := strings.TrimSuffix(e.BaseURL.Path, "/"); p != "" && !strings.HasPrefix(r.URL.Path, p+"/") {
			r.URL.Path = p + r.URL.Path
			if r.URL.RawPath != "" {
				r.URL.RawPath = p + r.URL.RawPath
			}
		}
	}
	if e.UserAgent != "" {
		if ua := r.Header.Get("User-Agent"); ua == "" || strings.HasPrefix(ua, "Go-http-client") {
			r.Header.Set("User-Agent", e.UserAgent)
		}
	}
	base := e.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests++
	if err != nil {
		e.status, e.retryAfter = 0, 0
		return nil, err
	}
	e.status = resp.StatusCode
	e.retryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	return resp, nil
}

// Last returns the status and Retry-After of the last response, and 0, 0
// when the last request got no response.
func (e *Exchange) Last() (status int, retryAfter time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status, e.retryAfter
}

// Requests counts the requests sent through the exchange.
func (e *Exchange) Requests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests
}

// ParseRetryAfter reads a Retry-After header in either of its forms (delay
// seconds or an HTTP date). It returns 0 for an absent or unreadable value.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
