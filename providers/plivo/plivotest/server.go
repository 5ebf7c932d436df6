package plivotest

import (
	"crypto/subtle"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
)

// apiRoot is the path every simulated resource lives under.
const apiRoot = "/v1/Account/"

// maxBodyBytes bounds a request body; Plivo's are a few hundred bytes.
const maxBodyBytes = 1 << 20

// Server is a simulated Plivo REST API. It is an http.Handler, safe for
// concurrent use; set its state up with AddAccount, AddNumber and
// AddApplication, and inspect it with Number, Application, Applications,
// VoiceURL and Calls.
type Server struct {
	now     func() time.Time
	decider *sim.Decider
	counter *sim.Counter

	mu       sync.Mutex
	ids      *rand.Rand // api_ids, a stream of its own so ids never shift faults
	nextApp  uint64     // the next application's id
	accounts map[string]*account
	faults   Faults
	window   map[string][]time.Time // accepted requests per account, for RateLimit

	// nameContains makes app_name match every name containing it.
	nameContains bool
	// listSubaccountApps lists a main account's subaccounts' applications
	// with its own when no subaccount is named.
	listSubaccountApps bool
}

// Option configures a Server.
type Option func(*Server)

// WithSeed seeds the random sources behind the faults' fractions and
// jitter and behind api_ids. Servers with the same seed and the same
// sequence of requests inject the same faults. Without it the seed is 1.
func WithSeed(seed uint64) Option {
	return func(s *Server) {
		s.decider.Seed(seed)
		s.ids = rand.New(rand.NewPCG(seed, ^seed))
	}
}

// WithClock sets the clock behind added_on and the rate limit's window.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// WithAppNameContains makes the application list's app_name filter match
// every name that contains it (case-sensitive) instead of exactly. Plivo
// does not document how app_name matches, and the other providers' list
// filters match partially (PROVIDERS.md): with it, a test proves an
// adapter compares the names it is given back.
func WithAppNameContains() Option {
	return func(s *Server) { s.nameContains = true }
}

// WithSubaccountApplicationsListed makes a main account's application
// list, without the subaccount parameter, hold its subaccounts'
// applications too (each with sub_account set). Plivo documents the
// parameter for listing a subaccount's applications but not what the list
// holds without it: with this option a test proves an adapter never takes
// a subaccount's application for the main account's.
func WithSubaccountApplicationsListed() Option {
	return func(s *Server) { s.listSubaccountApps = true }
}

// New returns a Server with no accounts, Plivo's documented rate limit and
// no other fault.
func New(opts ...Option) *Server {
	s := &Server{
		now:      time.Now,
		decider:  sim.NewDecider(),
		counter:  sim.NewCounter(http.MethodGet),
		nextApp:  firstAppID,
		accounts: map[string]*account{},
		faults:   Faults{RateLimit: DefaultRateLimit, RateWindow: DefaultRateWindow},
		window:   map[string][]time.Time{},
	}
	WithSeed(1)(s)
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
	account  string // the {auth_id} in the path
	id       string // the number's digits or the app_id, for instance paths
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
	// Every Plivo path ends in '/': the last part is empty.
	if len(parts) < 2 || parts[0] == "" || parts[len(parts)-1] != "" {
		return target{endpoint: EndpointOther}
	}
	acct := parts[0]
	parts = parts[1 : len(parts)-1]
	get, post := method == http.MethodGet, method == http.MethodPost
	switch {
	case len(parts) == 0 && get, len(parts) == 1 && parts[0] == "" && get:
		// "/v1/Account/{id}/", and "/v1/Account/{id}//" as plivo-go sends it.
		return target{endpoint: EndpointGetAccount, account: acct}
	case len(parts) == 2 && parts[0] == "Number" && parts[1] != "" && get:
		return target{endpoint: EndpointGetNumber, account: acct, id: parts[1]}
	case len(parts) == 2 && parts[0] == "Number" && parts[1] != "" && post:
		return target{endpoint: EndpointUpdateNumber, account: acct, id: parts[1]}
	case len(parts) == 1 && parts[0] == "Application" && get:
		return target{endpoint: EndpointListApplications, account: acct}
	case len(parts) == 1 && parts[0] == "Application" && post:
		return target{endpoint: EndpointCreateApplication, account: acct}
	case len(parts) == 2 && parts[0] == "Application" && parts[1] != "" && get:
		return target{endpoint: EndpointGetApplication, account: acct, id: parts[1]}
	case len(parts) == 2 && parts[0] == "Application" && parts[1] != "" && post:
		return target{endpoint: EndpointUpdateApplication, account: acct, id: parts[1]}
	}
	return target{endpoint: EndpointOther}
}

// ServeHTTP answers like api.plivo.com, after applying the faults.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := route(r.Method, r.URL.Path)
	// Plivo's rate limit is per account: the one authenticating.
	limitKey, _, _ := r.BasicAuth()
	if limitKey == "" {
		limitKey = t.account
	}

	// The verdict is drawn before the call is counted, so a test that sees
	// a call counted knows its faults are decided.
	s.mu.Lock()
	v := s.decide(limitKey)
	empty := s.faults.EmptyErrorBody
	s.mu.Unlock()
	s.counter.Count(r.Method, t.endpoint)

	answers := sim.Answers{
		TooManyRequests: func(w http.ResponseWriter) {
			writeError(w, s.newAPIID(), http.StatusTooManyRequests, "too many requests")
		},
		InternalError: func(w http.ResponseWriter) { s.writeInternal(w, empty) },
	}
	if s.decider.Apply(w, r, v, answers) {
		s.serve(w, r, t)
	}
}

// writeInternal answers 500, with Plivo's error body or, when empty is
// set, none at all.
func (s *Server) writeInternal(w http.ResponseWriter, empty bool) {
	if empty {
		writeEmpty(w, http.StatusInternalServerError)
		return
	}
	writeError(w, s.newAPIID(), http.StatusInternalServerError, "internal server error")
}

// serve authenticates the request and dispatches it.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, t target) {
	user, pass, ok := r.BasicAuth()
	s.mu.Lock()
	a := s.accounts[user]
	var token string
	if a != nil {
		token = a.AuthToken
	}
	s.mu.Unlock()
	if !ok || a == nil || subtle.ConstantTimeCompare([]byte(pass), []byte(token)) != 1 {
		writeUnauthorized(w)
		return
	}
	if t.endpoint == EndpointOther || t.account != user {
		// Another account's resources are "not found" to this one.
		writeError(w, s.newAPIID(), http.StatusNotFound, "not found")
		return
	}

	switch t.endpoint {
	case EndpointGetAccount:
		s.getAccount(w, t)
	case EndpointGetNumber:
		s.getNumber(w, t)
	case EndpointUpdateNumber:
		s.updateNumber(w, r, t)
	case EndpointListApplications:
		s.listApplications(w, r, t)
	case EndpointGetApplication:
		s.getApplication(w, t)
	case EndpointCreateApplication:
		s.createApplication(w, r, t)
	case EndpointUpdateApplication:
		s.updateApplication(w, r, t)
	}
}
