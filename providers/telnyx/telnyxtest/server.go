package telnyxtest

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
)

// Paths of the simulated collections, relative to the API host.
const (
	pathBalance      = "/v2/balance"
	pathNumbers      = "/v2/phone_numbers"
	pathApplications = "/v2/call_control_applications"
	pathTexml        = "/v2/texml_applications"
)

// maxBodyBytes bounds a request body; Telnyx's are a few hundred bytes.
const maxBodyBytes = 1 << 20

// Server is a simulated Telnyx v2 REST API. It is an http.Handler, safe for
// concurrent use; set its state up with AddAccount, AddNumber and
// AddApplication (or AddConnection), and inspect it with Number,
// Connection, VoiceURL, Applications and the call counters.
type Server struct {
	now     func() time.Time
	decider *sim.Decider
	counter *sim.Counter

	mu       sync.Mutex
	accounts map[string]*account
	lastID   uint64 // the last connection id handed out, less idBase
	faults   Faults
	windows  map[string]*window // rate-limit windows per presented API key
}

// Option configures a Server.
type Option func(*Server)

// WithSeed seeds the random source behind the faults' fractions and jitter.
// Servers with the same seed and the same sequence of requests inject the
// same faults. Without it the seed is 1.
func WithSeed(seed uint64) Option {
	return func(s *Server) { s.decider.Seed(seed) }
}

// WithClock sets the clock behind created_at, updated_at and the
// rate-limit windows.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// New returns a Server with no accounts and no faults.
func New(opts ...Option) *Server {
	s := &Server{
		now:      time.Now,
		decider:  sim.NewDecider(),
		counter:  sim.NewCounter(http.MethodGet, http.MethodHead),
		accounts: map[string]*account{},
		windows:  map[string]*window{},
	}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Close releases requests hung by TimeoutRate and cuts injected latency
// short; requests that would hang later fail at once with a 500. Call it
// before closing the http server the Server is mounted on, whose Close
// waits for every handler to return.
func (s *Server) Close() { s.decider.Close() }

// target is what a request names: an endpoint and, for the instance
// paths, the resource id.
type target struct {
	endpoint string
	id       string
}

// route maps a request to one of the simulated endpoints, or to
// EndpointOther. Paths are those of the API host: mount the Server with
// http.StripPrefix to serve it under a prefix.
func route(method, path string) target {
	switch path {
	case pathBalance:
		if method == http.MethodGet {
			return target{endpoint: EndpointBalance}
		}
	case pathNumbers:
		if method == http.MethodGet {
			return target{endpoint: EndpointListNumbers}
		}
	case pathApplications:
		switch method {
		case http.MethodGet:
			return target{endpoint: EndpointListApplications}
		case http.MethodPost:
			return target{endpoint: EndpointCreateApplication}
		}
	case pathTexml:
		switch method {
		case http.MethodGet:
			return target{endpoint: EndpointListTexml}
		case http.MethodPost:
			return target{endpoint: EndpointCreateTexml}
		}
	}
	instance := func(collection, get, patch string) (target, bool) {
		id, ok := strings.CutPrefix(path, collection+"/")
		if !ok || id == "" || strings.Contains(id, "/") {
			return target{}, false
		}
		switch method {
		case http.MethodGet:
			return target{endpoint: get, id: id}, true
		case http.MethodPatch:
			return target{endpoint: patch, id: id}, true
		}
		return target{}, false
	}
	if t, ok := instance(pathNumbers, EndpointGetNumber, EndpointUpdateNumber); ok {
		return t
	}
	if rest, ok := strings.CutPrefix(path, pathNumbers+"/"); ok {
		if id, ok := strings.CutSuffix(rest, "/voice"); ok && id != "" && !strings.Contains(id, "/") {
			switch method {
			case http.MethodGet:
				return target{endpoint: EndpointGetNumberVoice, id: id}
			case http.MethodPatch:
				return target{endpoint: EndpointUpdateNumberVoice, id: id}
			}
		}
	}
	if t, ok := instance(pathApplications, EndpointGetApplication, EndpointUpdateApplication); ok {
		return t
	}
	if t, ok := instance(pathTexml, EndpointGetTexml, EndpointUpdateTexml); ok {
		return t
	}
	return target{endpoint: EndpointOther}
}

// bearer returns the API key of an "Authorization: Bearer <key>" header,
// or "".
func bearer(r *http.Request) string {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(key)
}

// ServeHTTP answers like api.telnyx.com, after applying the faults.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := route(r.Method, r.URL.Path)
	key := bearer(r)

	// The rate-limit window and the verdict are taken under one lock, so
	// the random sequence does not depend on timing, and before the call
	// is counted, so a test that sees a call counted knows its faults are
	// decided.
	s.mu.Lock()
	rl := s.take(key)
	v := s.decide(rl.exceeded)
	s.mu.Unlock()
	s.counter.Count(r.Method, t.endpoint)
	rl.setHeaders(w.Header())

	if s.decider.Apply(w, r, v, sim.Answers{TooManyRequests: writeTooManyRequests, InternalError: writeInternal}) {
		s.serve(w, r, t, key)
	}
}

// serve authenticates the request and dispatches it.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, t target, key string) {
	s.mu.Lock()
	a, ok := s.accounts[key]
	readOnly := ok && a.ReadOnly
	s.mu.Unlock()
	if key == "" || !ok {
		writeError(w, errUnauthenticated())
		return
	}
	if t.endpoint == EndpointOther {
		writeError(w, errNotFound())
		return
	}
	if r.Method != http.MethodGet && readOnly {
		writeError(w, errForbidden())
		return
	}

	switch t.endpoint {
	case EndpointBalance:
		s.getBalance(w, key)
	case EndpointListNumbers:
		s.listNumbers(w, r, key)
	case EndpointGetNumber:
		s.getNumber(w, key, t.id)
	case EndpointGetNumberVoice:
		s.getNumberVoice(w, key, t.id)
	case EndpointUpdateNumberVoice:
		s.updateNumberVoice(w, r, key, t.id)
	case EndpointUpdateNumber:
		s.updateNumber(w, r, key, t.id)
	case EndpointListApplications:
		s.listApplications(w, r, key, callControlKind)
	case EndpointCreateApplication:
		s.createApplication(w, r, key, callControlKind)
	case EndpointGetApplication:
		s.getApplication(w, key, t.id, callControlKind)
	case EndpointUpdateApplication:
		s.updateApplication(w, r, key, t.id, callControlKind)
	case EndpointListTexml:
		s.listApplications(w, r, key, texmlKind)
	case EndpointCreateTexml:
		s.createApplication(w, r, key, texmlKind)
	case EndpointGetTexml:
		s.getApplication(w, key, t.id, texmlKind)
	case EndpointUpdateTexml:
		s.updateApplication(w, r, key, t.id, texmlKind)
	}
}

// telnyxTime formats t as Telnyx does: ISO 8601 in UTC with milliseconds
// ("2018-02-02T22:25:27.521Z").
func telnyxTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// nullable renders "" as JSON null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
