package telnyx_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/internal/openapicheck"
	"github.com/switchboardhq/switchboard/providers/telnyx"
	tt "github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
)

var creds = providers.Credentials{Secret: tt.SandboxAPIKey}

// route is a Call Control route: these tests cover that path (the TeXML
// default is covered in texml_test.go).
func route(label, voiceURL string) providers.Route {
	return providers.Route{Name: providers.RouteName(1, label), VoiceURL: voiceURL, CallControl: true}
}

var defaultRoute = route("default", "https://platform.example.com/hooks/voice/inbound")

// env is the adapter on a sandbox simulator, every request recorded.
type env struct {
	sim *tt.Server
	a   *telnyx.Adapter
	rec *recorder
	// ours are the applications routes ended on, as the worker records
	// them (Route.Ours).
	ours []string

	mu sync.Mutex
	// intercept, when set, sees every request before the simulator and
	// answers those it returns true for itself: for answers Telnyx may
	// give and the simulator never does, or to time a change between two
	// requests. Its answers are held to the OpenAPI description too.
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

// interceptWith sets e.intercept; nil lets the simulator answer everything.
func (e *env) interceptWith(f func(w http.ResponseWriter, r *http.Request) bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.intercept = f
}

func (e *env) serveHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	f := e.intercept
	e.mu.Unlock()
	if f != nil && f(w, r) {
		return
	}
	e.sim.ServeHTTP(w, r)
}

// withOurs is r with the applications recorded so far, as the worker
// passes them.
func (e *env) withOurs(r providers.Route) providers.Route {
	r.Ours = append([]string(nil), e.ours...)
	return r
}

// record keeps the application a change ended on.
func (e *env) record(ch providers.Change) {
	if ch.After.ApplicationID != "" {
		e.ours = append(e.ours, ch.After.ApplicationID)
	}
}

func newEnv(t *testing.T, prefix string, opts ...tt.Option) *env {
	t.Helper()
	sim := tt.NewSandbox(opts...)
	e := &env{sim: sim}
	var h http.Handler = http.HandlerFunc(e.serveHTTP)
	if prefix != "" {
		mux := http.NewServeMux()
		mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
		h = mux
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	t.Cleanup(sim.Close)
	// Unprefixed, the adapter addresses Telnyx, and every request it sends
	// and every response it gets is held to Telnyx's OpenAPI description on
	// the way to the test server. Prefixed, it is pointed at the sandbox's
	// URL, as in the dev sandbox, to check the prefix reaches the wire.
	o := telnyx.Options{Timeout: 5 * time.Second, UserAgent: "switchboard/test"}
	rec := &recorder{next: http.DefaultTransport}
	if prefix == "" {
		u, err := url.Parse(ts.URL)
		if err != nil {
			t.Fatal(err)
		}
		rec.next = openapicheck.NewTransport(t, openapicheck.Telnyx, &openapicheck.Rewrite{Scheme: u.Scheme, Host: u.Host})
	} else {
		o.BaseURL = ts.URL + prefix
	}
	o.Transport = rec
	a, err := telnyx.New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.a, e.rec = a, rec
	return e
}

// recorder keeps every request it carries.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []*http.Request
	fail func(*http.Request) error // when it returns an error, the request is not sent
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(req); err != nil {
			return nil, err
		}
	}
	return r.next.RoundTrip(req)
}

func (r *recorder) requests() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.reqs...)
}

func (e *env) lookup(t *testing.T, e164 string) providers.Number {
	t.Helper()
	n, err := e.a.Lookup(context.Background(), creds, e164)
	if err != nil {
		t.Fatalf("Lookup(%s): %v", e164, err)
	}
	return n
}

func (e *env) ensure(t *testing.T, e164 string, r providers.Route) providers.Change {
	t.Helper()
	ch, err := e.a.EnsureVoiceRoute(context.Background(), creds, e.lookup(t, e164), e.withOurs(r))
	if err != nil {
		t.Fatalf("EnsureVoiceRoute(%s, %s): %v", e164, r.Name, err)
	}
	e.record(ch)
	return ch
}

