package plivo_test

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo"
	pt "github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

const sub = pt.SandboxSubaccountAuthID

// TestSubaccountNumber: a subaccount's number, reached with the main
// account's credentials, is routed through an application of the
// subaccount (the only kind Plivo attaches to it), and unlinking puts it
// back.
func TestSubaccountNumber(t *testing.T) {
	e := newEnv(t, nil)
	// Someone attached the number to an IVR in the subaccount's console.
	ivr, err := e.sim.AddApplication(sub, pt.Application{AppName: "IVR v2.1", AnswerURL: "https://ivr.example.com/answer"})
	must(t, err)
	must(t, e.sim.UpdateNumber(sub, pt.SandboxSubaccountNumber, func(n *pt.Number) { n.AppID = ivr }))

	n := e.lookup(t, pt.SandboxSubaccountNumber)
	if n.Account != sub || n.Voice.ApplicationID != ivr || n.ID != "918000000010" {
		t.Fatalf("Lookup = %+v, want account %s on application %s", n, sub, ivr)
	}
	if m := e.lookup(t, pt.SandboxNumber1); m.Account != "" {
		t.Errorf("main account's number: account %q", m.Account)
	}

	ch := e.ensure(t, pt.SandboxSubaccountNumber, route)
	if !ch.Changed || ch.Before.ApplicationID != ivr {
		t.Errorf("change %+v", ch)
	}
	app, ok := e.sim.Application(sub, ch.After.ApplicationID)
	if !ok || app.AppName != route.Name || app.AnswerURL != route.VoiceURL {
		t.Fatalf("application %s in the subaccount: %+v %v", ch.After.ApplicationID, app, ok)
	}
	if e.sim.Applications(pt.SandboxAuthID, route.Name) != 0 {
		t.Error("an application was created in the main account")
	}
	if got := e.sim.VoiceURL(sub, pt.SandboxSubaccountNumber); got != route.VoiceURL {
		t.Errorf("routes to %q", got)
	}
	// Again: nothing to do, the subaccount's application is found.
	if again := e.ensure(t, pt.SandboxSubaccountNumber, providers.Route{Name: route.Name, VoiceURL: route.VoiceURL, HangupURL: route.HangupURL}); again.Changed {
		t.Errorf("re-run changed something: %+v", again)
	}

	// Unlink: back to the application it had.
	back := providers.Route{Name: "IVR", VoiceURL: "https://ivr.example.com/answer", ApplicationID: ivr}
	if _, err := e.a.ResetVoiceRoute(ctx(t), sandboxCreds, e.lookup(t, pt.SandboxSubaccountNumber), back); err != nil {
		t.Fatal(err)
	}
	if got := e.sim.VoiceURL(sub, pt.SandboxSubaccountNumber); got != "https://ivr.example.com/answer" {
		t.Errorf("restored number routes to %q", got)
	}
}

// TestSubaccountNumberWithMainAccountHint: the worker remembers one
// application per route and connection; for a subaccount's number the
// main account's application is no hint (Plivo answers 404), and the
// adapter finds or creates the subaccount's instead.
func TestSubaccountNumberWithMainAccountHint(t *testing.T) {
	e := newEnv(t, nil)
	first := e.ensure(t, pt.SandboxNumber1, route)
	hinted := route
	hinted.ApplicationID = first.After.ApplicationID
	ch := e.ensure(t, pt.SandboxSubaccountNumber, hinted)
	if ch.After.ApplicationID == first.After.ApplicationID {
		t.Fatalf("the subaccount's number took the main account's application: %+v", ch)
	}
	if _, ok := e.sim.Application(sub, ch.After.ApplicationID); !ok {
		t.Errorf("application %s is not the subaccount's", ch.After.ApplicationID)
	}
	if got := e.sim.VoiceURL(pt.SandboxAuthID, pt.SandboxSubaccountNumber); got != route.VoiceURL {
		t.Errorf("routes to %q", got)
	}
	// And the other way round: the main account's number keeps its own.
	hinted.ApplicationID = ch.After.ApplicationID
	if back := e.ensure(t, pt.SandboxNumber2, hinted); back.After.ApplicationID != first.After.ApplicationID {
		t.Errorf("main number on %s, want %s", back.After.ApplicationID, first.After.ApplicationID)
	}
}

