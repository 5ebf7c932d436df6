package plivo

import (
	"errors"
	"net/http"
	"strings"
	"sync"
)

// errCreateRefused is what the edge answers the SDK when it tries to send
// a second application create in one operation.
var errCreateRefused = errors.New("plivo: a second application create in one operation was refused")

// edge is the adapter's own transport, between plivo-go and the
// operation's providers.Exchange. It
//
//   - refuses, without sending it, any application create after the
//     first in one operation. plivo-go resends an application POST up to
//     twice when the answer is a 5xx, but a 5xx after a create does not say
//     the application was not created: each resend can make a duplicate.
//     The adapter itself creates at most once per operation, so a second
//     create can only be such a resend. The SDK ignores the resend's error
//     and reports success with an empty app_id; the adapter sees the
//     exchange's recorded 5xx and resolves the ambiguity by listing.
//   - appends the adapter's User-Agent to the SDK's ("plivo-go/7.57.0
//     (Go: ...)"), which the exchange would leave alone.
//   - sends the account fetch to its documented path /v1/Account/{id}/:
//     plivo-go formats it as /v1/Account/{id}//, which path-cleaning
//     routers (http.ServeMux in the dev sandbox) answer with a redirect.
type edge struct {
	next      http.RoundTripper
	userAgent string

	mu      sync.Mutex
	created bool
}

// RoundTrip implements http.RoundTripper.
func (e *edge) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/Application/") {
		e.mu.Lock()
		again := e.created
		e.created = true
		e.mu.Unlock()
		if again {
			if req.Body != nil {
				_ = req.Body.Close() // a RoundTripper closes the body, even on errors
			}
			return nil, errCreateRefused
		}
	}
	r := req.Clone(req.Context())
	if p, ok := strings.CutSuffix(r.URL.Path, "//"); ok {
		r.URL.Path, r.URL.RawPath = p+"/", ""
	}
	ua := strings.TrimSpace(r.Header.Get("User-Agent") + " " + e.userAgent)
	r.Header.Set("User-Agent", ua)
	return e.next.RoundTrip(r)
}
