package twiliotest

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
)

// apiRoot is the path every simulated resource lives under.
const apiRoot = "/2010-04-01/Accounts/"

// maxFormBytes bounds an update's body; Twilio's are a few hundred bytes.
const maxFormBytes = 1 << 20

// Server is a simulated Twilio REST API. It is an http.Handler, safe for
// concurrent use; set its state up with AddAccount and AddNumber, and
// inspect it with Number and Calls.
type Server struct {
	now     func() time.Time
	decider *sim.Decider
	counter *sim.Counter

	mu       sync.Mutex
	accounts map[string]*account
	faults   Faults
}

// Option configures a Server.
type Option func(*Server)

// WithSeed seeds the random source behind the faults' fractions and jitter.
// Servers with the same seed and the same sequence of requests inject the
// same faults. Without it the seed is 1.
func WithSeed(seed uint64) Option {
	return func(s *Server) { s.decider.Seed(seed) }
}

// WithClock sets the clock behind date_created and date_updated.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// New returns a Server with no accounts and no faults.
func New(opts ...Option) *Server {
	s := &Server{
		now:      time.Now,
		decider:  sim.NewDecider(),
		counter:  sim.NewCounter(http.MethodGet),
		accounts: map[string]*account{},
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

// target is what a request path names.
type target struct {
	endpoint string
	account  string // the {AccountSid} (or account {Sid}) in the path
	number   string // the IncomingPhoneNumber {Sid}, for the instance paths
}

// route maps a request to one of the simulated endpoints, or to
// EndpointOther. Paths are those of the API root: mount the Server with
// http.StripPrefix to serve it under a prefix.
func route(method, path string) target {
	rest, ok := strings.CutPrefix(path, apiRoot)
	if !ok {
		return target{endpoint: EndpointOther}
	}
	parts := strings.Split(rest, "/")
	switch len(parts) {
	case 1:
		if sid, ok := strings.CutSuffix(parts[0], ".json"); ok && sid != "" && method == http.MethodGet {
			return target{endpoint: EndpointFetchAccount, account: sid}
		}
	case 2:
		if parts[0] != "" && parts[1] == "IncomingPhoneNumbers.json" && method == http.MethodGet {
			return target{endpoint: EndpointListNumbers, account: parts[0]}
		}
	case 3:
		pn, ok := strings.CutSuffix(parts[2], ".json")
		if !ok || pn == "" || parts[0] == "" || parts[1] != "IncomingPhoneNumbers" {
			break
		}
		switch method {
		case http.MethodGet:
			return target{endpoint: EndpointFetchNumber, account: parts[0], number: pn}
		case http.MethodPost:
			return target{endpoint: EndpointUpdateNumber, account: parts[0], number: pn}
		}
	}
	return target{endpoint: EndpointOther}
}

// ServeHTTP answers like api.twilio.com, after applying the faults.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := route(r.Method, r.URL.Path)
	// Twilio's concurrency limit is per account: the one authenticating.
	limitKey, _, _ := r.BasicAuth()
	if limitKey == "" {
		limitKey = t.account
	}

	// The verdict, and with it the in-flight slot, is taken before the
	// call is counted, so a test that sees a call counted knows its slot
	// is held and its faults decided.
	s.mu.Lock()
	v := s.decide(limitKey)
	s.mu.Unlock()
	s.counter.Count(r.Method, t.endpoint)

	if !v.RateLimit {
		defer s.decider.Release(limitKey)
	}
	if s.decider.Apply(w, r, v, sim.Answers{TooManyRequests: writeTooManyRequests, InternalError: writeInternal}) {
		s.serve(w, r, t)
	}
}

// serve authenticates the request and dispatches it.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, t target) {
	user, pass, _ := r.BasicAuth()
	s.mu.Lock()
	who, ok := s.authenticate(user, pass)
	reaches := ok && s.reaches(who, t.account)
	active := reaches && s.active(t.account)
	s.mu.Unlock()
	if !ok || (who.key != "" && t.endpoint == EndpointFetchAccount) {
		// Standard API keys cannot fetch or manage accounts.
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeError(w, newAPIError(http.StatusUnauthorized, CodeAuthenticate, "Authenticate"))
		return
	}
	if t.endpoint == EndpointOther || !reaches {
		// Another account's resources are "not found" to this one.
		writeError(w, errNotFound(r.URL.Path))
		return
	}
	if !active && t.endpoint != EndpointFetchAccount {
		writeError(w, newAPIError(http.StatusUnauthorized, CodeAccountNotActive, "Account not active"))
		return
	}

	switch t.endpoint {
	case EndpointFetchAccount:
		s.fetchAccount(w, t)
	case EndpointListNumbers:
		s.listNumbers(w, r, t)
	case EndpointFetchNumber:
		s.fetchNumber(w, r, t)
	case EndpointUpdateNumber:
		s.updateNumber(w, r, t)
	}
}

