package telnyx_test

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/providers"
	tt "github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
)

// texmlRoute is a route as the worker builds it: TeXML by default.
var texmlRoute = providers.Route{
	Name:           providers.RouteName(1, "default"),
	VoiceURL:       "https://platform.example.com/hooks/voice/inbound",
	StatusCallback: "https://platform.example.com/hooks/voice/status",
	HangupURL:      "https://platform.example.com/hooks/voice/hangup",
}

// TestTexmlByDefault: a route that answers with XML instructions (every
// route switchboard builds) needs a TeXML application, which fetches them
// from voice_url, not a Call Control application, which posts JSON events
// and ignores the reply. The number ends on a TeXML application with the
// route's voice URL, POST, and its status callback; no Call Control
// application is created.
func TestTexmlByDefault(t *testing.T) {
	e := newEnv(t, "")
	ch := e.ensure(t, tt.SandboxNumberLondon, texmlRoute)
	n, _ := e.sim.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon)
	app, ok := e.sim.Connection(tt.SandboxAPIKey, n.ConnectionID)
	if !ok || app.Type != tt.TexmlApplication {
		t.Fatalf("number on connection %s of type %q, want a TeXML application", n.ConnectionID, app.Type)
	}
	want := [6]string{texmlRoute.Name, texmlRoute.VoiceURL, "post", texmlRoute.StatusCallback, "post", ""}
	got := [6]string{app.Name, app.VoiceURL, app.VoiceMethod, app.StatusCallback, app.StatusCallbackMethod, app.WebhookEventURL}
	if diff := cmp.Diff(want, got); diff != "" || !app.Active {
		t.Errorf("application [name, voice url, method, status callback, method, webhook] (-want +got):\n%s (active %v)", diff, app.Active)
	}
	if calls := e.sim.Calls(); calls[tt.EndpointCreateApplication] != 0 || calls[tt.EndpointCreateTexml] != 1 {
		t.Errorf("calls %v, want one TeXML create and no Call Control create", calls)
	}
	wantAfter := providers.VoiceConfig{VoiceURL: texmlRoute.VoiceURL, VoiceMethod: "POST", StatusCallback: texmlRoute.StatusCallback,
		ApplicationID: app.ID, ApplicationName: texmlRoute.Name}
	if diff := cmp.Diff(wantAfter, ch.After); diff != "" {
		t.Errorf("Change.After (-want +got):\n%s", diff)
	}
	if got := e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon); got != texmlRoute.VoiceURL {
		t.Errorf("calls go to %q", got)
	}

	// A second number reuses it, with no application write.
	e.sim.ResetCalls()
	e.ensure(t, tt.SandboxNumberSydney, texmlRoute)
	if w := e.sim.Writes(); w != 1 {
		t.Errorf("second number: %d writes, want 1 (the number)", w)
	}
}

// TestTexmlHangupURLWhenNoStatusCallback: a route without a status
// callback still gets the call's end reported, at its hangup URL: TeXML
// has one status callback where Plivo has a hangup URL.
func TestTexmlHangupURLWhenNoStatusCallback(t *testing.T) {
	e := newEnv(t, "")
	r := texmlRoute
	r.StatusCallback = ""
	e.ensure(t, tt.SandboxNumberLondon, r)
	n, _ := e.sim.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon)
	if app, _ := e.sim.Connection(tt.SandboxAPIKey, n.ConnectionID); app.StatusCallback != r.HangupURL {
		t.Errorf("status callback %q, want the hangup URL %q", app.StatusCallback, r.HangupURL)
	}
}

// TestTexmlDriftIsRepaired: an application whose status callback or voice
// method was changed in the portal is put back with one PATCH that sends
// the spec's required fields.
func TestTexmlDriftIsRepaired(t *testing.T) {
	drifts := map[string]func(*tt.Connection){
		"status callback": func(c *tt.Connection) { c.StatusCallback = "https://old.example.com/status" },
		"voice method":    func(c *tt.Connection) { c.VoiceMethod = "get" },
		"voice url":       func(c *tt.Connection) { c.VoiceURL = "https://old.example.com/voice" },
	}
	for name, drift := range drifts {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, "")
			ch := e.ensure(t, tt.SandboxNumberLondon, texmlRoute)
			if err := e.sim.UpdateConnection(tt.SandboxAPIKey, ch.After.ApplicationID, drift); err != nil {
				t.Fatal(err)
			}
			seen := len(e.rec.requests())
			if again := e.ensure(t, tt.SandboxNumberLondon, texmlRoute); !again.Changed {
				t.Error("drift repair: Changed = false")
			}
			var patch map[string]any
			for _, r := range e.rec.requests()[seen:] {
				if r.Method != "PATCH" || r.GetBody == nil {
					continue
				}
				body, err := r.GetBody()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(body)
				if err := json.Unmarshal(b, &patch); err != nil {
					t.Fatal(err)
				}
			}
			want := map[string]any{"friendly_name": texmlRoute.Name, "voice_url": texmlRoute.VoiceURL, "voice_method": "post",
				"status_callback": texmlRoute.StatusCallback, "status_callback_method": "post", "active": true}
			if diff := cmp.Diff(want, patch); diff != "" {
				t.Errorf("PATCH body (-want +got):\n%s", diff)
			}
			app, _ := e.sim.Connection(tt.SandboxAPIKey, ch.After.ApplicationID)
			if app.StatusCallback != texmlRoute.StatusCallback || app.VoiceMethod != "post" || app.VoiceURL != texmlRoute.VoiceURL {
				t.Errorf("application after repair: %+v", app)
			}
		})
	}
}

// TestCallControlOnRequest: a route that asks for Call Control gets a Call
// Control application and no TeXML one.
func TestCallControlOnRequest(t *testing.T) {
	e := newEnv(t, "")
	r := texmlRoute
	r.CallControl = true
	e.ensure(t, tt.SandboxNumberLondon, r)
	calls := e.sim.Calls()
	if calls[tt.EndpointCreateApplication] != 1 || calls[tt.EndpointCreateTexml] != 0 {
		t.Errorf("calls %v, want one Call Control create", calls)
	}
	if _, err := e.a.EnsureVoiceRoute(context.Background(), creds, e.lookup(t, tt.SandboxNumberLondon), e.withOurs(texmlRoute)); err != nil {
		t.Fatalf("moving to TeXML: %v", err)
	}
	if n, _ := e.sim.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon); n.ConnectionID == "" {
		t.Error("number on no connection")
	} else if app, _ := e.sim.Connection(tt.SandboxAPIKey, n.ConnectionID); app.Type != tt.TexmlApplication {
		t.Errorf("number on a %s after the TeXML route", app.Type)
	}
}
