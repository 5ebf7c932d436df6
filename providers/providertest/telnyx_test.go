package providertest_test

import (
	"maps"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/internal/openapicheck"
	"github.com/switchboardhq/switchboard/providers/providertest"
	"github.com/switchboardhq/switchboard/providers/telnyx"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
)

var telnyxHarness = providertest.Harness{
	Name: "telnyx",
	New: func(t *testing.T, timeout time.Duration) providertest.Env {
		sim := telnyxtest.NewSandbox()
		for e164, name := range telnyxNamedLikeOurs {
			id, err := sim.AddConnection(telnyxtest.SandboxAPIKey, telnyxtest.Connection{
				Type: telnyxtest.TexmlApplication, Name: name, VoiceURL: "https://old.example.com/texml", Active: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sim.AddNumber(telnyxtest.SandboxAPIKey, e164, telnyxtest.WithConnection(id)); err != nil {
				t.Fatal(err)
			}
		}
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		t.Cleanup(sim.Close)
		a, err := telnyx.New(telnyx.Options{Transport: validating(t, openapicheck.Telnyx, srv.URL), Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		return providertest.Env{
			Provider:    a,
			Sim:         telnyxSim{sim},
			Creds:       providers.Credentials{Secret: telnyxtest.SandboxAPIKey},
			BadCreds:    providers.Credentials{Secret: "KEYWRONG0000000000000000000000099"},
			Owned:       []string{telnyxtest.SandboxNumberLondon, telnyxtest.SandboxNumberSydney},
			NotOwned:    "+442079460000",
			Foreign:     telnyxtest.SandboxNumberForeign,
			AlsoForeign: slices.Sorted(maps.Keys(telnyxNamedLikeOurs)),
		}
	},
}

// telnyxNamedLikeOurs are numbers on TeXML applications named like
// switchboard's that switchboard has no record of: another org's on the
// same account, and a user's. Only switchboard's records make an
// application its own.
var telnyxNamedLikeOurs = map[string]string{
	"+442012340001": providers.RouteName(2, "default"),
	"+442012340002": "switchboard-x",
}

// telnyxSim adapts the Telnyx simulator to providertest.Sim, for the
// sandbox account: a number's voice URL is the webhook of the Call Control
// application it is on.
type telnyxSim struct{ *telnyxtest.Server }

func (s telnyxSim) VoiceURL(e164 string) string {
	return s.Server.VoiceURL(telnyxtest.SandboxAPIKey, e164)
}

func (s telnyxSim) Applications(name string) int {
	return s.Server.Applications(telnyxtest.SandboxAPIKey, name)
}

func (s telnyxSim) update(change func(*telnyxtest.Faults)) {
	f := s.Faults()
	change(&f)
	if err := s.SetFaults(f); err != nil {
		panic(err)
	}
}

func (s telnyxSim) FailRate(r float64) { s.update(func(f *telnyxtest.Faults) { f.ErrorRate = r }) }
func (s telnyxSim) HangRate(r float64) { s.update(func(f *telnyxtest.Faults) { f.TimeoutRate = r }) }
func (s telnyxSim) RateLimitNext(n int, after time.Duration) {
	s.update(func(f *telnyxtest.Faults) { f.RateLimitNext, f.RetryAfter = n, int(after/time.Second) })
}
func (s telnyxSim) AmbiguousCreatesNext(n int) {
	s.update(func(f *telnyxtest.Faults) { f.AmbiguousCreates = n })
}
func (s telnyxSim) ClearFaults() { s.update(func(f *telnyxtest.Faults) { *f = telnyxtest.Faults{} }) }

func TestTelnyx(t *testing.T) { providertest.Exercise(t, telnyxHarness) }
