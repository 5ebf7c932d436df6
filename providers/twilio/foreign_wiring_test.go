package twilio_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/providers"
	tt "github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestConfiguredElsewhereIsRefused: besides a trunk, a voice application,
// a voice fallback URL and the fax receive mode are configuration
// switchboard never sets, each of which keeps calls (or failed calls) from
// its voice URL. Each is refused with a conflict naming it, unless
// override; with override it is cleared, and Change.Before records it so
// unlink can restore it.
func TestConfiguredElsewhereIsRefused(t *testing.T) {
	const fallback = "https://old.example.com/fallback"
	tests := []struct {
		name   string
		change func(*tt.Number)
		msg    string                // in the conflict's message
		before providers.VoiceConfig // Change.Before with override
		check  func(tt.Number) bool  // the number at Twilio after override
	}{
		{"application", func(n *tt.Number) { n.VoiceApplicationSID = appSID }, "voice application " + appSID,
			providers.VoiceConfig{VoiceMethod: "POST", ApplicationID: appSID},
			func(n tt.Number) bool { return n.VoiceApplicationSID == "" }},
		{"fallback", func(n *tt.Number) { n.VoiceFallbackURL = fallback }, "voice fallback URL " + fallback,
			providers.VoiceConfig{VoiceMethod: "POST", FallbackURL: fallback},
			func(n tt.Number) bool { return n.VoiceFallbackURL == "" }},
		{"fax", func(n *tt.Number) { n.VoiceReceiveMode = "fax" }, "receive mode fax",
			providers.VoiceConfig{VoiceMethod: "POST", ReceiveMode: "fax"},
			func(n tt.Number) bool { return n.VoiceReceiveMode == "voice" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim, a := newEnv(t)
			if err := sim.UpdateNumber(tt.SandboxAccountSID, tt.SandboxNumberDC, tc.change); err != nil {
				t.Fatal(err)
			}
			num := lookup(t, a, creds, tt.SandboxNumberDC)
			if num.Voice != tc.before {
				t.Errorf("Lookup voice %+v, want %+v", num.Voice, tc.before)
			}
			sim.ResetCalls()
			_, err := a.EnsureVoiceRoute(context.Background(), creds, num, route)
			var pe *providers.Error
			if !errors.As(err, &pe) || pe.Kind != providers.KindConflict || !strings.Contains(pe.Message, tc.msg) {
				t.Fatalf("without override: %v, want a conflict naming %q", err, tc.msg)
			}
			if sim.Writes() != 0 {
				t.Errorf("the refusal made %d writes", sim.Writes())
			}
			if _, err := a.ResetVoiceRoute(context.Background(), creds, num, route); err == nil {
				t.Error("reset without override took the number over")
			}

			r := route
			r.Override = true
			ch, err := a.EnsureVoiceRoute(context.Background(), creds, num, r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.before, ch.Before); diff != "" {
				t.Errorf("Change.Before (-want +got):\n%s", diff)
			}
			want := providers.VoiceConfig{VoiceURL: route.VoiceURL, VoiceMethod: "POST", StatusCallback: route.StatusCallback}
			if ch.After != want {
				t.Errorf("Change.After %+v, want %+v", ch.After, want)
			}
			if n, _ := sim.Number(tt.SandboxAccountSID, tt.SandboxNumberDC); !tc.check(n) || n.VoiceURL != route.VoiceURL {
				t.Errorf("number at Twilio after override: %+v", n)
			}
		})
	}
}