func wantKind(t *testing.T, err error, kind providers.Kind) *providers.Error {
	t.Helper()
	var pe *providers.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T), want a *providers.Error of kind %s", err, err, kind)
	}
	if pe.Kind != kind {
		t.Fatalf("error kind %s (%v), want %s", pe.Kind, err, kind)
	}
	return pe
}

// TestCosts pins what provisioning costs at Telnyx, call by call.
func TestCosts(t *testing.T) {
	e := newEnv(t, "")
	e.sim.ResetCalls()
	first := e.ensure(t, tt.SandboxNumberLondon, defaultRoute)
	want := map[string]int{
		tt.EndpointListNumbers:       1, // lookup
		tt.EndpointGetNumberVoice:    1, // call forwarding, before moving it
		tt.EndpointListApplications:  1, // by name: none
		tt.EndpointCreateApplication: 1,
		tt.EndpointUpdateNumber:      1, // attach
	}
	if diff := cmp.Diff(want, e.sim.Calls()); diff != "" {
		t.Errorf("fresh number, no application: calls (-want +got):\n%s", diff)
	}
	if !first.Changed || first.After.ApplicationID == "" {
		t.Errorf("fresh: %+v", first)
	}

	hinted := defaultRoute
	hinted.ApplicationID = first.After.ApplicationID
	e.sim.ResetCalls()
	e.ensure(t, tt.SandboxNumberSydney, hinted)
	want = map[string]int{tt.EndpointListNumbers: 1, tt.EndpointGetNumberVoice: 1, tt.EndpointUpdateNumber: 1}
	if diff := cmp.Diff(want, e.sim.Calls()); diff != "" {
		t.Errorf("another number with the application id: calls (-want +got):\n%s", diff)
	}

	e.sim.ResetCalls()
	if ch := e.ensure(t, tt.SandboxNumberSydney, hinted); ch.Changed {
		t.Errorf("re-run changed: %+v", ch)
	}
	if r, w := e.sim.Reads(), e.sim.Writes(); r != 1 || w != 0 {
		t.Errorf("re-run with the application id: %d reads, %d writes; want 1 and 0", r, w)
	}
	if n := e.sim.Applications(tt.SandboxAPIKey, defaultRoute.Name); n != 1 {
		t.Errorf("%d applications", n)
	}
}

func TestRequests(t *testing.T) {
	e := newEnv(t, "/sandbox/telnyx")
	if err := e.a.ValidateCredentials(context.Background(), creds); err != nil {
		t.Fatal(err)
	}
	e.ensure(t, tt.SandboxNumberLondon, defaultRoute)
	var got []string
	for _, r := range e.rec.requests() {
		got = append(got, r.Method+" "+r.URL.RequestURI())
		if a := r.Header.Get("Authorization"); a != "Bearer "+tt.SandboxAPIKey {
			t.Errorf("%s: Authorization %q", r.URL, a)
		}
		if r.Header.Get("Accept") != "application/json" || r.Header.Get("User-Agent") != "switchboard/test" {
			t.Errorf("%s: headers %v", r.URL, r.Header)
		}
		if ct := r.Header.Get("Content-Type"); (r.Method != "GET") != (ct == "application/json") {
			t.Errorf("%s %s: Content-Type %q", r.Method, r.URL, ct)
		}
	}
	id, _ := e.sim.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon)
	want := []string{
		"GET /sandbox/telnyx/v2/balance",
		"GET /sandbox/telnyx/v2/phone_numbers?filter%5Bphone_number%5D=442012345678&page%5Bsize%5D=20",
		"GET /sandbox/telnyx/v2/phone_numbers/" + id.ID + "/voice",
		"GET /sandbox/telnyx/v2/call_control_applications?filter%5Bapplication_name%5D%5Bcontains%5D=switchboard-org1-default&page%5Bsize%5D=250&sort=created_at",
		"POST /sandbox/telnyx/v2/call_control_applications",
		"PATCH /sandbox/telnyx/v2/phone_numbers/" + id.ID,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	app, _ := e.sim.Connection(tt.SandboxAPIKey, id.ConnectionID)
	wantApp := tt.Connection{Name: defaultRoute.Name, WebhookEventURL: defaultRoute.VoiceURL, WebhookAPIVersion: "2", WebhookTimeoutSecs: 25, Active: true}
	gotApp := tt.Connection{Name: app.Name, WebhookEventURL: app.WebhookEventURL, WebhookAPIVersion: app.WebhookAPIVersion, WebhookTimeoutSecs: app.WebhookTimeoutSecs, Active: app.Active}
	if diff := cmp.Diff(wantApp, gotApp); diff != "" || app.WebhookEventFailoverURL != "" {
		t.Errorf("created application (-want +got):\n%s", diff)
	}
	// Messaging is left alone.
	if n, _ := e.sim.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon); n.MessagingProfileID != tt.SandboxMessagingProfileID {
		t.Errorf("messaging profile now %q", n.MessagingProfileID)
	}
}

