// Package api is switchboard's HTTP API for web apps: the seed endpoints,
// backed by jobs, plus health checks, the job record and the OpenAPI
// description. routes.go lists the whole surface; each resource family has
// its own file and its own response envelope, because the seed documents
// differ: apps.go and links.go (SFVoPI apps, seeds 000-002), agents.go
// (voice agents, seed 003), addphone.go and users.go (seed 004), jobs.go
// (/v1/jobs). docs/api.md is the user-facing reference.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/internal/phone"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/timefmt"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// Params are the API's dependencies. Zero values of the optional fields
// take the documented defaults.
type Params struct {
	Store store.Store
	Jobs  *jobs.Client
	// Bulk enqueues batch imports' jobs: a jobs.Client with Options.Queue
	// jobs.QueueBulk. Without it /v1/batches answers 503.
	Bulk *jobs.Client
	// Providers and Keys check and seal the credentials a batch upload
	// gives once for its file; without them such uploads answer 503.
	Providers []providers.Provider
	Keys      *jobs.KeyRing
	// Ping checks Redis for /readyz.
	Ping   func(context.Context) error
	Logger *slog.Logger
	// Wait is how long a request that enqueues a job waits for its outcome
	// before answering 202 with the job id. Default 20s.
	Wait time.Duration
	// DefaultRegion (ISO 3166-1 alpha-2) reads numbers given without a
	// country code in the SFVoPI apps endpoints. Default "IN". NewServer
	// panics on a region phone.Lenient does not know; validate it first.
	DefaultRegion string
	// Queue, when set, lets GET /v1/jobs/{id} report jobs that wait in the
	// queue and have no record yet (no worker has picked them up). Without
	// it such jobs answer 404 until a worker starts them.
	Queue *asynq.Inspector
	// IdempotencyTTL is how long an Idempotency-Key's first response is
	// kept and replayed (idempotency.go). Default 24h.
	IdempotencyTTL time.Duration
	// Now is the clock of idempotency keys' leases and expiry. Default
	// time.Now.
	Now func() time.Time
	// Callbacks decides which callback_url values are accepted; the zero
	// value is production's, public addresses only. The worker delivering
	// the callbacks must use the same policy.
	Callbacks callback.Policy
	// Draining, when closed, tells requests waiting for their job that the
	// server is shutting down: they answer 202 with the job at once (it
	// goes on in the worker), instead of being cut off by the drain.
	Draining <-chan struct{}
	// ImportYield is how long, at most, a batch import posted to this
	// server holds back each page of 500 rows while a request of this
	// server waits for its job (yield.go). Default DefaultImportYield;
	// negative: imports never yield.
	ImportYield time.Duration
}

type server struct {
	Params
	lenient phone.Policy
	waiters *waiters // the requests waiting for their jobs, which imports yield to
}

