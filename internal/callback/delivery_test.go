package callback

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a callback endpoint answering status, verifying what it gets.
type receiver struct {
	t      *testing.T
	status int
	mu     sync.Mutex
	got    []Event
	header http.Header
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	raw, _ := io.ReadAll(req.Body)
	if err := Verify(secret, req.Header.Get(SignatureHeader), raw, time.Now(), 0); err != nil {
		r.t.Errorf("receiver: %v", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		r.t.Errorf("receiver: %v", err)
	}
	r.mu.Lock()
	r.got = append(r.got, ev)
	r.header = req.Header.Clone()
	r.mu.Unlock()
	if r.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "120")
	}
	w.WriteHeader(r.status)
}

func (r *receiver) events() ([]Event, http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got, r.header
}

func serve(t *testing.T, status int) (*receiver, string) {
	r := &receiver{t: t, status: status}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv.URL + "/hooks?token=receiver-token"
}

var event = Event{
	ID: "evt_0123", JobID: "job_1", Type: "number:add", OrgID: 42, State: "succeeded",
	Data: json.RawMessage(`{"number_id":"n1"}`), OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
}

func client() *http.Client { return Policy{AllowPrivate: true}.Client(5 * time.Second) }

func TestDeliverOK(t *testing.T) {
	r, url := serve(t, http.StatusNoContent)
	if err := Deliver(context.Background(), client(), url, secret, event, "switchboard/test"); err != nil {
		t.Fatal(err)
	}
	got, header := r.events()
	if len(got) != 1 || got[0].ID != event.ID || string(got[0].Data) != `{"number_id":"n1"}` || !got[0].OccurredAt.Equal(event.OccurredAt) {
		t.Fatalf("received %+v", got)
	}
	for k, want := range map[string]string{
		"Content-Type": "application/json", EventIDHeader: "evt_0123", "User-Agent": "switchboard/test",
	} {
		if got := header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestDeliverRejected(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusNotFound, http.StatusGone, http.StatusFound} {
		_, url := serve(t, status)
		err := Deliver(context.Background(), client(), url, secret, event, "")
		var se *StatusError
		if !errors.Is(err, ErrRejected) || !errors.As(err, &se) || se.StatusCode != status {
			t.Errorf("HTTP %d: %v, want a permanent *StatusError", status, err)
		}
	}
}

func TestDeliverRetryable(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusRequestTimeout, http.StatusTooManyRequests} {
		_, url := serve(t, status)
		err := Deliver(context.Background(), client(), url, secret, event, "")
		var se *StatusError
		if err == nil || errors.Is(err, ErrRejected) || !errors.As(err, &se) || se.StatusCode != status {
			t.Errorf("HTTP %d: %v, want a retryable *StatusError", status, err)
		}
		if status == http.StatusTooManyRequests && se != nil && se.RetryAfter != 2*time.Minute {
			t.Errorf("429 RetryAfter = %v, want the receiver's 2m", se.RetryAfter)
		}
	}
}

func TestDeliverNetworkErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hooks?token=receiver-token"
	srv.Close() // nothing listens any more
	err := Deliver(context.Background(), client(), url, secret, event, "")
	if err == nil || errors.Is(err, ErrRejected) {
		t.Fatalf("closed port: %v, want a retryable error", err)
	}
	if s := err.Error(); strings.Contains(s, "receiver-token") || strings.Contains(s, string(secret)) {
		t.Fatalf("error leaks the URL's query or the secret: %v", err)
	}

	// A private receiver under the production policy: permanent.
	_, url = serve(t, http.StatusOK)
	err = Deliver(context.Background(), Policy{}.Client(5*time.Second), url, secret, event, "")
	if !errors.Is(err, ErrRejected) || !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("private receiver: %v, want ErrRejected and ErrForbiddenAddress", err)
	}
	if strings.Contains(err.Error(), "receiver-token") {
		t.Fatalf("error leaks the URL's query: %v", err)
	}

	// A bad URL is permanent.
	if err := Deliver(context.Background(), client(), "http://[::1", secret, event, ""); !errors.Is(err, ErrRejected) {
		t.Fatalf("bad URL: %v", err)
	}
}

// TestEventTimesInMilliseconds: the event's times are in the API's one
// precision (milliseconds, UTC), its data's "*_at" members included, as
// the worker's nanoseconds would otherwise show; other members, numbers
// among them, are untouched.
func TestEventTimesInMilliseconds(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("IST", 19800))
	ev := Event{ID: "evt_1", JobID: "j1", State: "succeeded", OccurredAt: at,
		Data: json.RawMessage(`{"created_at":"2026-01-02T03:04:05.123456789Z","numbers":[{"linked_at":"2026-01-02T03:04:05.1Z","n":12345678901234567890}],"name_at":"not a time"}`)}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"evt_1","job_id":"j1","type":"","org_id":0,"state":"succeeded",` +
		`"data":{"created_at":"2026-01-02T03:04:05.123Z","name_at":"not a time","numbers":[{"linked_at":"2026-01-02T03:04:05.100Z","n":12345678901234567890}]},` +
		`"occurred_at":"2026-01-01T21:34:05.123Z"}`
	if string(b) != want {
		t.Fatalf("JSON =\n%s\nwant\n%s", b, want)
	}
	var back Event
	if err := json.Unmarshal(b, &back); err != nil || !back.OccurredAt.Equal(at.Truncate(time.Millisecond)) {
		t.Errorf("decoded occurred_at %v %v, want %v", back.OccurredAt, err, at.Truncate(time.Millisecond))
	}
}

func TestEventJSON(t *testing.T) {
	b, err := json.Marshal(Event{ID: "evt_1", JobID: "j", Type: "number:add", OrgID: 7, State: "failed", Code: "not_owned", Message: "no", OccurredAt: time.Unix(0, 0).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"evt_1","job_id":"j","type":"number:add","org_id":7,"state":"failed","code":"not_owned","message":"no","occurred_at":"1970-01-01T00:00:00.000Z"}`
	if string(b) != want {
		t.Fatalf("JSON =\n%s\nwant\n%s", b, want)
	}
	b, _ = json.Marshal(Event{ID: "evt_2", State: "succeeded"})
	if strings.Contains(string(b), "code") || strings.Contains(string(b), "message") || strings.Contains(string(b), "data") {
		t.Fatalf("empty optional fields are sent: %s", b)
	}
	if a, b := NewEventID(), NewEventID(); a == b || !strings.HasPrefix(a, "evt_") || len(a) != 28 {
		t.Fatalf("NewEventID = %q, %q", a, b)
	}
}

func TestRetryDelay(t *testing.T) {
	prev := time.Duration(0)
	for n := range MaxRetry {
		d := RetryDelay(n, errors.New("boom"))
		if d <= 0 || d > 24*time.Hour || d < prev/2 {
			t.Fatalf("RetryDelay(%d) = %v after %v", n, d, prev)
		}
		prev = d
	}
	if d := RetryDelay(0, &StatusError{StatusCode: 429, RetryAfter: time.Hour}); d != time.Hour {
		t.Fatalf("with Retry-After 1h: %v", d)
	}
	if d := RetryDelay(0, &StatusError{StatusCode: 503, RetryAfter: 72 * time.Hour}); d != 24*time.Hour {
		t.Fatalf("with Retry-After 3 days: %v, want capped at 24h", d)
	}
	if d := RetryDelay(100, nil); d > 24*time.Hour || d < 21*time.Hour {
		t.Fatalf("RetryDelay(100) = %v", d)
	}
}