// TestValidateKeyWithoutBalancePermission: a 403 on the balance means the
// key authenticated and may not read billing, so the credentials are
// valid (in one request), and the key goes on to route its number. A
// wrong key is still refused.
func TestValidateKeyWithoutBalancePermission(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	limited := providers.Credentials{Secret: tt.SandboxNoBalanceAPIKey}
	if err := e.a.ValidateCredentials(ctx, limited); err != nil {
		t.Fatalf("a key that may not read the balance: %v", err)
	}
	if n := len(e.rec.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	n, err := e.a.Lookup(ctx, limited, tt.SandboxNumberNoBalance)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.EnsureVoiceRoute(ctx, limited, n, defaultRoute); err != nil {
		t.Fatal(err)
	}
	if got := e.sim.VoiceURL(tt.SandboxNoBalanceAPIKey, tt.SandboxNumberNoBalance); got != defaultRoute.VoiceURL {
		t.Errorf("voice URL %q", got)
	}
	wantKind(t, e.a.ValidateCredentials(ctx, providers.Credentials{Secret: "KEYWRONG"}), providers.KindInvalidCredentials)
}

func TestLookup(t *testing.T) {
	e := newEnv(t, "")
	n := e.lookup(t, tt.SandboxNumberForeign)
	want := providers.Number{
		ID:    n.ID,
		E164:  tt.SandboxNumberForeign,
		Voice: providers.VoiceConfig{ApplicationID: tt.SandboxForeignConnectionID, ApplicationName: tt.SandboxForeignConnectionName},
	}
	if diff := cmp.Diff(want, n); diff != "" || n.ID == "" {
		t.Errorf("Lookup (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		status string
		kind   providers.Kind
	}{
		{tt.StatusPortPending, providers.KindBadRequest},
		{tt.StatusPurchasePending, providers.KindBadRequest},
		{tt.StatusEmergencyOnly, providers.KindBadRequest},
		{tt.StatusPortOutPending, providers.KindBadRequest},
		{tt.StatusRequirementInfoPending, providers.KindBadRequest},
		{tt.StatusRequirementInfoUnderReview, providers.KindBadRequest},
		{tt.StatusRequirementInfoException, providers.KindBadRequest},
		{tt.StatusProvisionPending, providers.KindBadRequest},
		{tt.StatusDeleted, providers.KindNotOwned},
		{tt.StatusPortedOut, providers.KindNotOwned},
		{tt.StatusPortFailed, providers.KindNotOwned},
	} {
		if err := e.sim.UpdateNumber(tt.SandboxAPIKey, tt.SandboxNumberSydney, func(n *tt.Number) { n.Status = c.status }); err != nil {
			t.Fatal(err)
		}
		_, err := e.a.Lookup(context.Background(), creds, tt.SandboxNumberSydney)
		if pe := wantKind(t, err, c.kind); !strings.Contains(pe.Message, c.status) {
			t.Errorf("%s: message %q", c.status, pe.Message)
		}
	}
	e.sim.ResetCalls()
	for _, bad := range []string{"442012345678", "+44", "+44 20 1234 5678", ""} {
		_, err := e.a.Lookup(context.Background(), creds, bad)
		wantKind(t, err, providers.KindBadRequest)
	}
	if e.sim.Reads() != 0 {
		t.Errorf("malformed numbers were looked up")
	}
}

// TestLookupPages finds an exact match past the first page of partial
// matches: 25 numbers containing the target's digits are listed first.
func TestLookupPages(t *testing.T) {
	e := newEnv(t, "")
	for i := range 25 {
		if _, err := e.sim.AddNumber(tt.SandboxAPIKey, fmt.Sprintf("+%d8442012345678", 10+i)); err != nil {
			t.Fatal(err)
		}
	}
	const target = "+8442012345678"
	if _, err := e.sim.AddNumber(tt.SandboxAPIKey, target); err != nil {
		t.Fatal(err)
	}
	e.sim.ResetCalls()
	if n := e.lookup(t, target); n.E164 != target || e.sim.Reads() != 2 {
		t.Errorf("found %+v in %d reads, want 2", n, e.sim.Reads())
	}
}

// TestLookupPaging: a lookup reads the pages of partial matches (20 a
// page) until the exact number, the last page, or the 10th page: a
// number on page 10 is found, one past it is not owned (paging is
// bounded), and a number not owned costs one read per page, none past
// the last.
func TestLookupPaging(t *testing.T) {
	const target = "+35391234"
	for _, c := range []struct {
		name   string
		before int  // numbers containing the target's digits, bought first
		owned  bool // the target is bought after them
		found  bool
		reads  int
	}{
		{"not owned, one full page of partial matches", 20, false, false, 1},
		{"not owned, two pages of partial matches", 25, false, false, 2},
		{"on page 10, the last one read", 9 * 20, true, true, 10},
		{"on page 11, past the bound", 10 * 20, true, false, 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, "")
			for i := range c.before {
				if _, err := e.sim.AddNumber(tt.SandboxAPIKey, fmt.Sprintf("+%d%s", 100+i, target[1:])); err != nil {
					t.Fatal(err)
				}
			}
			if c.owned {
				if _, err := e.sim.AddNumber(tt.SandboxAPIKey, target); err != nil {
					t.Fatal(err)
				}
			}
			e.sim.ResetCalls()
			n, err := e.a.Lookup(context.Background(), creds, target)
			if c.found {
				if err != nil || n.E164 != target {
					t.Errorf("Lookup(%s) = %q, %v; want the number found on its page", target, n.E164, err)
				}
			} else {
				wantKind(t, err, providers.KindNotOwned)
			}
			if got := e.sim.Calls()[tt.EndpointListNumbers]; got != c.reads {
				t.Errorf("%d list calls, want %d", got, c.reads)
			}
		})
	}
}

