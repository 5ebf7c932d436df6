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
