package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
)

// Idempotency keys, after Stripe's: a client sends Idempotency-Key with a
// POST or DELETE, and the first response to that key in the org is stored
// and replayed, byte for byte and with Idempotent-Replayed: true, to every
// later request with the key. docs/api.md states the rules; routes.go
// wraps every mutating endpoint in idempotent.

const (
	headerIdempotencyKey     = "Idempotency-Key"
	headerIdempotentReplayed = "Idempotent-Replayed"

	// maxKeyLen is the longest key accepted, as Stripe's.
	maxKeyLen = 255
	// leaseMargin is how much longer than Params.Wait a running claim
	// holds its key: a handler answers within Wait (with 202 at worst),
	// so a claim older than that belongs to a request that died.
	leaseMargin = 30 * time.Second
	// purgeBatch bounds the expired records one claim deletes. Each claim
	// adds one record and deletes up to this many, so the table stays
	// near the keys of the last TTL.
	purgeBatch = 100
)

// family is an endpoint family, for answering in its envelope.
type family int

const (
	familySFVoPI family = iota // seeds 000-002 (apps.go)
	familyAgents               // seed 003 (agents.go)
	familyCall                 // seed 004 and users (addphone.go)
	familyV1                   // /v1 (jobs.go)
)

// idempotentEndpoint is a mutating endpoint's handler wrapped in
// idempotency keys.
type idempotentEndpoint struct {
	s      *server
	family family
	next   http.Handler
}

// idempotent wraps next, an endpoint of family f, in idempotency keys.
// Requests without the header reach next untouched.
func (s *server) idempotent(f family, next http.Handler) http.Handler {
	return &idempotentEndpoint{s: s, family: f, next: next}
}

func (e *idempotentEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := e.s
	keys := r.Header.Values(headerIdempotencyKey)
	if len(keys) == 0 {
		e.next.ServeHTTP(w, r)
		return
	}
	ctx := r.Context()
	orgID, err := authenticate(ctx, s.Store, r)
	if errors.Is(err, errUnauthorized) {
		// Not recorded: the handler answers its family's 401.
		e.next.ServeHTTP(w, r)
		return
	}
	if err != nil {
		e.internal(w, err)
		return
	}
	if len(keys) != 1 || !validKey(keys[0]) {
		e.fail(w, http.StatusBadRequest, "invalid_idempotency_key", "Invalid Idempotency-Key",
			"it must be one header of 1-255 printable ASCII characters")
		return
	}
	key := keys[0]
	body, err := bufferBody(r)
	if err != nil {
		e.fail(w, http.StatusBadRequest, "invalid_request_body", msgInvalidBody, "the body could not be read")
		return
	}
	fp := fingerprint(r.Method, r.URL.Path, body)
	now := s.Now().UTC()
	claim := store.IdempotencyClaim{
		OrgID: orgID, Key: key, Fingerprint: fp, Token: store.NewID(),
		Now: now, LeaseUntil: now.Add(s.Wait + leaseMargin), ExpiresAt: now.Add(s.IdempotencyTTL),
	}
	rec, claimed, err := s.Store.BeginIdempotent(ctx, claim)
	if err != nil {
		e.internal(w, err)
		return
	}
	if !claimed {
		e.answerExisting(w, rec, fp, now)
		return
	}
	if _, err := s.Store.PurgeIdempotent(ctx, now, purgeBatch); err != nil {
		s.Logger.Warn("purge idempotency keys", "error", err)
	}
	e.execute(w, r, claim)
}

// answerExisting answers a request whose key another request holds.
func (e *idempotentEndpoint) answerExisting(w http.ResponseWriter, rec store.IdempotencyRecord, fp []byte, now time.Time) {
	switch {
	case !bytes.Equal(rec.Fingerprint, fp):
		e.fail(w, http.StatusUnprocessableEntity, "idempotency_key_reused", "Idempotency-Key already used",
			"it was used with a different request (method, path or body)")
	case rec.Response == nil:
		// The first request answers within Wait of its start.
		wait := rec.CreatedAt.Add(e.s.Wait).Sub(now)
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		e.fail(w, http.StatusConflict, "idempotency_key_in_use", "Idempotency-Key in use",
			"a request with this key is still running; retry after Retry-After seconds")
	default:
		h := w.Header()
		for k, v := range rec.Response.Header {
			h[k] = append([]string(nil), v...)
		}
		h.Set(headerIdempotentReplayed, "true")
		w.WriteHeader(rec.Response.Status)
		w.Write(rec.Response.Body)
	}
}