func TestForeign(t *testing.T) {
	e := newEnv(t, "")
	num := e.lookup(t, tt.SandboxNumberForeign)
	e.sim.ResetCalls()
	for _, reset := range []bool{false, true} {
		f := e.a.EnsureVoiceRoute
		if reset {
			f = e.a.ResetVoiceRoute
		}
		_, err := f(context.Background(), creds, num, defaultRoute)
		if pe := wantKind(t, err, providers.KindConflict); !strings.Contains(pe.Message, tt.SandboxForeignConnectionName) {
			t.Errorf("message %q", pe.Message)
		}
	}
	if e.sim.Reads()+e.sim.Writes() != 0 {
		t.Errorf("refusals made %d calls", e.sim.Reads()+e.sim.Writes())
	}
	// A connection reported without a name is someone else's too.
	unnamed := num
	unnamed.Voice.ApplicationName = ""
	_, err := e.a.EnsureVoiceRoute(context.Background(), creds, unnamed, defaultRoute)
	wantKind(t, err, providers.KindConflict)

	r := defaultRoute
	r.Override = true
	ch := e.ensure(t, tt.SandboxNumberForeign, r)
	if !ch.Changed || ch.Before != num.Voice {
		t.Errorf("override: %+v", ch)
	}
	if got := e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberForeign); got != r.VoiceURL {
		t.Errorf("VoiceURL %q", got)
	}
}

