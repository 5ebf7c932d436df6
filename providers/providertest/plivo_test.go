package providertest_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/providertest"
)

var plivoHarness = providertest.Harness{
	Name: "plivo",
	New: func(t *testing.T, timeout time.Duration) providertest.Env {
		sim := plivotest.NewSandbox()
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		t.Cleanup(sim.Close)
		a, err := plivo.New(plivo.Options{BaseURL: srv.URL, Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		return providertest.Env{
			Provider: a,
			Sim:      plivoSim{sim},
			Creds:    providers.Credentials{AccountID: plivotest.SandboxAuthID, Secret: plivotest.SandboxAuthToken},
			BadCreds: providers.Credentials{AccountID: plivotest.SandboxAuthID, Secret: "wrongplivotoken0123456789"},
			Owned:    []string{plivotest.SandboxNumber1, plivotest.SandboxNumber2},
			NotOwned: "+918000000099",
			Foreign:  "", // Plivo has no foreign wiring: another application is replaced
		}
	},
}

// plivoSim adapts the Plivo simulator to providertest.Sim. Calls to a
// Plivo number go to the answer_url of the application it is attached to.
type plivoSim struct{ *plivotest.Server }

func (s plivoSim) VoiceURL(e164 string) string {
	return s.Server.VoiceURL(plivotest.SandboxAuthID, e164)
}

func (s plivoSim) Applications(name string) int {
	return s.Server.Applications(plivotest.SandboxAuthID, name)
}

// update changes some faults and keeps the others (the rate limit a
// Server starts with, in particular).
func (s plivoSim) update(change func(*plivotest.Faults)) {
	if err := s.UpdateFaults(change); err != nil {
		panic(err)
	}
}

func (s plivoSim) FailRate(r float64) { s.update(func(f *plivotest.Faults) { f.ErrorRate = r }) }
func (s plivoSim) HangRate(r float64) { s.update(func(f *plivotest.Faults) { f.TimeoutRate = r }) }
func (s plivoSim) RateLimitNext(n int, after time.Duration) {
	s.update(func(f *plivotest.Faults) { f.RateLimitNext, f.RetryAfter = n, int(after/time.Second) })
}
func (s plivoSim) AmbiguousCreatesNext(n int) {
	s.update(func(f *plivotest.Faults) { f.AmbiguousCreates = n })
}
func (s plivoSim) ClearFaults() { s.update(func(f *plivotest.Faults) { *f = plivotest.Faults{} }) }

func TestPlivo(t *testing.T) { providertest.Exercise(t, plivoHarness) }

// TestPlivoCost pins what provisioning costs at Plivo: lookup, list,
// create and attach for an org's first number; lookup and attach for
// another once the application's id is known; the lookup alone to re-run.
func TestPlivoCost(t *testing.T) {
	got := providertest.Measure(t, plivoHarness)
	want := providertest.Cost{
		Fresh:            providertest.Calls{Reads: 2, Writes: 2},
		FreshWithAppHint: providertest.Calls{Reads: 1, Writes: 1},
		Rerun:            providertest.Calls{Reads: 1, Writes: 0},
	}
	if got != want {
		t.Errorf("cost %+v, want %+v", got, want)
	}
}
