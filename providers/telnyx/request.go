package telnyx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// maxBodyBytes bounds what is read of a response. Telnyx's answers are a
// few kilobytes; a page of 250 applications stays well under this.
const maxBodyBytes = 4 << 20

// call is one adapter operation: the API key and context every request of
// the operation carries, and the operation's name for errors.
type call struct {
	a     *Adapter
	ctx   context.Context
	creds providers.Credentials
	op    string
}

// newCall refuses an API key that cannot go in an Authorization header
// before anything is sent: net/http would fail with an error the adapter
// could only report as transient.
func (a *Adapter) newCall(ctx context.Context, creds providers.Credentials, op string) (*call, error) {
	if creds.Secret == "" || strings.ContainsFunc(creds.Secret, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return nil, &providers.Error{Kind: providers.KindInvalidCredentials, Provider: Name, Op: op,
			Message: "the API key must be non-empty printable ASCII without spaces"}
	}
	return &call{a: a, ctx: ctx, creds: creds, op: op}, nil
}

// do sends one request to path (under /v2) with query and, when in is not
// nil, in as a JSON body. A 2xx answer is decoded into out; anything else
// comes back as a *providers.Error (see classify).
func (c *call) do(method, path string, query url.Values, in, out any) error {
	u := *c.a.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawPath = ""
	u.RawQuery = query.Encode() // brackets are escaped: filter%5Bphone_number%5D=...

	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return c.local(fmt.Errorf("encoding the request: %w", err))
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, u.String(), body)
	if err != nil {
		return c.local(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.creds.Secret)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.a.userAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.a.client.Do(req)
	if err != nil {
		return c.noResponse(err)
	}
	defer resp.Body.Close()
	b, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.classify(resp, b)
	}
	if readErr != nil {
		return c.unreadable(resp, readErr)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return c.unreadable(resp, err)
		}
	}
	return nil
}

// local reports a failure before any request was sent: a programming
// error, not the provider's.
func (c *call) local(err error) error {
	return &providers.Error{Kind: providers.KindBadRequest, Provider: Name, Op: c.op,
		Message: "could not build the request", Err: err}
}

// unreadable reports a 2xx answer whose body could not be read. The
// request may have taken effect: transient, so that a create is resolved
// by listing rather than repeated.
func (c *call) unreadable(resp *http.Response, err error) error {
	return &providers.Error{Kind: providers.KindTransient, Provider: Name, Op: c.op,
		Status: resp.StatusCode, Message: "unreadable response", Err: err,
		RetryAfter: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
}