// TestMoveBetweenManaged: any application switchboard created is replaced
// without Override, by Ensure and Reset alike.
func TestMoveBetweenManaged(t *testing.T) {
	e := newEnv(t, "")
	first := e.ensure(t, tt.SandboxNumberLondon, defaultRoute)
	target := route("agent-7f3a", "https://agents.example.com/answer/7f3a")
	moved := e.ensure(t, tt.SandboxNumberLondon, target)
	want := providers.Change{
		Before:  providers.VoiceConfig{ApplicationID: first.After.ApplicationID, ApplicationName: defaultRoute.Name},
		After:   providers.VoiceConfig{ApplicationID: moved.After.ApplicationID, ApplicationName: target.Name, VoiceURL: target.VoiceURL},
		Changed: true,
	}
	if diff := cmp.Diff(want, moved); diff != "" || moved.After.ApplicationID == first.After.ApplicationID {
		t.Errorf("move (-want +got):\n%s", diff)
	}
	def := defaultRoute
	def.ApplicationID = first.After.ApplicationID
	back, err := e.a.ResetVoiceRoute(context.Background(), creds, e.lookup(t, tt.SandboxNumberLondon), e.withOurs(def))
	if err != nil || !back.Changed || back.After.ApplicationID != first.After.ApplicationID {
		t.Errorf("reset: %+v, %v", back, err)
	}
	if got := e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon); got != defaultRoute.VoiceURL {
		t.Errorf("VoiceURL %q", got)
	}
}

// TestStaleHint: the application id the worker kept was deleted; the
// adapter checks it, then finds (here: creates) the application by name.
func TestStaleHint(t *testing.T) {
	e := newEnv(t, "")
	first := e.ensure(t, tt.SandboxNumberLondon, defaultRoute)
	if err := e.sim.DeleteConnection(tt.SandboxAPIKey, first.After.ApplicationID); err != nil {
		t.Fatal(err)
	}
	r := defaultRoute
	r.ApplicationID = first.After.ApplicationID
	e.sim.ResetCalls()
	ch := e.ensure(t, tt.SandboxNumberSydney, r)
	if !ch.Changed || ch.After.ApplicationID == first.After.ApplicationID {
		t.Errorf("stale hint: %+v", ch)
	}
	want := map[string]int{
		tt.EndpointListNumbers:       1,
		tt.EndpointGetNumberVoice:    1,
		tt.EndpointUpdateNumber:      2, // refused (422), then with the new application
		tt.EndpointGetApplication:    1, // is the hinted application gone?
		tt.EndpointListApplications:  1,
		tt.EndpointCreateApplication: 1,
	}
	if diff := cmp.Diff(want, e.sim.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if got := e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberSydney); got != r.VoiceURL {
		t.Errorf("VoiceURL %q", got)
	}
}

