package plivo_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo"
	pt "github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

// TestCosts pins what provisioning costs at Plivo, call by call.
func TestCosts(t *testing.T) {
	e := newEnv(t, nil)

	// A fresh number, no application yet: lookup, list, create, attach.
	e.sim.ResetCalls()
	first := e.ensure(t, pt.SandboxNumber1, route)
	want := map[string]int{pt.EndpointGetNumber: 1, pt.EndpointListApplications: 1,
		pt.EndpointCreateApplication: 1, pt.EndpointUpdateNumber: 1}
	if diff := cmp.Diff(want, e.sim.Calls()); diff != "" {
		t.Errorf("fresh number calls (-want +got):\n%s", diff)
	}
	if !first.Changed || first.After.ApplicationID == "" {
		t.Fatalf("fresh number: %+v", first)
	}

	// Another number, the application's id known: lookup, attach.
	hinted := route
	hinted.ApplicationID = first.After.ApplicationID
	e.sim.ResetCalls()
	second := e.ensure(t, pt.SandboxNumber2, hinted)
	want = map[string]int{pt.EndpointGetNumber: 1, pt.EndpointUpdateNumber: 1}
	if diff := cmp.Diff(want, e.sim.Calls()); diff != "" {
		t.Errorf("second number calls (-want +got):\n%s", diff)
	}
	if !second.Changed || second.After.ApplicationID != hinted.ApplicationID {
		t.Errorf("second number: %+v", second)
	}

	// The same number again: the lookup only.
	e.sim.ResetCalls()
	again := e.ensure(t, pt.SandboxNumber2, hinted)
	if diff := cmp.Diff(map[string]int{pt.EndpointGetNumber: 1}, e.sim.Calls()); diff != "" {
		t.Errorf("re-run calls (-want +got):\n%s", diff)
	}
	if again.Changed {
		t.Errorf("re-run changed something: %+v", again)
	}
	if r, w := e.sim.Reads(), e.sim.Writes(); r != 1 || w != 0 {
		t.Errorf("re-run: %d reads, %d writes; want 1 and 0", r, w)
	}
	if n := e.sim.Applications(pt.SandboxAuthID, route.Name); n != 1 {
		t.Errorf("%d applications named %s", n, route.Name)
	}
}

func TestChangeRecordsBeforeAndAfter(t *testing.T) {
	e := newEnv(t, nil)
	ch := e.ensure(t, pt.SandboxNumber1, route)
	want := providers.Change{
		Before: providers.VoiceConfig{},
		After: providers.VoiceConfig{ApplicationID: ch.After.ApplicationID, VoiceURL: route.VoiceURL,
			HangupURL: route.HangupURL, VoiceMethod: "POST"},
		Changed: true,
	}
	if diff := cmp.Diff(want, ch); diff != "" {
		t.Errorf("change (-want +got):\n%s", diff)
	}
	app, ok := e.sim.Application(pt.SandboxAuthID, ch.After.ApplicationID)
	if !ok {
		t.Fatal("the application does not exist")
	}
	wantApp := pt.Application{AppID: app.AppID, AppName: route.Name, AnswerURL: route.VoiceURL, AnswerMethod: "POST",
		HangupURL: route.HangupURL, HangupMethod: "POST", FallbackMethod: "POST", MessageMethod: "POST", Enabled: true}
	if diff := cmp.Diff(wantApp, app); diff != "" {
		t.Errorf("application (-want +got):\n%s", diff)
	}
}

