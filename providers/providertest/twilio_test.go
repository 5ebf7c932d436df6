package providertest_test

import (
	"maps"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/providertest"
	"github.com/switchboardhq/switchboard/providers/twilio"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

var twilioHarness = providertest.Harness{
	Name: "twilio",
	New: func(t *testing.T, timeout time.Duration) providertest.Env {
		sim := twiliotest.NewSandbox()
		for e164, opt := range twilioElsewhere {
			if _, err := sim.AddNumber(twiliotest.SandboxAccountSID, e164, opt); err != nil {
				t.Fatal(err)
			}
		}
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		t.Cleanup(sim.Close)
		a, err := twilio.New(twilio.Options{BaseURL: srv.URL, Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		return providertest.Env{
			Provider:    a,
			Sim:         twilioSim{sim},
			Creds:       providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: twiliotest.SandboxAuthToken},
			BadCreds:    providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: "wrongtoken0123456789"},
			Owned:       []string{twiliotest.SandboxNumberDC, twiliotest.SandboxNumberSF},
			NotOwned:    "+12125550000",
			Foreign:     twiliotest.SandboxNumberTrunked,
			AlsoForeign: slices.Sorted(maps.Keys(twilioElsewhere)),
		}
	},
}

// twilioElsewhere are numbers configured elsewhere in each way besides a
// trunk that Twilio numbers can be: every one keeps calls from switchboard.
var twilioElsewhere = map[string]twiliotest.NumberOption{
	"+13125550181": twiliotest.WithVoiceApplicationSID("AP0000000000000000000000000000f0a1"),
	"+13125550182": func(n *twiliotest.Number) {
		n.VoiceURL, n.VoiceFallbackURL, n.VoiceFallbackMethod = "https://old.example.com/voice", "https://old.example.com/fallback", "POST"
	},
	"+13125550183": func(n *twiliotest.Number) { n.VoiceReceiveMode = "fax" },
}

// twilioSim adapts the Twilio simulator to providertest.Sim. Twilio has no
// applications in switchboard's flow: numbers get the voice URL directly.
type twilioSim struct{ *twiliotest.Server }

func (s twilioSim) VoiceURL(e164 string) string {
	n, ok := s.Number(twiliotest.SandboxAccountSID, e164)
	if !ok || n.TrunkSID != "" || n.VoiceApplicationSID != "" || n.VoiceReceiveMode == "fax" {
		return "" // Twilio ignores voice_url while a trunk or an application is set; a fax number takes no calls
	}
	return n.VoiceURL
}

func (s twilioSim) Applications(string) int { return 0 }

func (s twilioSim) update(change func(*twiliotest.Faults)) {
	f := s.Faults()
	change(&f)
	if err := s.SetFaults(f); err != nil {
		panic(err)
	}
}

func (s twilioSim) FailRate(r float64) { s.update(func(f *twiliotest.Faults) { f.ErrorRate = r }) }
func (s twilioSim) HangRate(r float64) { s.update(func(f *twiliotest.Faults) { f.TimeoutRate = r }) }
func (s twilioSim) RateLimitNext(n int, after time.Duration) {
	s.update(func(f *twiliotest.Faults) { f.RateLimitNext, f.RetryAfter = n, int(after/time.Second) })
}
func (s twilioSim) AmbiguousCreatesNext(n int) {
	s.update(func(f *twiliotest.Faults) { f.AmbiguousWrites = n })
}
func (s twilioSim) ClearFaults() { s.update(func(f *twiliotest.Faults) { *f = twiliotest.Faults{} }) }

func TestTwilio(t *testing.T) { providertest.Exercise(t, twilioHarness) }