// principal is who a request authenticates as: an account (its auth
// token), or one of its API keys.
type principal struct {
	account string
	key     string // the API key SID, or "" for the auth token
}

// authenticate checks Basic auth user:pass, an Account SID and its auth
// token or an API key SID and its secret. s.mu must be held.
func (s *Server) authenticate(user, pass string) (principal, bool) {
	match := func(want string) bool { return subtle.ConstantTimeCompare([]byte(pass), []byte(want)) == 1 }
	if a, ok := s.accounts[user]; ok {
		return principal{account: user}, match(a.AuthToken)
	}
	for sid, a := range s.accounts {
		if secret, ok := a.keys[user]; ok {
			return principal{account: sid, key: user}, match(secret)
		}
	}
	return principal{}, false
}

// reaches reports whether who may use account sid's resources: its own,
// and a main account's auth token its subaccounts'. s.mu must be held.
func (s *Server) reaches(who principal, sid string) bool {
	if sid == who.account {
		return true
	}
	a, ok := s.accounts[sid]
	return ok && who.key == "" && a.OwnerAccountSID == who.account
}

// active reports whether account sid and its parent are active: a
// suspended main account suspends its subaccounts. s.mu must be held.
func (s *Server) active(sid string) bool {
	a := s.accounts[sid]
	if a.Status != StatusActive {
		return false
	}
	if p, ok := s.accounts[a.OwnerAccountSID]; ok {
		return p.Status == StatusActive
	}
	return true
}

func (s *Server) fetchAccount(w http.ResponseWriter, t target) {
	s.mu.Lock()
	body := s.accounts[t.account].wire()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) listNumbers(w http.ResponseWriter, r *http.Request, t target) {
	q, apiErr := parseListQuery(r.URL.Query())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.mu.Lock()
	var matching []*Number
	for _, n := range s.accounts[t.account].numbers {
		if q.matches(n) {
			matching = append(matching, n)
		}
	}
	body := q.cut(t.account, matching)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) fetchNumber(w http.ResponseWriter, r *http.Request, t target) {
	s.mu.Lock()
	n, ok := s.accounts[t.account].bySID[t.number]
	var body numberJSON
	if ok {
		body = n.wire()
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, errNotFound(r.URL.Path))
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) updateNumber(w http.ResponseWriter, r *http.Request, t target) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeError(w, errInvalid(CodeInvalidParameter, "the request body is not a valid form"))
		return
	}
	s.mu.Lock()
	a := s.accounts[t.account]
	n, ok := a.bySID[t.number]
	if !ok {
		s.mu.Unlock()
		writeError(w, errNotFound(r.URL.Path))
		return
	}
	changed, apiErr := applyUpdate(n, r.PostForm, a)
	if apiErr != nil {
		s.mu.Unlock()
		writeError(w, apiErr)
		return
	}
	if changed {
		n.DateUpdated = s.now().UTC()
		s.counter.CountApplied()
	}
	ambiguous := sim.Take(&s.faults.AmbiguousWrites)
	body := n.wire()
	s.mu.Unlock()
	if ambiguous {
		writeError(w, errInternal())
		return
	}
	writeJSON(w, http.StatusOK, body)
}
