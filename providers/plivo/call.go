package plivo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	plivo "github.com/plivo/plivo-go/v7"

	"github.com/switchboardhq/switchboard/providers"
)

// errNotSent marks the errors of SDK calls that sent no request.
var errNotSent = errors.New("plivo: no request was sent")

// call is one adapter operation: an SDK client bound to ctx and creds, and
// the exchange that records what came back.
type call struct {
	sdk   *plivo.Client
	ex    *providers.Exchange
	op    string
	token string // only to scrub it from messages, should Plivo ever echo it
}

func (a *Adapter) newCall(ctx context.Context, creds providers.Credentials, op string) *call {
	ex := &providers.Exchange{Ctx: ctx, Base: a.transport, BaseURL: a.base}
	hc := &http.Client{
		Transport: &edge{next: ex, userAgent: a.userAgent},
		Timeout:   a.timeout,
		// A redirect is an answer, not a hop: Plivo's API does not redirect.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	// NewClient fails only if its own constant base URL does not parse.
	// Its BaseUrl is left alone: the exchange rewrites every request,
	// including the application calls for which the SDK ignores BaseUrl.
	sdk, _ := plivo.NewClient(creds.AccountID, creds.Secret, &plivo.ClientOptions{HttpClient: hc})
	return &call{sdk: sdk, ex: ex, op: op, token: creds.Secret}
}

// run makes one SDK call and judges it by what the exchange saw, not by
// the SDK's error: plivo-go reports a non-2xx answer as errors.New(body)
// without its status, an empty non-2xx answer as no error at all with a
// zero-value struct, and an application call it retried after a 5xx as no
// error whatever the retries got. notFound is what a 404 means to the
// operation.
func (c *call) run(notFound providers.Kind, f func() error) error {
	sent := c.ex.Requests()
	err := f()
	if c.ex.Requests() == sent {
		// The SDK failed before sending anything (a bad path parameter).
		return &providers.Error{Kind: providers.KindBadRequest, Provider: Name, Op: c.op,
			Message: "the request could not be built", Err: errNotSent}
	}
	status, retryAfter := c.ex.Last()
	switch {
	case status >= 200 && status < 300 && err == nil:
		return nil
	case status >= 200 && status < 300:
		return c.unreadable()
	case status == 0:
		// No response: connection refused or reset, timeout, cancellation.
		// net/http's errors name the URL, which holds no secret (the
		// credentials travel in a header), so they are kept.
		pe := &providers.Error{Kind: providers.KindTransient, Provider: Name, Op: c.op,
			Message: "no response", Err: err}
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			pe.Message = "timed out"
		}
		return pe
	}
	kind := providers.KindForStatus(status)
	if status == http.StatusNotFound {
		kind = notFound
	}
	// The SDK's error text is the raw body: only its "error" string is
	// kept, so nothing but Plivo's own words reaches Message.
	return &providers.Error{Kind: kind, Provider: Name, Op: c.op, Status: status, RetryAfter: retryAfter,
		Message: c.message(err, status)}
}

// unreadable is the error for a 2xx answer that does not hold what it
// should: transient, since the same request may well be answered properly.
func (c *call) unreadable() error {
	status, _ := c.ex.Last()
	return &providers.Error{Kind: providers.KindTransient, Provider: Name, Op: c.op, Status: status,
		Message: "unreadable response"}
}

// message is what Plivo said, from an error body {"api_id","error"}, or
// the status text when the body says nothing usable.
func (c *call) message(err error, status int) string {
	msg := http.StatusText(status)
	if status >= 300 && status < 400 {
		msg = "unexpected redirect"
	}
	if err != nil {
		var body struct {
			Error string `json:"error"`
		}
		if json.Unmarshal([]byte(err.Error()), &body) == nil && body.Error != "" && len(body.Error) <= 200 {
			msg = body.Error
		}
	}
	if c.token != "" {
		msg = strings.ReplaceAll(msg, c.token, "[redacted]")
	}
	return msg
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// status returns the HTTP status of an adapter error, 0 when none.
func status(err error) int {
	var pe *providers.Error
	if errors.As(err, &pe) {
		return pe.Status
	}
	return 0
}