// execute runs the handler on the claimed key and answers its response
// once it is stored, so that a client that has the answer gets it again
// on a retry. A 5xx, usually a passing failure of a dependency, is not
// stored: the claim is released and a retry executes again. So is a
// panic's. The store is written with the request's values but without its
// cancellation: a client that hangs up must not leave the claim behind.
func (e *idempotentEndpoint) execute(w http.ResponseWriter, r *http.Request, c store.IdempotencyClaim) {
	s := e.s
	ctx := context.WithoutCancel(r.Context())
	settled := false
	defer func() {
		if !settled {
			e.release(ctx, c)
		}
	}()
	buf := &responseBuffer{header: http.Header{}}
	e.next.ServeHTTP(buf, r)
	settled = true
	resp := buf.response()
	if resp.Status >= 500 {
		e.release(ctx, c)
	} else if err := s.Store.CompleteIdempotent(ctx, c.OrgID, c.Key, c.Token, resp); err != nil {
		// The work is done; answer it. The claim lapses with its lease.
		s.Logger.Error("store idempotent response", "error", err)
	}
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	w.WriteHeader(resp.Status)
	w.Write(resp.Body)
}

func (e *idempotentEndpoint) release(ctx context.Context, c store.IdempotencyClaim) {
	if err := e.s.Store.ReleaseIdempotent(ctx, c.OrgID, c.Key, c.Token); err != nil {
		e.s.Logger.Error("release idempotency key", "error", err)
	}
}

// fail answers the idempotency layer's own errors in the family's
// envelope: code is v1's error code, message and detail the others'.
func (e *idempotentEndpoint) fail(w http.ResponseWriter, status int, code, message, detail string) {
	switch e.family {
	case familySFVoPI:
		sfvopiError(w, status, message+": "+detail)
	case familyAgents:
		agentError(w, status, message+": "+detail)
	case familyCall:
		callError(w, status, message, detail)
	default:
		v1Fail(w, status, code, message+": "+detail)
	}
}

// internal answers the family's 500 for a failing store.
func (e *idempotentEndpoint) internal(w http.ResponseWriter, err error) {
	switch e.family {
	case familySFVoPI:
		e.s.sfvopiInternal(w, "Failed to check Idempotency-Key", err)
	case familyAgents:
		e.s.agentInternal(w, msgAgentInternalServer, err)
	case familyCall:
		e.s.internalError(w, err)
	default:
		e.s.v1Internal(w, err)
	}
}

// validKey reports whether k is 1-255 printable ASCII characters (space
// to tilde). HTTP has already trimmed spaces around the value.
func validKey(k string) bool {
	if k == "" || len(k) > maxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// bufferBody reads r's body, up to one byte more than decode accepts
// (a longer body is refused whatever follows), and puts it back for the
// handler, followed by anything left unread.
func bufferBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
	return b, nil
}

// fingerprint identifies a request by its method, path and body, hashed:
// the body may carry credentials (add-phone's authToken) and is never
// stored. A JSON body counts by value, as Stripe compares parameters:
// spacing, member order and escapes do not change the fingerprint, but
// any other difference does, unknown fields included. Any other body
// counts byte for byte.
func fingerprint(method, path string, body []byte) []byte {
	h := sha256.New()
	for _, part := range []string{"switchboard idempotency v1", method, path} {
		io.WriteString(h, part)
		h.Write([]byte{0})
	}
	if canon, ok := canonicalJSON(body); ok {
		io.WriteString(h, "json\x00")
		h.Write(canon)
	} else {
		io.WriteString(h, "raw\x00")
		h.Write(body)
	}
	return h.Sum(nil)
}

// canonicalJSON re-encodes one JSON value with sorted object members and
// numbers as written; ok is false when b is not exactly one JSON value.
func canonicalJSON(b []byte) (canon []byte, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	canon, err := json.Marshal(v)
	return canon, err == nil
}

// responseBuffer holds a handler's response until it is stored. Like a
// real connection it keeps the headers as they were at WriteHeader.
type responseBuffer struct {
	header http.Header
	sent   http.Header // the header at WriteHeader
	status int
	body   bytes.Buffer
}

func (b *responseBuffer) Header() http.Header { return b.header }

func (b *responseBuffer) WriteHeader(status int) {
	if b.sent != nil {
		return
	}
	b.status, b.sent = status, b.header.Clone()
}

func (b *responseBuffer) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// response is what the handler answered; a handler that wrote nothing
// answered 200 with no body, as net/http would send.
func (b *responseBuffer) response() store.IdempotentResponse {
	b.WriteHeader(http.StatusOK)
	return store.IdempotentResponse{Status: b.status, Header: b.sent, Body: bytes.Clone(b.body.Bytes())}
}