// TestDuplicatesAndDrift: with two applications of the route's name, the
// oldest is used; a drifted webhook or a deactivated application is fixed.
func TestDuplicatesAndDrift(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, "")
	newer, err := e.sim.AddConnection(tt.SandboxAPIKey, tt.Connection{Name: defaultRoute.Name, Active: true,
		WebhookEventURL: defaultRoute.VoiceURL, CreatedAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	older, err := e.sim.AddConnection(tt.SandboxAPIKey, tt.Connection{Name: defaultRoute.Name, Active: true,
		WebhookEventURL: "https://old.example.com/voice", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	// A name that merely contains the route's is not it.
	if _, err := e.sim.AddApplication(tt.SandboxAPIKey, defaultRoute.Name+"-copy", defaultRoute.VoiceURL); err != nil {
		t.Fatal(err)
	}
	e.sim.ResetCalls()
	ch := e.ensure(t, tt.SandboxNumberLondon, defaultRoute)
	if ch.After.ApplicationID != older || newer == older {
		t.Errorf("used %s, want the oldest %s", ch.After.ApplicationID, older)
	}
	if n := e.sim.Calls()[tt.EndpointUpdateApplication]; n != 1 {
		t.Errorf("%d application updates, want 1 (the drifted webhook)", n)
	}
	if got := e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon); got != defaultRoute.VoiceURL {
		t.Errorf("VoiceURL %q", got)
	}

	// Deactivated in the portal: reactivated, without moving the number.
	if err := e.sim.UpdateConnection(tt.SandboxAPIKey, older, func(c *tt.Connection) { c.Active = false }); err != nil {
		t.Fatal(err)
	}
	e.sim.ResetCalls()
	ch = e.ensure(t, tt.SandboxNumberLondon, defaultRoute)
	want := map[string]int{tt.EndpointListNumbers: 1, tt.EndpointListApplications: 1, tt.EndpointUpdateApplication: 1}
	if diff := cmp.Diff(want, e.sim.Calls()); diff != "" || !ch.Changed {
		t.Errorf("reactivation changed %v, calls (-want +got):\n%s", ch.Changed, diff)
	}
	if got := e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon); got != defaultRoute.VoiceURL {
		t.Errorf("VoiceURL %q", got)
	}
}

// TestApplicationDeletedWhileUpdated: the route's application, listed
// with a drifted webhook, is deleted (in the portal, say) before its
// update arrives, which Telnyx answers 404. That 404 is the
// application's, not the number's: the error is transient (not "not
// owned"), names the application, and leaves the number where it was;
// the retry lists again, creates the application and routes the number.
func TestApplicationDeletedWhileUpdated(t *testing.T) {
	e := newEnv(t, "")
	app, err := e.sim.AddApplication(tt.SandboxAPIKey, defaultRoute.Name, "https://old.example.com/voice")
	if err != nil {
		t.Fatal(err)
	}
	e.interceptWith(func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPatch && r.URL.Path == "/v2/call_control_applications/"+app {
			if err := e.sim.DeleteConnection(tt.SandboxAPIKey, app); err != nil {
				t.Error(err)
			}
		}
		return false // the simulator answers, without the application
	})
	_, err = e.a.EnsureVoiceRoute(context.Background(), creds, e.lookup(t, tt.SandboxNumberLondon), defaultRoute)
	if pe := wantKind(t, err, providers.KindTransient); pe.Status != http.StatusNotFound || !strings.Contains(pe.Message, app) {
		t.Errorf("error status %d, message %q; want 404 and a message naming application %s", pe.Status, pe.Message, app)
	}
	if n, _ := e.sim.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon); n.ConnectionID != "" {
		t.Errorf("the number moved to %s", n.ConnectionID)
	}
	e.interceptWith(nil)
	ch := e.ensure(t, tt.SandboxNumberLondon, defaultRoute)
	if ch.After.ApplicationID == app || e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon) != defaultRoute.VoiceURL {
		t.Errorf("retry: number on %s, calls to %q; want a new application on %s",
			ch.After.ApplicationID, e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon), defaultRoute.VoiceURL)
	}
}

