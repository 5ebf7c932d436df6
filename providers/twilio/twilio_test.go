package twilio_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/twilio"
	tt "github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

var (
	creds = providers.Credentials{AccountID: tt.SandboxAccountSID, Secret: tt.SandboxAuthToken}
	route = providers.Route{
		Name:           providers.RouteName(1, "default"),
		VoiceURL:       "https://platform.example.com/hooks/voice/inbound",
		StatusCallback: "https://platform.example.com/hooks/voice/status",
	}
)

const (
	appSID      = "AP00000000000000000000000000000abc"
	oldVoiceURL = "https://old.example.com/voice"
	oldStatus   = "https://old.example.com/status"
)

// newEnv serves a sandbox simulator and points an adapter at it.
func newEnv(t *testing.T) (*tt.Server, *twilio.Adapter) {
	t.Helper()
	sim := tt.NewSandbox()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	a, err := twilio.New(twilio.Options{BaseURL: srv.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return sim, a
}

func lookup(t *testing.T, a *twilio.Adapter, c providers.Credentials, e164 string) providers.Number {
	t.Helper()
	n, err := a.Lookup(context.Background(), c, e164)
	if err != nil {
		t.Fatalf("Lookup(%s): %v", e164, err)
	}
	return n
}

// TestApplicationIsCleared: Twilio ignores voice_url while
// voice_application_sid is set, so routing a number on a TwiML application
// must detach it, or calls keep going to the application while switchboard
// reports success. Switchboard never sets an application, so it is someone
// else's: refused without override (see foreign_wiring_test.go), detached
// with it, and kept in Change.Before with the rest of the old
// configuration, methods included, so unlink can restore it.
func TestApplicationIsCleared(t *testing.T) {
	sim, a := newEnv(t)
	if err := sim.UpdateNumber(tt.SandboxAccountSID, tt.SandboxNumberDC, func(n *tt.Number) {
		n.VoiceApplicationSID = appSID
		n.VoiceURL, n.VoiceMethod = oldVoiceURL, "GET"
		n.StatusCallback, n.StatusCallbackMethod = oldStatus, "GET"
	}); err != nil {
		t.Fatal(err)
	}
	num := lookup(t, a, creds, tt.SandboxNumberDC)
	route := route
	route.Override = true
	ch, err := a.EnsureVoiceRoute(context.Background(), creds, num, route)
	if err != nil {
		t.Fatal(err)
	}
	want := providers.Change{
		Before:  providers.VoiceConfig{VoiceURL: oldVoiceURL, VoiceMethod: "GET", StatusCallback: oldStatus, ApplicationID: appSID},
		After:   providers.VoiceConfig{VoiceURL: route.VoiceURL, VoiceMethod: "POST", StatusCallback: route.StatusCallback},
		Changed: true,
	}
	if diff := cmp.Diff(want, ch); diff != "" {
		t.Errorf("change (-want +got):\n%s", diff)
	}
	n, _ := sim.Number(tt.SandboxAccountSID, tt.SandboxNumberDC)
	got := [5]string{n.VoiceApplicationSID, n.VoiceURL, n.VoiceMethod, n.StatusCallback, n.StatusCallbackMethod}
	if diff := cmp.Diff([5]string{"", route.VoiceURL, "POST", route.StatusCallback, "POST"}, got); diff != "" {
		t.Errorf("number at Twilio [app, voice url, method, status callback, method] (-want +got):\n%s", diff)
	}

	// Restoring what Before recorded is possible: the rerun from the
	// restored state sees the application again and clears it again.
	if err := sim.UpdateNumber(tt.SandboxAccountSID, tt.SandboxNumberDC, func(n *tt.Number) {
		n.VoiceApplicationSID = ch.Before.ApplicationID
	}); err != nil {
		t.Fatal(err)
	}
	again, err := a.EnsureVoiceRoute(context.Background(), creds, lookup(t, a, creds, tt.SandboxNumberDC), route)
	if err != nil || !again.Changed || again.Before.ApplicationID != appSID {
		t.Errorf("re-attached application: %+v, %v", again, err)
	}
	if n, _ := sim.Number(tt.SandboxAccountSID, tt.SandboxNumberDC); n.VoiceApplicationSID != "" {
		t.Errorf("application %s still set", n.VoiceApplicationSID)
	}
}

// TestMethodsArePOST: a number whose URLs are already right but whose
// methods are GET gets POST for both; switchboard's webhooks take POST.
func TestMethodsArePOST(t *testing.T) {
	sim, a := newEnv(t)
	if err := sim.UpdateNumber(tt.SandboxAccountSID, tt.SandboxNumberSF, func(n *tt.Number) {
		n.VoiceURL, n.VoiceMethod = route.VoiceURL, "GET"
		n.StatusCallback, n.StatusCallbackMethod = oldStatus, "GET"
	}); err != nil {
		t.Fatal(err)
	}
	ch, err := a.EnsureVoiceRoute(context.Background(), creds, lookup(t, a, creds, tt.SandboxNumberSF), route)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := sim.Number(tt.SandboxAccountSID, tt.SandboxNumberSF)
	if n.VoiceMethod != "POST" || n.StatusCallbackMethod != "POST" || n.StatusCallback != route.StatusCallback {
		t.Errorf("number at Twilio: voice method %q, status callback %q with %q; want POST, %q with POST",
			n.VoiceMethod, n.StatusCallback, n.StatusCallbackMethod, route.StatusCallback)
	}
	wantBefore := providers.VoiceConfig{VoiceURL: route.VoiceURL, VoiceMethod: "GET", StatusCallback: oldStatus}
	if diff := cmp.Diff(wantBefore, ch.Before); diff != "" || !ch.Changed {
		t.Errorf("Before (-want +got):\n%s\nchanged %v", diff, ch.Changed)
	}

	// Already right: no write, and Before still says what the number had.
	sim.ResetCalls()
	same, err := a.EnsureVoiceRoute(context.Background(), creds, lookup(t, a, creds, tt.SandboxNumberSF), route)
	if err != nil {
		t.Fatal(err)
	}
	wantSame := providers.VoiceConfig{VoiceURL: route.VoiceURL, VoiceMethod: "POST", StatusCallback: route.StatusCallback}
	if same.Changed || same.Before != wantSame || same.After != wantSame || sim.Writes() != 0 {
		t.Errorf("rerun: %+v with %d writes", same, sim.Writes())
	}
}

// TestTrunkOverrideKeepsBefore: taking a trunked number over with Override
// detaches the trunk and records it for restoring.
func TestTrunkOverrideKeepsBefore(t *testing.T) {
	sim, a := newEnv(t)
	num := lookup(t, a, creds, tt.SandboxNumberTrunked)
	if _, err := a.EnsureVoiceRoute(context.Background(), creds, num, route); err == nil {
		t.Fatal("a trunked number was taken over without override")
	}
	r := route
	r.Override = true
	ch, err := a.EnsureVoiceRoute(context.Background(), creds, num, r)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Before != (providers.VoiceConfig{VoiceMethod: "POST", TrunkID: tt.SandboxTrunkSID}) {
		t.Errorf("Before = %+v, want the trunk", ch.Before)
	}
	if n, _ := sim.Number(tt.SandboxAccountSID, tt.SandboxNumberTrunked); n.TrunkSID != "" || n.VoiceURL != route.VoiceURL {
		t.Errorf("number at Twilio: trunk %q, voice url %q", n.TrunkSID, n.VoiceURL)
	}
}

// TestCredentialCharacters: the SDK takes alphanumeric SIDs and tokens
// only, so the adapter refuses anything else before a request; every
// alphanumeric character, the class boundaries included, is sent.
func TestCredentialCharacters(t *testing.T) {
	for _, c := range []struct {
		name string
		sid  string
		tok  string
		sent bool
		user string // an API key's SID (providers.Credentials.Username)
	}{
		{"boundaries in sid", "ACazAZ09", "token", true, ""},
		{"boundaries in token", "AC1", "azAZ09", true, ""},
		{"z", "ACz", "z", true, ""},
		{"Z", "ACZ", "Z", true, ""},
		{"0", "AC0", "0", true, ""},
		{"9", "AC9", "9", true, ""},
		{"long", "AC" + strings.Repeat("f", 64), strings.Repeat("9", 64), true, ""},
		{"empty sid", "", "token", false, ""},
		{"empty token", "AC1", "", false, ""},
		{"dash", "AC-1", "token", false, ""},
		{"underscore", "AC1", "tok_en", false, ""},
		{"space", "AC1", "tok en", false, ""},
		{"slash", "AC/..", "token", false, ""},
		{"below 0", "AC/", "token", false, ""},
		{"above 9", "AC:", "token", false, ""},
		{"below A", "AC@", "token", false, ""},
		{"above Z", "AC[", "token", false, ""},
		{"below a", "AC`", "token", false, ""},
		{"above z", "AC{", "token", false, ""},
		{"non-ASCII", "ACé", "token", false, ""},
		{"API key", "AC1", "token", true, "SKazAZ09"},
		{"API key with a dash", "AC1", "token", false, "SK-1"},
		{"API key with a slash", "AC1", "token", false, "SK/.."},
	} {
		t.Run(c.name, func(t *testing.T) {
			sim, a := newEnv(t)
			err := a.ValidateCredentials(context.Background(), providers.Credentials{AccountID: c.sid, Secret: c.tok, Username: c.user})
			k, _ := providers.KindOf(err)
			if k != providers.KindInvalidCredentials {
				t.Errorf("kind %v (%v), want %v", k, err, providers.KindInvalidCredentials)
			}
			if sent := sim.Reads() > 0; sent != c.sent {
				t.Errorf("request sent = %v, want %v (%v)", sent, c.sent, err)
			}
			// Refused by the adapter, not by the SDK (which refuses some
			// of these too, as an "HTTP 400" no server sent).
			if !c.sent && !strings.Contains(err.Error(), "must be alphanumeric") {
				t.Errorf("refused with %q, want the adapter's own message", err)
			}
		})
	}
}