// TestMainListWithSubaccountApplications: should Plivo list the
// subaccounts' applications with the main account's, the adapter still
// never attaches a main account's number to one (nor the other way
// round).
func TestMainListWithSubaccountApplications(t *testing.T) {
	e := newEnvWith(t, plivo.Options{Timeout: 5 * time.Second}, pt.WithSubaccountApplicationsListed())
	subApp, err := e.sim.AddApplication(sub, pt.Application{AppName: route.Name, AnswerURL: route.VoiceURL, HangupURL: route.HangupURL})
	must(t, err)
	ch := e.ensure(t, pt.SandboxNumber1, route)
	if ch.After.ApplicationID == subApp {
		t.Fatal("the main account's number took the subaccount's application")
	}
	if got := e.sim.VoiceURL(pt.SandboxAuthID, pt.SandboxNumber1); got != route.VoiceURL {
		t.Errorf("routes to %q", got)
	}
	if again := e.ensure(t, pt.SandboxSubaccountNumber, route); again.After.ApplicationID != subApp {
		t.Errorf("subaccount number on %s, want %s", again.After.ApplicationID, subApp)
	}
}

// TestSubaccountOwnCredentials: with the subaccount's own credentials its
// numbers are its own: nothing names a subaccount.
func TestSubaccountOwnCredentials(t *testing.T) {
	e := newEnv(t, nil)
	creds := providers.Credentials{AccountID: sub, Secret: pt.SandboxSubaccountAuthToken}
	n, err := e.a.Lookup(ctx(t), creds, pt.SandboxSubaccountNumber)
	must(t, err)
	if n.Account != "" {
		t.Errorf("own number: account %q", n.Account)
	}
	if _, err := e.a.EnsureVoiceRoute(ctx(t), creds, n, route); err != nil {
		t.Fatal(err)
	}
	if got := e.sim.VoiceURL(sub, pt.SandboxSubaccountNumber); got != route.VoiceURL {
		t.Errorf("routes to %q", got)
	}
	_, err = e.a.Lookup(ctx(t), creds, pt.SandboxNumber1)
	wantKind(t, err, providers.KindNotOwned)
}

// TestBadNumberAccount: an Account that is no subaccount auth ID is
// refused before any call: the same check as Lookup's (a bare "SA" names
// no subaccount either).
func TestBadNumberAccount(t *testing.T) {
	e := newEnv(t, nil)
	n := e.lookup(t, pt.SandboxNumber1)
	for _, acct := range []string{pt.SandboxAuthID, "MA00000000000000OTHR", "SA/../x", "SA"} {
		n.Account = acct
		e.sim.ResetCalls()
		_, err := e.a.EnsureVoiceRoute(ctx(t), sandboxCreds, n, route)
		wantKind(t, err, providers.KindBadRequest)
		if len(e.sim.Calls()) != 0 {
			t.Errorf("%q: calls %v", acct, e.sim.Calls())
		}
	}
}

// TestConsoleNamedApplications: an account may hold applications named in
// the console with what the API refuses (spaces, dots), some close to the
// route's name; the adapter lists past them and never takes one.
func TestConsoleNamedApplications(t *testing.T) {
	e := newEnvWith(t, plivo.Options{Timeout: 5 * time.Second}, pt.WithAppNameContains())
	var console []string
	for _, name := range []string{route.Name + ".old", route.Name + " (copy)", "Demo Speak", "0.8522478089992022"} {
		id, err := e.sim.AddApplication(pt.SandboxAuthID, pt.Application{AppName: name, AnswerURL: route.VoiceURL, HangupURL: route.HangupURL})
		must(t, err)
		console = append(console, id)
	}
	ch := e.ensure(t, pt.SandboxNumber1, route)
	for _, id := range console {
		if ch.After.ApplicationID == id {
			t.Fatalf("took the console's application %s", id)
		}
	}
	if app, _ := e.sim.Application(pt.SandboxAuthID, ch.After.ApplicationID); app.AppName != route.Name {
		t.Errorf("attached to %q", app.AppName)
	}
	// And found again by its exact name.
	if again := e.ensure(t, pt.SandboxNumber2, route); again.After.ApplicationID != ch.After.ApplicationID {
		t.Errorf("second number on %s, want %s", again.After.ApplicationID, ch.After.ApplicationID)
	}
}