// TestForeignApplicationIsReplaced: Plivo has no foreign wiring here; the
// application someone else attached is replaced and reported in Before.
func TestForeignApplicationIsReplaced(t *testing.T) {
	e := newEnv(t, nil)
	foreign, err := e.sim.AddApplication(pt.SandboxAuthID, pt.Application{AppName: "ivr", AnswerURL: "https://ivr.example.com/answer"})
	must(t, err)
	must(t, e.sim.UpdateNumber(pt.SandboxAuthID, pt.SandboxNumber3, func(n *pt.Number) { n.AppID = foreign }))

	n := e.lookup(t, pt.SandboxNumber3)
	if n.Voice.ApplicationID != foreign || n.ID != "918062810341" {
		t.Fatalf("Lookup = %+v, want id 918062810341 on application %s", n, foreign)
	}
	r := route
	r.ApplicationID = "" // no hint: the by-name path
	ch, err := e.a.EnsureVoiceRoute(ctx(t), sandboxCreds, n, r)
	must(t, err)
	if ch.Before.ApplicationID != foreign || ch.After.ApplicationID == foreign || !ch.Changed {
		t.Errorf("change %+v", ch)
	}
	if got := e.sim.VoiceURL(pt.SandboxAuthID, pt.SandboxNumber3); got != route.VoiceURL {
		t.Errorf("routes to %q", got)
	}
	// Restoring: the previous application id is a valid hint.
	back := providers.Route{Name: "ivr", VoiceURL: "https://ivr.example.com/answer", ApplicationID: foreign}
	if _, err := e.a.ResetVoiceRoute(ctx(t), sandboxCreds, e.lookup(t, pt.SandboxNumber3), back); err != nil {
		t.Fatal(err)
	}
	if got := e.sim.VoiceURL(pt.SandboxAuthID, pt.SandboxNumber3); got != "https://ivr.example.com/answer" {
		t.Errorf("restored number routes to %q", got)
	}
}

// TestDuplicateNamesPickTheSmallestID: Plivo does not keep names unique;
// every worker must settle on the same application.
func TestDuplicateNamesPickTheSmallestID(t *testing.T) {
	e := newEnv(t, nil)
	app := pt.Application{AppName: route.Name, AnswerURL: route.VoiceURL, HangupURL: route.HangupURL}
	oldest, err := e.sim.AddApplication(pt.SandboxAuthID, app)
	must(t, err)
	_, err = e.sim.AddApplication(pt.SandboxAuthID, app)
	must(t, err)
	// A longer name sharing the prefix is not a match.
	_, err = e.sim.AddApplication(pt.SandboxAuthID, pt.Application{AppName: route.Name + "-x", AnswerURL: route.VoiceURL})
	must(t, err)

	e.sim.ResetCalls()
	ch := e.ensure(t, pt.SandboxNumber1, route)
	if ch.After.ApplicationID != oldest {
		t.Errorf("attached to %s, want the smallest id %s", ch.After.ApplicationID, oldest)
	}
	if n := e.sim.Calls()[pt.EndpointCreateApplication]; n != 0 {
		t.Errorf("%d creates with the application present", n)
	}
}

func TestApplicationPaging(t *testing.T) {
	attachAmong(t, newEnv(t, nil), 45, 3)
}

// attachAmong adds n applications of the route's name, the first of them
// the smallest id, routes a number and checks it went to that one after
// reading pages list pages.
func attachAmong(t *testing.T, e *env, n, pages int) {
	t.Helper()
	app := pt.Application{AppName: route.Name, AnswerURL: route.VoiceURL, HangupURL: route.HangupURL}
	var smallest string
	for i := range n {
		id, err := e.sim.AddApplication(pt.SandboxAuthID, app)
		must(t, err)
		if i == 0 {
			smallest = id
		}
	}
	e.sim.ResetCalls()
	ch := e.ensure(t, pt.SandboxNumber1, route)
	if ch.After.ApplicationID != smallest {
		t.Errorf("attached to %s, want %s (on the last page)", ch.After.ApplicationID, smallest)
	}
	if got := e.sim.Calls()[pt.EndpointListApplications]; got != pages {
		t.Errorf("%d list pages read for %d applications, want %d", got, n, pages)
	}
}