// TestCreateWithoutAnswer: a create that never got an answer, and whose
// application is not listed afterwards, is transient; the retry creates
// exactly one.
func TestCreateWithoutAnswer(t *testing.T) {
	e := newEnv(t, "")
	num := e.lookup(t, tt.SandboxNumberLondon)
	e.rec.fail = func(r *http.Request) error {
		if r.Method == http.MethodPost {
			return errors.New("connection reset by peer")
		}
		return nil
	}
	_, err := e.a.EnsureVoiceRoute(context.Background(), creds, num, defaultRoute)
	pe := wantKind(t, err, providers.KindTransient)
	if !strings.Contains(pe.Message, "not listed") {
		t.Errorf("message %q", pe.Message)
	}
	if got := e.sim.Calls()[tt.EndpointListApplications]; got != 2 {
		t.Errorf("%d lists, want 2 (before the create, and to resolve it)", got)
	}
	e.rec.fail = nil
	e.ensure(t, tt.SandboxNumberLondon, defaultRoute)
	if n := e.sim.Applications(tt.SandboxAPIKey, defaultRoute.Name); n != 1 {
		t.Errorf("%d applications", n)
	}
}

func TestInvalidKeyNeverSent(t *testing.T) {
	e := newEnv(t, "")
	for _, key := range []string{"", "KEY WITH SPACE", "KEY\n"} {
		err := e.a.ValidateCredentials(context.Background(), providers.Credentials{Secret: key})
		wantKind(t, err, providers.KindInvalidCredentials)
	}
	if n := len(e.rec.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestBadRoute(t *testing.T) {
	e := newEnv(t, "")
	num := e.lookup(t, tt.SandboxNumberLondon)
	for _, r := range []providers.Route{
		{Name: "acme-default", VoiceURL: "https://example.com"},
		{Name: defaultRoute.Name},
	} {
		_, err := e.a.EnsureVoiceRoute(context.Background(), creds, num, r)
		wantKind(t, err, providers.KindBadRequest)
	}
	_, err := e.a.EnsureVoiceRoute(context.Background(), creds, providers.Number{E164: tt.SandboxNumberLondon}, defaultRoute)
	wantKind(t, err, providers.KindBadRequest)
}

func TestNew(t *testing.T) {
	for _, bad := range []string{"api.telnyx.com", "://x", "http://"} {
		if _, err := telnyx.New(telnyx.Options{BaseURL: bad}); err == nil {
			t.Errorf("New accepted base URL %q", bad)
		}
	}
	a, err := telnyx.New(telnyx.Options{})
	if err != nil || a.Name() != "telnyx" {
		t.Errorf("zero options: %v, %v", a, err)
	}
}

// TestApplicationFoundOnItsPage: Telnyx's name filter matches substrings,
// so the route's application can be on any page of up to 250; the adapter
// pages until the last (here page 10 of 10, the most it reads) and reuses
// it rather than creating a second. Each page is one list call.
func TestApplicationFoundOnItsPage(t *testing.T) {
	e := newEnv(t, "")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const others = 9*250 + 40 // the route's application is the 2,291st, oldest first: page 10
	for i := range others {
		if _, err := e.sim.AddConnection(tt.SandboxAPIKey, tt.Connection{Name: fmt.Sprintf("%s-copy-%d", defaultRoute.Name, i),
			Active: true, WebhookEventURL: defaultRoute.VoiceURL, CreatedAt: t0.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	id, err := e.sim.AddConnection(tt.SandboxAPIKey, tt.Connection{Name: defaultRoute.Name, Active: true,
		WebhookEventURL: defaultRoute.VoiceURL, CreatedAt: t0.Add(others * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	e.sim.ResetCalls()
	ch := e.ensure(t, tt.SandboxNumberLondon, defaultRoute)
	if ch.After.ApplicationID != id {
		t.Errorf("the number went to application %s, want the route's %s on page 10", ch.After.ApplicationID, id)
	}
	if n := e.sim.Applications(tt.SandboxAPIKey, defaultRoute.Name); n != 1 {
		t.Errorf("%d applications named %s, want the one", n, defaultRoute.Name)
	}
	if n := e.sim.Calls()[tt.EndpointListApplications]; n != 10 {
		t.Errorf("%d list calls, want 10 (a page each)", n)
	}
}
