package providertest

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// testEveryForeignWiring: each way a number can be configured elsewhere
// (Env.Foreign and Env.AlsoForeign) is refused without a write, and taken
// over with Override, whose Change.Before is the configuration Lookup read,
// so what was replaced can be restored.
func testEveryForeignWiring(t *testing.T, h Harness) {
	e := start(t, h, 5*time.Second)
	nums := e.AlsoForeign
	if e.Foreign != "" {
		nums = append([]string{e.Foreign}, nums...)
	}
	if len(nums) == 0 {
		t.Skip("the provider has no foreign wiring to refuse")
	}
	for _, num := range nums {
		t.Run(num, func(t *testing.T) {
			n := lookup(t, e, num)
			before := e.Sim.VoiceURL(num)
			e.Sim.ResetCalls()
			_, err := e.Provider.EnsureVoiceRoute(ctx(t), e.Creds, n, e.withOurs(DefaultRoute))
			wantKind(t, err, providers.KindConflict)
			if w := e.Sim.Writes(); w != 0 {
				t.Errorf("refusal made %d writes", w)
			}
			if got := e.Sim.VoiceURL(num); got != before {
				t.Errorf("refused number now routes to %q, was %q", got, before)
			}
			r := DefaultRoute
			r.Override = true
			ch, err := e.Provider.EnsureVoiceRoute(ctx(t), e.Creds, n, e.withOurs(r))
			if err != nil {
				t.Fatalf("override: %v", err)
			}
			e.record(ch)
			if !ch.Changed || ch.Before != n.Voice {
				t.Errorf("override: Changed %v, Before %+v; want true and the looked-up %+v", ch.Changed, ch.Before, n.Voice)
			}
			wantRouted(t, e, num, DefaultRoute)
			// Taken over, the number is switchboard's: a re-run is quiet.
			if _, err := e.Provider.EnsureVoiceRoute(ctx(t), e.Creds, lookup(t, e, num), e.withOurs(DefaultRoute)); err != nil {
				t.Errorf("re-run after override: %v", err)
			}
		})
	}
}