// TestDriftedApplicationIsUpdated: without a hint the application's URLs
// are compared and fixed; the number, already attached, is left alone.
func TestDriftedApplicationIsUpdated(t *testing.T) {
	e := newEnv(t, nil)
	first := e.ensure(t, pt.SandboxNumber1, route)
	must(t, e.sim.UpdateApplication(pt.SandboxAuthID, first.After.ApplicationID, func(a *pt.Application) {
		a.AnswerURL, a.HangupMethod = "https://drift.example.com/", "GET"
	}))
	e.sim.ResetCalls()
	ch := e.ensure(t, pt.SandboxNumber1, route)
	want := map[string]int{pt.EndpointGetNumber: 1, pt.EndpointListApplications: 1, pt.EndpointUpdateApplication: 1}
	if diff := cmp.Diff(want, e.sim.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if !ch.Changed {
		t.Error("Changed = false after fixing the application")
	}
	app, _ := e.sim.Application(pt.SandboxAuthID, first.After.ApplicationID)
	if app.AnswerURL != route.VoiceURL || app.HangupMethod != "POST" {
		t.Errorf("application after update: %+v", app)
	}
}

// TestDeletedHintFallsBackToName: a hinted application Plivo no longer
// knows is found or created again by name.
func TestDeletedHintFallsBackToName(t *testing.T) {
	e := newEnv(t, nil)
	first := e.ensure(t, pt.SandboxNumber1, route)
	must(t, e.sim.DeleteApplication(pt.SandboxAuthID, first.After.ApplicationID))
	r := route
	r.ApplicationID = first.After.ApplicationID
	e.sim.ResetCalls()
	ch := e.ensure(t, pt.SandboxNumber2, r)
	want := map[string]int{pt.EndpointGetNumber: 1, pt.EndpointUpdateNumber: 2,
		pt.EndpointListApplications: 1, pt.EndpointCreateApplication: 1}
	if diff := cmp.Diff(want, e.sim.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if ch.After.ApplicationID == first.After.ApplicationID || e.sim.VoiceURL(pt.SandboxAuthID, pt.SandboxNumber2) != route.VoiceURL {
		t.Errorf("change %+v", ch)
	}
	if n := e.sim.Applications(pt.SandboxAuthID, route.Name); n != 1 {
		t.Errorf("%d applications", n)
	}
}

func TestLookupRefusals(t *testing.T) {
	e := newEnv(t, nil)
	must(t, e.sim.UpdateNumber(pt.SandboxAuthID, pt.SandboxNumber3, func(n *pt.Number) { n.VoiceEnabled = false }))
	_, err := e.a.Lookup(ctx(t), sandboxCreds, pt.SandboxNumber3)
	wantKind(t, err, providers.KindBadRequest)

	e.sim.ResetCalls()
	for _, bad := range []string{"918000000001", "+91800000000a", "+", "+91/../../Application"} {
		_, err := e.a.Lookup(ctx(t), sandboxCreds, bad)
		wantKind(t, err, providers.KindBadRequest)
	}
	if n := e.sim.Reads(); n != 0 {
		t.Errorf("malformed numbers made %d requests", n)
	}
}

// TestEmptyCredentialsAreRefusedLocally: plivo-go would take
// $PLIVO_AUTH_ID and $PLIVO_AUTH_TOKEN instead of empty credentials.
func TestEmptyCredentialsAreRefusedLocally(t *testing.T) {
	t.Setenv("PLIVO_AUTH_ID", pt.SandboxAuthID)
	t.Setenv("PLIVO_AUTH_TOKEN", pt.SandboxAuthToken)
	e := newEnv(t, nil)
	for _, c := range []providers.Credentials{{}, {AccountID: pt.SandboxAuthID}, {Secret: pt.SandboxAuthToken}, {AccountID: "MA/../x", Secret: "t"}} {
		err := e.a.ValidateCredentials(ctx(t), c)
		wantKind(t, err, providers.KindInvalidCredentials)
	}
	if n := e.sim.Reads(); n != 0 {
		t.Errorf("%d requests made with empty credentials", n)
	}
}

func TestValidateCredentials(t *testing.T) {
	e := newEnv(t, nil)
	must(t, e.a.ValidateCredentials(ctx(t), sandboxCreds))
	if diff := cmp.Diff(map[string]int{pt.EndpointGetAccount: 1}, e.sim.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	// An auth ID that is no account and a wrong token are both refused.
	for _, c := range []providers.Credentials{
		{AccountID: "MA00000000000000NONE", Secret: pt.SandboxAuthToken},
		{AccountID: pt.SandboxAuthID, Secret: "nope"},
	} {
		pe := wantKind(t, e.a.ValidateCredentials(ctx(t), c), providers.KindInvalidCredentials)
		if pe.Status != 401 || pe.Message != "authentication credentials were not provided" {
			t.Errorf("%+v", pe)
		}
	}
}

// TestUnderPrefix runs the whole flow against the simulator mounted as
// the dev sandbox mounts it: under a prefix, behind http.ServeMux (which
// redirects paths with "//", as plivo-go formats the account fetch).
func TestUnderPrefix(t *testing.T) {
	sim := pt.NewSandbox()
	mux := http.NewServeMux()
	mux.Handle("/sandbox/plivo/", http.StripPrefix("/sandbox/plivo", sim))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	a, err := plivo.New(plivo.Options{BaseURL: srv.URL + "/sandbox/plivo", Timeout: 5 * time.Second})
	must(t, err)
	e := &env{sim: sim, a: a}
	must(t, a.ValidateCredentials(ctx(t), sandboxCreds))
	e.ensure(t, pt.SandboxNumber1, route)
	if got := sim.VoiceURL(pt.SandboxAuthID, pt.SandboxNumber1); got != route.VoiceURL {
		t.Errorf("routes to %q", got)
	}
	if n := sim.Calls()[pt.EndpointOther]; n != 0 {
		t.Errorf("%d requests to unknown paths", n)
	}
}

func TestNewRefusesBadBaseURL(t *testing.T) {
	for _, u := range []string{"127.0.0.1:8080", "/sandbox", "://x"} {
		if _, err := plivo.New(plivo.Options{BaseURL: u}); err == nil {
			t.Errorf("New accepted base URL %q", u)
		}
	}
	a, err := plivo.New(plivo.Options{})
	must(t, err)
	if a.Name() != "plivo" {
		t.Errorf("Name() = %q", a.Name())
	}
}

// TestLocalChecksKeepTheBoundaries: what the adapter refuses before a
// request (auth IDs that are not alphanumeric, application names outside
// [A-Za-z0-9_-], numbers that are not 2 to 15 digits) is refused; what is
// valid, the character classes' and lengths' boundaries included, is sent.
func TestLocalChecksKeepTheBoundaries(t *testing.T) {
	ctxb := context.Background()
	sent := func(t *testing.T, e *env, err error, want bool) {
		t.Helper()
		if got := e.sim.Reads()+e.sim.Writes() > 0; got != want {
			t.Errorf("request sent = %v, want %v (%v)", got, want, err)
		}
	}
	for _, c := range []struct {
		id   string
		sent bool
	}{
		{"MAazAZ09", true}, {"z", true}, {"Z", true}, {"0", true}, {"9", true},
		{"", false}, {"MA-1", false}, {"MA_1", false}, {"MA 1", false}, {"MA/", false}, {"MA:", false},
		{"MA@", false}, {"MA[", false}, {"MA`", false}, {"MA{", false}, {"MAé", false},
	} {
		t.Run("auth id "+c.id, func(t *testing.T) {
			e := newEnv(t, nil)
			err := e.a.ValidateCredentials(ctxb, providers.Credentials{AccountID: c.id, Secret: "token"})
			wantKind(t, err, providers.KindInvalidCredentials)
			sent(t, e, err, c.sent)
		})
	}
	for _, c := range []struct {
		name string
		sent bool
	}{
		{"switchboard-org1-azAZ09_-", true}, {"z", true}, {"Z", true}, {"0", true}, {"9", true}, {"_", true}, {"-", true},
		{"", false}, {"a.b", false}, {"a b", false}, {"a/b", false}, {"a:b", false}, {"a@b", false},
		{"a[b", false}, {"a`b", false}, {"a{b", false}, {"aé", false},
	} {
		t.Run("application name "+c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			num := e.lookup(t, pt.SandboxNumber1)
			e.sim.ResetCalls()
			r := route
			r.Name = c.name
			_, err := e.a.EnsureVoiceRoute(ctxb, sandboxCreds, num, r)
			if c.sent && err != nil {
				t.Errorf("EnsureVoiceRoute: %v", err)
			}
			if !c.sent {
				wantKind(t, err, providers.KindBadRequest)
			}
			sent(t, e, err, c.sent)
		})
	}
	for _, c := range []struct {
		e164 string
		sent bool
	}{
		{"+12", true}, {"+190", true}, {"+999999999999999", true}, {"+123456789012345", true},
		{"+1", false}, {"+1234567890123456", false}, {"+0123", false}, {"+12a", false}, {"12", false}, {"+1/", false}, {"+1:", false},
	} {
		t.Run("number "+c.e164, func(t *testing.T) {
			e := newEnv(t, nil)
			_, err := e.a.Lookup(ctxb, sandboxCreds, c.e164)
			if c.sent {
				wantKind(t, err, providers.KindNotOwned)
			} else {
				wantKind(t, err, providers.KindBadRequest)
			}
			sent(t, e, err, c.sent)
		})
	}
}
