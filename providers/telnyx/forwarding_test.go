package telnyx_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/providers"
	tt "github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
)

// TestForwardingAlwaysIsRefused: call forwarding of type "always" diverts
// every call whatever the number's connection says, so routing such a
// number would report success while calls go elsewhere. It is read from
// /v2/phone_numbers/{id}/voice before the number is moved, refused without
// a write unless override, and with override turned off and recorded in
// Change.Before. "on-failure" forwarding only catches unanswered calls and
// is left alone.
func TestForwardingAlwaysIsRefused(t *testing.T) {
	const elsewhere = "+13035559123"
	e := newEnv(t, "")
	forward := func(e164, typ string) {
		t.Helper()
		if err := e.sim.UpdateNumber(tt.SandboxAPIKey, e164, func(n *tt.Number) {
			n.CallForwardingEnabled, n.ForwardingType, n.ForwardsTo = true, typ, elsewhere
		}); err != nil {
			t.Fatal(err)
		}
	}
	forward(tt.SandboxNumberLondon, "always")
	num := e.lookup(t, tt.SandboxNumberLondon)
	e.sim.ResetCalls()
	_, err := e.a.EnsureVoiceRoute(context.Background(), creds, num, texmlRoute)
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Kind != providers.KindConflict || !strings.Contains(pe.Message, elsewhere) {
		t.Fatalf("forwarding always: %v, want a conflict naming %s", err, elsewhere)
	}
	if w := e.sim.Writes(); w != 0 {
		t.Errorf("the refusal made %d writes", w)
	}

	r := texmlRoute
	r.Override = true
	ch, err := e.a.EnsureVoiceRoute(context.Background(), creds, num, r)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Before.ForwardsTo != elsewhere || !ch.Changed {
		t.Errorf("override: Before.ForwardsTo %q, Changed %v; want %s and true", ch.Before.ForwardsTo, ch.Changed, elsewhere)
	}
	if n, _ := e.sim.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon); n.CallForwardingEnabled {
		t.Error("forwarding still on after override")
	}
	if got := e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon); got != r.VoiceURL {
		t.Errorf("calls go to %q", got)
	}

	forward(tt.SandboxNumberSydney, "on-failure")
	if _, err := e.a.EnsureVoiceRoute(context.Background(), creds, e.lookup(t, tt.SandboxNumberSydney), texmlRoute); err != nil {
		t.Errorf("forwarding on failure: %v", err)
	}
	if n, _ := e.sim.Number(tt.SandboxAPIKey, tt.SandboxNumberSydney); !n.CallForwardingEnabled {
		t.Error("on-failure forwarding was turned off")
	}
}

// TestForwardingSwitchedOffIsLeftAlone: a number whose call forwarding is
// switched off still reports its "always" destination (Telnyx keeps
// forwarding_type and forwards_to; call_forwarding_enabled only switches
// them), as when the user turned it off in the portal, or an earlier
// override did. Its calls reach its connection, so it is routed without
// override, and its forwarding is neither touched nor recorded.
func TestForwardingSwitchedOffIsLeftAlone(t *testing.T) {
	const elsewhere = "+13035559123"
	for _, c := range []struct {
		name     string
		switchOf func(t *testing.T, e *env)
	}{
		{"switched off in the portal", func(t *testing.T, e *env) {
			if err := e.sim.UpdateNumber(tt.SandboxAPIKey, tt.SandboxNumberLondon, func(n *tt.Number) {
				n.CallForwardingEnabled, n.ForwardingType, n.ForwardsTo = false, "always", elsewhere
			}); err != nil {
				t.Fatal(err)
			}
		}},
		{"switched off by an earlier override", func(t *testing.T, e *env) {
			if err := e.sim.UpdateNumber(tt.SandboxAPIKey, tt.SandboxNumberLondon, func(n *tt.Number) {
				n.CallForwardingEnabled, n.ForwardingType, n.ForwardsTo = true, "always", elsewhere
			}); err != nil {
				t.Fatal(err)
			}
			r := route("agent-7f3a", "https://agents.example.com/answer/7f3a")
			r.Override = true
			if ch := e.ensure(t, tt.SandboxNumberLondon, r); ch.Before.ForwardsTo != elsewhere {
				t.Fatalf("override: Before.ForwardsTo %q, want %s", ch.Before.ForwardsTo, elsewhere)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, "")
			c.switchOf(t, e)
			e.sim.ResetCalls()
			ch, err := e.a.EnsureVoiceRoute(context.Background(), creds, e.lookup(t, tt.SandboxNumberLondon), e.withOurs(texmlRoute))
			if err != nil {
				t.Fatalf("forwarding switched off, no override: %v; want the number routed", err)
			}
			if ch.Before.ForwardsTo != "" {
				t.Errorf("Change.Before.ForwardsTo = %q: an unlink would switch forwarding to %s back on", ch.Before.ForwardsTo, elsewhere)
			}
			if got := e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon); got != texmlRoute.VoiceURL {
				t.Errorf("calls go to %q, want %s", got, texmlRoute.VoiceURL)
			}
			if n := e.sim.Calls()[tt.EndpointUpdateNumberVoice]; n != 0 {
				t.Errorf("%d writes of the number's voice settings, want none", n)
			}
		})
	}
}
