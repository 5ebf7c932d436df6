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
	"github.com/switchboardhq/switchboard/providers/twilio"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// newTwilioHarness runs the suite as creds, on numbers of account (the
// sandbox account, or its subaccount).
func newTwilioHarness(name, account string, creds, bad providers.Credentials, owned ...string) providertest.Harness {
	return providertest.Harness{
		Name: name,
		New: func(t *testing.T, timeout time.Duration) providertest.Env {
			sim := twiliotest.NewSandbox()
			for e164, opt := range twilioElsewhere {
				if _, err := sim.AddNumber(account, e164, opt); err != nil {
					t.Fatal(err)
				}
			}
			if account != twiliotest.SandboxAccountSID {
				if _, err := sim.AddNumber(account, twiliotest.SandboxNumberTrunked, twiliotest.WithTrunkSID(twiliotest.SandboxTrunkSID)); err != nil {
					t.Fatal(err)
				}
			}
			srv := httptest.NewServer(sim)
			t.Cleanup(srv.Close)
			t.Cleanup(sim.Close)
			a, err := twilio.New(twilio.Options{Transport: validating(t, openapicheck.Twilio, srv.URL), Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			return providertest.Env{
				Provider:    a,
				Sim:         twilioSim{sim, account},
				Creds:       creds,
				BadCreds:    bad,
				Owned:       owned,
				NotOwned:    "+12125550000",
				Foreign:     twiliotest.SandboxNumberTrunked,
				AlsoForeign: slices.Sorted(maps.Keys(twilioElsewhere)),
			}
		},
	}
}

var twilioHarness = newTwilioHarness("twilio", twiliotest.SandboxAccountSID,
	providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: twiliotest.SandboxAuthToken},
	providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: "wrongtoken0123456789"},
	twiliotest.SandboxNumberDC, twiliotest.SandboxNumberSF)

// twilioElsewhere are numbers configured elsewhere in each way besides a
// trunk that Twilio numbers can be: every one keeps calls from switchboard.
var twilioElsewhere = map[string]twiliotest.NumberOption{
	"+13125550181": twiliotest.WithVoiceApplicationSID("AP0000000000000000000000000000f0a1"),
	"+13125550182": func(n *twiliotest.Number) {
		n.VoiceURL, n.VoiceFallbackURL, n.VoiceFallbackMethod = "https://old.example.com/voice", "https://old.example.com/fallback", "POST"
	},
	"+13125550183": func(n *twiliotest.Number) { n.VoiceReceiveMode = "fax" },
}

// twilioSim adapts the Twilio simulator to providertest.Sim, for the
// numbers of one account. Twilio has no applications in switchboard's
// flow: numbers get the voice URL directly.
type twilioSim struct {
	*twiliotest.Server
	account string
}

func (s twilioSim) VoiceURL(e164 string) string {
	n, ok := s.Number(s.account, e164)
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

// TestTwilioAPIKey: the suite passes authenticated as a standard API key
// (which may not fetch the account) of the account owning the numbers.
func TestTwilioAPIKey(t *testing.T) {
	providertest.Exercise(t, newTwilioHarness("twilio-apikey", twiliotest.SandboxAccountSID,
		providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Username: twiliotest.SandboxAPIKeySID, Secret: twiliotest.SandboxAPIKeySecret},
		providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Username: twiliotest.SandboxAPIKeySID, Secret: "wrongsecret0123456789"},
		twiliotest.SandboxNumberDC, twiliotest.SandboxNumberSF))
}

// TestTwilioSubaccount: the suite passes on a subaccount's numbers,
// reached with the parent account's SID and auth token.
func TestTwilioSubaccount(t *testing.T) {
	const second = "+13125550101"
	h := newTwilioHarness("twilio-subaccount", twiliotest.SandboxSubaccountSID,
		providers.Credentials{AccountID: twiliotest.SandboxSubaccountSID, Username: twiliotest.SandboxAccountSID, Secret: twiliotest.SandboxAuthToken},
		providers.Credentials{AccountID: twiliotest.SandboxSubaccountSID, Username: twiliotest.SandboxAccountSID, Secret: "wrongtoken0123456789"},
		twiliotest.SandboxNumberSubaccount, second)
	start := h.New
	h.New = func(t *testing.T, timeout time.Duration) providertest.Env {
		e := start(t, timeout)
		if _, err := e.Sim.(twilioSim).AddNumber(twiliotest.SandboxSubaccountSID, second); err != nil {
			t.Fatal(err)
		}
		return e
	}
	providertest.Exercise(t, h)
}
