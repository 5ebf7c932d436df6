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

var plivoHarness = newPlivoHarness("plivo", plivotest.SandboxAuthID, plivotest.SandboxNumber1, plivotest.SandboxNumber2)

// newPlivoHarness runs the suite with the sandbox main account's
// credentials on numbers rented by account (the main account, or its
// subaccount); numbers the sandbox lacks are added to account.
func newPlivoHarness(name, account string, owned ...string) providertest.Harness {
	return providertest.Harness{Name: name, New: func(t *testing.T, timeout time.Duration) providertest.Env {
		sim := plivotest.NewSandbox()
		for _, n := range owned {
			if _, ok := sim.Number(account, n); !ok {
				if err := sim.AddNumber(account, n); err != nil {
					t.Fatal(err)
				}
			}
		}
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		t.Cleanup(sim.Close)
		a, err := plivo.New(plivo.Options{BaseURL: srv.URL, Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		return providertest.Env{
			Provider: a,
			Sim:      plivoSim{sim, account},
			Creds:    providers.Credentials{AccountID: plivotest.SandboxAuthID, Secret: plivotest.SandboxAuthToken},
			BadCreds: providers.Credentials{AccountID: plivotest.SandboxAuthID, Secret: "wrongplivotoken0123456789"},
			Owned:    owned,
			NotOwned: "+918000000099",
			Foreign:  "", // Plivo has no foreign wiring: another application is replaced
		}
	}}
}

// plivoSim adapts the Plivo simulator to providertest.Sim, for the numbers
// of one account. Calls to a Plivo number go to the answer_url of the
// application it is attached to, which belongs to the account renting it.
type plivoSim struct {
	*plivotest.Server
	account string
}

func (s plivoSim) VoiceURL(e164 string) string {
	return s.Server.VoiceURL(s.account, e164)
}

func (s plivoSim) Applications(name string) int {
	return s.Server.Applications(s.account, name)
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

// TestPlivoSubaccount: the suite passes on a subaccount's numbers, reached
// with the main account's auth ID and token; their applications are the
// subaccount's.
func TestPlivoSubaccount(t *testing.T) { providertest.Exercise(t, plivoSubaccountHarness) }

var plivoSubaccountHarness = newPlivoHarness("plivo-subaccount", plivotest.SandboxSubaccountAuthID,
	plivotest.SandboxSubaccountNumber, "+918000000011")

// TestPlivoCost pins what provisioning costs at Plivo: lookup, list,
// create and attach for an org's first number; lookup and attach for
// another once the application's id is known; the lookup alone to re-run.
// A subaccount's numbers, reached with the main account's credentials,
// cost the same.
func TestPlivoCost(t *testing.T) {
	want := providertest.Cost{
		Fresh:            providertest.Calls{Reads: 2, Writes: 2},
		FreshWithAppHint: providertest.Calls{Reads: 1, Writes: 1},
		Rerun:            providertest.Calls{Reads: 1, Writes: 0},
	}
	for _, h := range []providertest.Harness{plivoHarness, plivoSubaccountHarness} {
		if got := providertest.Measure(t, h); got != want {
			t.Errorf("%s: cost %+v, want %+v", h.Name, got, want)
		}
	}
}
