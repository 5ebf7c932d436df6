package plivo_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/providers/plivo"
	pt "github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

// TestSimilarNameIsNotAdopted: a filter that matches partially returns
// applications whose names merely contain the route's (older, so with
// smaller ids, and already pointing at the right URLs). None is adopted:
// the adapter creates the application of the exact name and attaches the
// number to it.
func TestSimilarNameIsNotAdopted(t *testing.T) {
	e := newEnvWith(t, plivo.Options{Timeout: 5 * time.Second}, pt.WithAppNameContains())
	for _, name := range []string{route.Name + "-old", "x" + route.Name, route.Name + "2"} {
		_, err := e.sim.AddApplication(pt.SandboxAuthID, pt.Application{AppName: name, AnswerURL: route.VoiceURL, HangupURL: route.HangupURL})
		must(t, err)
	}
	e.sim.ResetCalls()
	ch := e.ensure(t, pt.SandboxNumber1, route)
	app, ok := e.sim.Application(pt.SandboxAuthID, ch.After.ApplicationID)
	if !ok || app.AppName != route.Name {
		t.Errorf("attached to %s named %q, want the one named %q", ch.After.ApplicationID, app.AppName, route.Name)
	}
	if n := e.sim.Calls()[pt.EndpointCreateApplication]; n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
	if n := e.sim.Applications(pt.SandboxAuthID, route.Name); n != 1 {
		t.Errorf("%d applications named %s", n, route.Name)
	}
	// And the next number finds that one by name, among the similar ones.
	e.sim.ResetCalls()
	if again := e.ensure(t, pt.SandboxNumber2, route); again.After.ApplicationID != ch.After.ApplicationID {
		t.Errorf("second number on %s, want %s", again.After.ApplicationID, ch.After.ApplicationID)
	}
	if n := e.sim.Calls()[pt.EndpointCreateApplication]; n != 0 {
		t.Errorf("%d creates for the second number", n)
	}
}

// TestEachDriftIsRepaired: any one of the four fields switchboard sets on
// its application drifting (in the console, say) is repaired, the others
// being right.
func TestEachDriftIsRepaired(t *testing.T) {
	for name, drift := range map[string]func(*pt.Application){
		"answer url":    func(a *pt.Application) { a.AnswerURL = "https://drift.example.com/answer" },
		"answer method": func(a *pt.Application) { a.AnswerMethod = "GET" },
		"hangup url":    func(a *pt.Application) { a.HangupURL = "https://drift.example.com/hangup" },
		"hangup method": func(a *pt.Application) { a.HangupMethod = "GET" },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			first := e.ensure(t, pt.SandboxNumber1, route)
			id := first.After.ApplicationID
			must(t, e.sim.UpdateApplication(pt.SandboxAuthID, id, drift))
			e.sim.ResetCalls()
			ch := e.ensure(t, pt.SandboxNumber1, route)
			if n := e.sim.Calls()[pt.EndpointUpdateApplication]; n != 1 || !ch.Changed {
				t.Errorf("%d application updates, changed %v; want 1, true", n, ch.Changed)
			}
			app, _ := e.sim.Application(pt.SandboxAuthID, id)
			got := [4]string{app.AnswerURL, app.AnswerMethod, app.HangupURL, app.HangupMethod}
			if diff := cmp.Diff([4]string{route.VoiceURL, "POST", route.HangupURL, "POST"}, got); diff != "" {
				t.Errorf("application [answer url, method, hangup url, method] (-want +got):\n%s", diff)
			}
		})
	}
}
