package telnyx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// Telnyx error codes the adapter tells apart (the rest is decided by the
// HTTP status).
const (
	codeAuthenticationFailed = "10009" // 401: wrong or missing API key
	codeAuthorizationFailed  = "10010" // 403: the key lacks permission
	codeTooManyRequests      = "10011" // 429
)

// responseError is the underlying error of a *providers.Error built from a
// non-2xx answer: the status and Telnyx's error objects, kept so the
// adapter can tell, say, a missing application from a missing number.
type responseError struct {
	Status int
	Errors []apiError
}

func (e *responseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.Status)
	for _, ae := range e.Errors {
		fmt.Fprintf(&b, "; %s %s", ae.Code, ae.Title)
		if ae.Source.Pointer != "" {
			b.WriteString(" at " + ae.Source.Pointer)
		}
	}
	return b.String()
}

// mentions reports whether any error object names field, in its source
// pointer or its words.
func (e *responseError) mentions(field string) bool {
	for _, ae := range e.Errors {
		for _, s := range []string{ae.Source.Pointer, ae.Source.Parameter, ae.Title, ae.Detail} {
			if strings.Contains(strings.ToLower(s), field) {
				return true
			}
		}
	}
	return false
}

// statusOf returns the HTTP status behind err, 0 when none arrived.
func statusOf(err error) int {
	var pe *providers.Error
	if errors.As(err, &pe) {
		return pe.Status
	}
	return 0
}

// classify turns a non-2xx answer into a *providers.Error. The Kind comes
// from Telnyx's code when it has a specific meaning, else from the status
// (providers.KindForStatus: 401/403 invalid credentials, 404 not owned,
// 429 rate limited, 408/409/5xx transient, other 4xx bad request). Callers
// that address applications, not numbers, read a 404 as "gone" before it
// reaches the worker as KindNotOwned.
//
// RetryAfter is the Retry-After header and nothing else. Telnyx also sends
// x-ratelimit-limit, x-ratelimit-remaining and x-ratelimit-reset on every
// answer; they describe the account's window, not when this request may be
// retried, so they are left to the worker's backoff rather than guessed
// into a delay.
func (c *call) classify(resp *http.Response, body []byte) error {
	re := &responseError{Status: resp.StatusCode}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		re.Errors = eb.Errors
	}
	pe := &providers.Error{
		Provider:   Name,
		Op:         c.op,
		Status:     resp.StatusCode,
		RetryAfter: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Err:        re,
	}
	if len(re.Errors) > 0 {
		pe.Code = string(re.Errors[0].Code)
	}
	pe.Kind = kindFor(resp.StatusCode, pe.Code)
	pe.Message = c.redact(message(re))
	return pe
}

// kindFor maps Telnyx's status and error code to a Kind.
func kindFor(status int, code string) providers.Kind {
	switch code {
	case codeAuthenticationFailed, codeAuthorizationFailed:
		return providers.KindInvalidCredentials
	case codeTooManyRequests:
		return providers.KindRateLimited
	}
	if status < 400 {
		return providers.KindTransient // an unexpected 1xx/3xx: nothing to act on
	}
	return providers.KindForStatus(status)
}

// maxMessage bounds the words taken from an error body.
const maxMessage = 300

// message words an answer: Telnyx's details (or titles), else the status.
func message(re *responseError) string {
	var parts []string
	for _, ae := range re.Errors {
		m := ae.Detail
		if m == "" {
			m = ae.Title
		}
		if m != "" {
			parts = append(parts, m)
		}
	}
	m := strings.Join(parts, "; ")
	if m == "" {
		m = http.StatusText(re.Status)
	}
	if len(m) > maxMessage {
		m = m[:maxMessage] + "..."
	}
	return m
}

// redact keeps the API key out of a message built from a response body,
// in case the provider (or a proxy) ever echoes it.
func (c *call) redact(s string) string {
	if c.creds.Secret == "" {
		return s
	}
	return strings.ReplaceAll(s, c.creds.Secret, "[redacted]")
}

// noResponse reports a request that got no answer: refused, reset, timed
// out or cancelled. The request may have reached Telnyx.
func (c *call) noResponse(err error) error {
	pe := &providers.Error{Kind: providers.KindTransient, Provider: Name, Op: c.op, Message: "no response", Err: err}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		pe.Message = "timed out"
	case errors.Is(err, context.Canceled):
		pe.Message = "cancelled"
	}
	return pe
}
