package telnyx_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/providers"
	tt "github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
)

// TestSimilarNameIsNotAdopted: Telnyx's name filter matches substrings, so
// the listing also returns applications whose names contain the route's.
// Even the oldest of them, already on the right webhook, is not adopted:
// the application of the exact name is created and the number put on it.
func TestSimilarNameIsNotAdopted(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, "")
	for i, name := range []string{defaultRoute.Name + "-old", "x" + defaultRoute.Name, strings.ToUpper(defaultRoute.Name)} {
		if _, err := e.sim.AddConnection(tt.SandboxAPIKey, tt.Connection{Name: name, Active: true,
			WebhookEventURL: defaultRoute.VoiceURL, CreatedAt: t0.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	e.sim.ResetCalls()
	ch := e.ensure(t, tt.SandboxNumberLondon, defaultRoute)
	app, ok := e.sim.Connection(tt.SandboxAPIKey, ch.After.ApplicationID)
	if !ok || app.Name != defaultRoute.Name {
		t.Errorf("number put on %s named %q, want one named %q", ch.After.ApplicationID, app.Name, defaultRoute.Name)
	}
	if n := e.sim.Calls()[tt.EndpointCreateApplication]; n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
	n, _ := e.sim.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon)
	if n.ConnectionID != ch.After.ApplicationID {
		t.Errorf("number on %s, change says %s", n.ConnectionID, ch.After.ApplicationID)
	}
}

// TestBeforeOnEveryPath: Change.Before is the number's configuration as
// Lookup read it, on each way EnsureVoiceRoute can end well, so unlink can
// put the previous connection back.
func TestBeforeOnEveryPath(t *testing.T) {
	e := newEnv(t, "")
	first := e.ensure(t, tt.SandboxNumberLondon, defaultRoute) // by name, attach
	if first.Before != (providers.VoiceConfig{}) {
		t.Errorf("fresh number: Before %+v", first.Before)
	}
	onDefault := providers.VoiceConfig{ApplicationID: first.After.ApplicationID, ApplicationName: defaultRoute.Name}

	// By name, already attached: no attach.
	if ch := e.ensure(t, tt.SandboxNumberLondon, defaultRoute); ch.Before != onDefault || ch.Changed {
		t.Errorf("by name, already attached: %+v", ch)
	}
	// Hinted, already attached: no call at all.
	hinted := defaultRoute
	hinted.ApplicationID = first.After.ApplicationID
	if ch := e.ensure(t, tt.SandboxNumberLondon, hinted); ch.Before != onDefault || ch.Changed {
		t.Errorf("hinted, already attached: %+v", ch)
	}
	// Hinted, another number: one attach.
	if ch := e.ensure(t, tt.SandboxNumberSydney, hinted); ch.Before != (providers.VoiceConfig{}) || !ch.Changed {
		t.Errorf("hinted attach: %+v", ch)
	}
	// Moves from one managed application to another, by name and hinted.
	target := route("agent-7f3a", "https://agents.example.com/answer/7f3a")
	moved := e.ensure(t, tt.SandboxNumberLondon, target) // by name, attach
	if moved.Before != onDefault || !moved.Changed {
		t.Errorf("move by name: %+v", moved)
	}
	target.ApplicationID = moved.After.ApplicationID
	back := e.ensure(t, tt.SandboxNumberLondon, hinted)
	want := providers.Change{
		Before:  providers.VoiceConfig{ApplicationID: moved.After.ApplicationID, ApplicationName: target.Name},
		After:   providers.VoiceConfig{ApplicationID: first.After.ApplicationID, ApplicationName: defaultRoute.Name, VoiceURL: defaultRoute.VoiceURL},
		Changed: true,
	}
	if diff := cmp.Diff(want, back); diff != "" {
		t.Errorf("hinted move (-want +got):\n%s", diff)
	}
}

// TestAttachAnswerIsChecked: a PATCH answered 200 with another connection
// than the one sent did not move the number; reporting success would
// leave calls going to the old connection. Both the by-name and the
// hinted attach say so, and the retry moves it.
func TestAttachAnswerIsChecked(t *testing.T) {
	e := newEnv(t, "")
	first := e.ensure(t, tt.SandboxNumberSydney, defaultRoute)
	hinted := defaultRoute
	hinted.ApplicationID = first.After.ApplicationID
	for name, r := range map[string]providers.Route{"by name": defaultRoute, "hinted": hinted} {
		if err := e.sim.SetFaults(tt.Faults{IgnoredConnectionUpdates: 1}); err != nil {
			t.Fatal(err)
		}
		_, err := e.a.EnsureVoiceRoute(context.Background(), creds, e.lookup(t, tt.SandboxNumberLondon), r)
		if pe := wantKind(t, err, providers.KindTransient); !strings.Contains(pe.Message, first.After.ApplicationID) {
			t.Errorf("%s: message %q does not name the connection sent", name, pe.Message)
		}
		if got := e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon); got != "" {
			t.Errorf("%s: the number routes to %q", name, got)
		}
	}
	if ch := e.ensure(t, tt.SandboxNumberLondon, hinted); !ch.Changed || e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon) != defaultRoute.VoiceURL {
		t.Errorf("retry: %+v", ch)
	}
}

// TestLocalChecksKeepTheBoundaries: API keys of printable ASCII without
// spaces ('!' to '~') and E.164 numbers of 3 to 15 digits are sent;
// anything else is refused before a request.
func TestLocalChecksKeepTheBoundaries(t *testing.T) {
	for _, c := range []struct {
		key  string
		sent bool
	}{
		{"!", true}, {"~", true}, {"KEYazAZ09", true}, {"a!~b", true},
		{"", false}, {" ", false}, {"a b", false}, {"a\x1fb", false}, {"a\x7fb", false}, {"a\tb", false}, {"aé", false},
	} {
		t.Run("key "+c.key, func(t *testing.T) {
			e := newEnv(t, "")
			err := e.a.ValidateCredentials(context.Background(), providers.Credentials{Secret: c.key})
			wantKind(t, err, providers.KindInvalidCredentials) // unknown keys are refused by the simulator
			if sent := len(e.rec.requests()) > 0; sent != c.sent {
				t.Errorf("sent = %v, want %v (%v)", sent, c.sent, err)
			}
		})
	}
	for _, c := range []struct {
		e164 string
		sent bool
	}{
		{"+123", true}, {"+190", true}, {"+909", true}, {"+123456789012345", true}, {"+999999999999999", true},
		{"+12", false}, {"+1234567890123456", false}, {"+0123", false}, {"+12a4", false}, {"+12/4", false}, {"+12:4", false}, {"1234", false},
	} {
		t.Run("number "+c.e164, func(t *testing.T) {
			e := newEnv(t, "")
			_, err := e.a.Lookup(context.Background(), creds, c.e164)
			if c.sent {
				wantKind(t, err, providers.KindNotOwned)
			} else {
				wantKind(t, err, providers.KindBadRequest)
			}
			if sent := len(e.rec.requests()) > 0; sent != c.sent {
				t.Errorf("sent = %v, want %v (%v)", sent, c.sent, err)
			}
		})
	}
}
