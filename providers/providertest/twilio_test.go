package providertest_test

import (
	"net/http/httptest"
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
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		t.Cleanup(sim.Close)
		a, err := twilio.New(twilio.Options{BaseURL: srv.URL, Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		return providertest.Env{
			Provider: a,
			Sim:      twilioSim{sim},
			Creds:    providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: twiliotest.SandboxAuthToken},
			BadCreds: providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: "wrongtoken0123456789"},
			Owned:    []string{twiliotest.SandboxNumberDC, twiliotest.SandboxNumberSF},
			NotOwned: "+12125550000",
			Foreign:  twiliotest.SandboxNumberTrunked,
		}
	},
}

// twilioSim adapts the Twilio simulator to providertest.Sim. Twilio has no
// applications in switchboard's flow: numbers get the voice URL directly.
type twilioSim struct{ *twiliotest.Server }

func (s twilioSim) VoiceURL(e164 string) string {
	n, ok := s.Number(twiliotest.SandboxAccountSID, e164)
	if !ok || n.TrunkSID != "" || n.VoiceApplicationSID != "" {
		return "" // Twilio ignores voice_url while a trunk or an application is set
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
