package callback

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// ErrRejected is wrapped by Deliver's errors that retrying cannot fix: the
// receiver refused the event (4xx other than 408 and 429, or a redirect),
// or the URL leads to a forbidden address. The caller stops retrying.
var ErrRejected = errors.New("callback rejected")

// StatusError is a receiver's answer other than 2xx.
type StatusError struct {
	StatusCode int
	// RetryAfter is the receiver's Retry-After, 0 when absent.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	if e.StatusCode >= 300 && e.StatusCode < 400 {
		return fmt.Sprintf("callback: receiver answered HTTP %d; redirects are not followed, configure the final URL", e.StatusCode)
	}
	return fmt.Sprintf("callback: receiver answered HTTP %d", e.StatusCode)
}

// Unwrap makes a permanent answer match ErrRejected.
func (e *StatusError) Unwrap() error {
	if e.permanent() {
		return ErrRejected
	}
	return nil
}

// permanent: the receiver said no, and will say it again. 408 (it timed
// out reading) and 429 (slow down) are invitations to retry.
func (e *StatusError) permanent() bool {
	c := e.StatusCode
	return c >= 300 && c < 500 && c != http.StatusRequestTimeout && c != http.StatusTooManyRequests
}

// maxDrain bounds how much of a response Deliver reads, to reuse the
// connection without letting a receiver stream at it forever.
const maxDrain = 64 << 10

// Deliver POSTs ev to rawURL as JSON, signed with secret (Sign), with its id
// in the Switchboard-Event-Id header. A 2xx answer is a delivery (nil). An
// error wrapping ErrRejected is permanent; any other error (a *StatusError
// for 408, 429 and 5xx, or a network error) is worth retrying.
//
// c should come from Policy.Client. Errors never hold the secret, nor the
// URL's query, where receivers often put a token of their own.
func Deliver(ctx context.Context, c *http.Client, rawURL string, secret []byte, ev Event, userAgent string) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("callback: encode event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("callback: %w: bad URL", ErrRejected)
	}
	req.Header.Set("Content-Type", "application/json")
	if userAgent != "" {
		req.Header.Set("User-Agent", userAgent)
	}
	req.Header.Set(SignatureHeader, Sign(secret, time.Now(), body))
	req.Header.Set(EventIDHeader, ev.ID)

	resp, err := c.Do(req)
	if err != nil {
		// url.Error quotes the whole URL; keep only what locates it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		where := redact(req.URL)
		if errors.Is(err, ErrForbiddenAddress) {
			return fmt.Errorf("callback: POST %s: %w (%w)", where, ErrRejected, err)
		}
		return fmt.Errorf("callback: POST %s: %w", where, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &StatusError{StatusCode: resp.StatusCode, RetryAfter: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
}

// redact is u without its query, fragment or user info.
func redact(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return r.String()
}