// NewServer returns the API's handler.
func NewServer(p Params) http.Handler {
	if p.Wait <= 0 {
		p.Wait = 20 * time.Second
	}
	if p.DefaultRegion == "" {
		p.DefaultRegion = "IN"
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.IdempotencyTTL <= 0 {
		p.IdempotencyTTL = 24 * time.Hour
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.ImportYield == 0 {
		p.ImportYield = DefaultImportYield
	}
	lenient, err := phone.Lenient(p.DefaultRegion)
	if err != nil {
		panic(fmt.Sprintf("api: Params.DefaultRegion: %v", err))
	}
	s := &server{Params: p, lenient: lenient, waiters: newWaiters(p.ImportYield)}
	mux := http.NewServeMux()
	for _, e := range s.endpoints() {
		mux.Handle(e.Method+" "+e.Path, e.Handler)
	}
	return mux
}

// maxBody bounds every request body. The largest legitimate body, an
// attach of jobs.MaxNumbersPerAttach numbers, is a few kilobytes.
const maxBody = 1 << 20

// errBody is any body decode refuses; handlers answer their family's 400,
// with bodyDetail's explanation when it has one.
var errBody = errors.New("invalid request body")

// unknownFieldError is a body with a member the request type does not
// have. A client that sends a field this version does not know (a newer
// one's callback_url, a misspelt name) is told, rather than having it
// silently ignored.
type unknownFieldError struct{ name string }

func (e unknownFieldError) Error() string {
	return fmt.Sprintf("%v: unknown field %q", errBody, e.name)
}
func (e unknownFieldError) Unwrap() error { return errBody }

// decode reads a JSON body of at most maxBody bytes into v. A body that is
// not UTF-8, unknown fields (unknownFieldError) and trailing data after the
// JSON value are errors; all its errors wrap errBody. The Content-Type is
// not checked (curl -d sends JSON as form-encoded): a body that is not
// JSON is refused as such.
func decode(r *http.Request, v any) error {
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%w: %w", errBody, err)
	}
	// encoding/json would quietly replace invalid UTF-8 with U+FFFD and
	// store a name the client never sent.
	if !utf8.Valid(raw) {
		return fmt.Errorf("%w: not valid UTF-8", errBody)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		// encoding/json has no typed error for an unknown field; its
		// message is `json: unknown field "<name>"`.
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			if n, err := strconv.Unquote(name); err == nil {
				name = n
			}
			return unknownFieldError{name: name}
		}
		return fmt.Errorf("%w: %w", errBody, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON value", errBody)
	}
	return nil
}

// bodyDetail is what a client is told about a refused body beyond
// "Invalid request body": the unknown field's name, or "".
func bodyDetail(err error) string {
	var u unknownFieldError
	if errors.As(err, &u) {
		return fmt.Sprintf("unknown field %q", u.name)
	}
	return ""
}

// invalidBodyMessage is the SFVoPI and agents families' 400 message for a
// refused body: "Invalid request body", with the detail when there is one.
func invalidBodyMessage(err error) string {
	if d := bodyDetail(err); d != "" {
		return msgInvalidBody + ": " + d
	}
	return msgInvalidBody
}

// encode writes v as JSON with status.
func encode(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// formatTime is every time the API shows: the seeds' ISO 8601 with
// milliseconds, 2025-05-15T10:30:00.000Z (timefmt, shared with callback
// events).
func formatTime(t time.Time) string { return timefmt.Format(t) }

// formatTimePtr is formatTime for optional times: nil stays nil (JSON null).
func formatTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

// Prefer (RFC 7240). Two preferences shape how long a request that
// enqueues a job waits for it:
//
//   - respond-async: answer 202 with the job at once, with
//     Preference-Applied saying so. Endpoints that enqueue nothing answer
//     as usual and do not claim to have applied it, as RFC 7240 allows.
//   - wait=N (seconds): wait at most N seconds, capped by Params.Wait,
//     then answer 202 (RFC 7240 §4.3). With respond-async too, the server
//     waits that long before answering asynchronously (§4.1), so
//     "respond-async, wait=5" is a 5 s wait. Not echoed in
//     Preference-Applied: the answer's timing shows it.
const (
	headerPrefer            = "Prefer"
	headerPreferenceApplied = "Preference-Applied"
	preferRespondAsync      = "respond-async"
	preferWait              = "wait"
)

// preferences are what a request's Prefer headers ask for.
type preferences struct {
	async bool
	// wait is the wait=N preference; hasWait is false without one (or
	// with a value that is not delta-seconds, which is ignored).
	wait    time.Duration
	hasWait bool
}

// maxPreferWait bounds a wait=N value before it is converted to a duration
// (it is capped by Params.Wait anyway).
const maxPreferWait = 24 * 60 * 60

// preferencesOf reads every Prefer header of r and each preference in
// their lists ("respond-async, wait=10"); names are case-insensitive,
// parameters after ';' and unknown preferences are ignored.
func preferencesOf(r *http.Request) preferences {
	var p preferences
	for _, h := range r.Header.Values(headerPrefer) {
		for _, pref := range strings.Split(h, ",") {
			pref, _, _ = strings.Cut(pref, ";")
			name, value, _ := strings.Cut(pref, "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case preferRespondAsync:
				p.async = true
			case preferWait:
				n, err := strconv.ParseUint(strings.Trim(strings.TrimSpace(value), `"`), 10, 64)
				if err == nil && !p.hasWait {
					p.wait, p.hasWait = time.Duration(min(n, maxPreferWait))*time.Second, true
				}
			}
		}
	}
	return p
}

// waitFor is how long a request waits for its job: Params.Wait, or less
// as its preferences ask.
func (s *server) waitFor(p preferences) time.Duration {
	switch {
	case p.hasWait:
		return min(p.wait, s.Wait)
	case p.async:
		return 0
	}
	return s.Wait
}

// await waits for job's outcome as long as waitFor says. done is false
// when the job has not finished: the caller answers 202 with accepted.
func (s *server) await(r *http.Request, job jobs.Job) (out jobs.Outcome, done bool, err error) {
	wait := s.waitFor(preferencesOf(r))
	if wait <= 0 {
		return jobs.Outcome{}, false, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	if s.Draining != nil {
		go func() {
			select {
			case <-s.Draining:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	defer s.waiters.wait()()
	out, err = s.Jobs.Wait(ctx, job)
	if errors.Is(err, jobs.ErrNotFinished) {
		return jobs.Outcome{}, false, nil
	}
	if err != nil {
		return jobs.Outcome{}, false, err
	}
	return out, true, nil
}

// jobRef is what every 202 carries in its family's data: the job and where
// to follow it.
type jobRef struct {
	JobID string `json:"job_id"`
	// StatusURL is the job's record, GET /v1/jobs/{id}; the Location header
	// says the same.
	StatusURL string `json:"status_url"`
}

// accepted sets the headers of a 202 for a job that has not finished (its
// Location, and Preference-Applied when r asked not to wait) and returns
// the job's reference for the body.
func accepted(w http.ResponseWriter, r *http.Request, job jobs.Job) jobRef {
	ref := jobRef{JobID: job.ID, StatusURL: "/v1/jobs/" + job.ID}
	w.Header().Set("Location", ref.StatusURL)
	if preferencesOf(r).async {
		w.Header().Set(headerPreferenceApplied, preferRespondAsync)
	}
	return ref
}

// msgInvalidCallback starts every refusal of a callback_url.
const msgInvalidCallback = "Invalid callback_url"

// checkCallback says why raw, a request's callback_url, is refused, or ""
// when it is acceptable (an empty one means no callback). It runs before
// anything is enqueued: a job never carries a URL the policy refuses.
func (s *server) checkCallback(raw string) string {
	if raw == "" {
		return ""
	}
	if len(raw) > maxURLLen {
		return fmt.Sprintf("URL must be at most %d characters", maxURLLen)
	}
	if err := s.Callbacks.CheckURL(raw); err != nil {
		return strings.TrimPrefix(err.Error(), "callback: ")
	}
	return ""
}
