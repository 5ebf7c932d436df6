package ratelimit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// RefusedHeader marks the synthetic 429 with which Transport refuses a
// request itself ("X-Switchboard-Limiter: refused"), so nothing takes it
// for the provider's answer: Transport does not pause the account for it,
// even when another Transport below produced it.
const RefusedHeader = "X-Switchboard-Limiter"

// Transport returns an http.RoundTripper that puts every request through
// the rate limiter before sending it with next (nil means
// http.DefaultTransport). Give it to each adapter as Options.Transport,
// outside any transport that measures the provider (a refused request
// never reaches the provider, so it is not one of its requests).
//
// The limiter, provider and account come from the request's context, put
// there by Wrap; a request without them goes straight to next. For each
// request Transport
//
//   - waits its turn (Limiter.Wait), and refuses it without sending it
//     when the wait would be too long: the answer is a 429 with
//     Retry-After (whole seconds, rounded up), RefusedHeader, and a JSON
//     body each adapter reads a message from; Wrap turns the adapter's
//     error back into the limiter's exact refusal;
//   - gives its concurrency slot back once the provider's answer (its
//     headers) is in: the provider is done with the request then;
//   - pauses the account for every worker when the provider answers 429,
//     for its Retry-After or the default pause.
//
// When Redis fails, the request is not sent and RoundTrip fails with the
// limiter's KindTransient error: adapters report it as a transient
// failure, which the worker retries.
func Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{next: next}
}

type transport struct{ next http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	b := bindingOf(ctx)
	if b == nil {
		return t.next.RoundTrip(req)
	}
	release, err := b.wait(ctx)
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close() // a RoundTripper closes the body, even on errors
		}
		var pe *providers.Error
		if errors.As(err, &pe) && errors.Is(err, ErrLimited) {
			return refusedResponse(req, pe), nil
		}
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	release()
	if err == nil && resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get(RefusedHeader) == "" {
		b.pause(ctx, providers.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
	}
	return resp, err
}

// refusedResponse is the synthetic 429 answering a request the limiter
// refused with pe. The body speaks every adapter's error format at once:
// Twilio's {"status","message"}, Plivo's {"error"} and Telnyx's
// {"errors":[{"detail"}]}, so an adapter used without Wrap still says who
// refused. No provider error code is set: it is not the provider's answer.
func refusedResponse(req *http.Request, pe *providers.Error) *http.Response {
	msg := pe.Message + ", request not sent"
	body, _ := json.Marshal(map[string]any{
		"status":  http.StatusTooManyRequests,
		"message": msg,
		"error":   msg,
		"errors":  []map[string]string{{"title": "Too many requests", "detail": msg}},
	})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Retry-After", strconv.Itoa(retryAfterSeconds(pe.RetryAfter)))
	h.Set(RefusedHeader, "refused")
	return &http.Response{
		Status:        "429 Too Many Requests",
		StatusCode:    http.StatusTooManyRequests,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(strings.NewReader(string(body))),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// retryAfterSeconds rounds d up to Retry-After's whole seconds, at least
// 1: coming back early would only be refused again.
func retryAfterSeconds(d time.Duration) int {
	return max(int(math.Ceil(d.Seconds())), 1)
}

// binding is what Wrap tells Transport about one adapter operation, through
// the context of its requests, and what Transport tells Wrap back.
type binding struct {
	l                 *Limiter
	provider, account string
	op                string

	mu     sync.Mutex
	waited time.Duration // slept so far by the operation's requests, bounded by MaxWait
	limErr error         // the limiter's last refusal or failure
	paused bool          // a provider 429 paused the account
}

type bindingKey struct{}

func withBinding(ctx context.Context, b *binding) context.Context {
	return context.WithValue(ctx, bindingKey{}, b)
}

func bindingOf(ctx context.Context) *binding {
	b, _ := ctx.Value(bindingKey{}).(*binding)
	return b
}

// wait is Limiter.wait for one request of the operation. The operation's
// requests go out one after another, but the lock keeps a misbehaving
// caller's concurrent ones from racing on waited.
func (b *binding) wait(ctx context.Context) (release func(), err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	release, err = b.l.wait(ctx, b.provider, b.account, b.op, &b.waited)
	if err != nil {
		b.limErr = err
	}
	return release, err
}

// pause pauses the account after a provider's 429. Best effort: if Redis
// fails here, the caller still gets the 429 and retries later; only the
// other workers miss the warning.
func (b *binding) pause(ctx context.Context, retryAfter time.Duration) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_, _ = b.l.Pause(pctx, b.provider, b.account, retryAfter)
	b.mu.Lock()
	b.paused = true
	b.mu.Unlock()
}

// outcome is what the limiter did during the operation.
func (b *binding) outcome() (limErr error, paused bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limErr, b.paused
}
