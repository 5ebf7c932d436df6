package worker_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

// TestPlivoSubaccountNumbers: with the main account's credentials, the
// numbers of its subaccount are routed through an application of the
// subaccount and the main account's through one of its own; switchboard
// remembers each, so neither account's numbers pay for the other's (no
// stale hint, no list call).
func TestPlivoSubaccountNumbers(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		const second = "+918000000011"
		mustOK(t, h.Plivo.AddNumber(plivotest.SandboxSubaccountAuthID, second))
		add := func(n string) {
			t.Helper()
			if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: n, Provider: jobs.ProviderPlivo, Credentials: workertest.PlivoCreds}); out.State != jobs.StateSucceeded {
				t.Fatalf("add %s: %+v", n, out)
			}
		}
		add(plivotest.SandboxNumber1)
		add(plivotest.SandboxSubaccountNumber)
		name := providers.RouteName(h.OrgID, "default")
		for _, acct := range []string{plivotest.SandboxAuthID, plivotest.SandboxSubaccountAuthID} {
			if n := h.Plivo.Applications(acct, name); n != 1 {
				t.Errorf("%s: %d applications named %s, want 1", acct, n, name)
			}
		}
		for _, n := range []string{plivotest.SandboxNumber1, plivotest.SandboxSubaccountNumber} {
			if got := h.Plivo.VoiceURL(plivotest.SandboxAuthID, n); got != webhookBase+"/voice/inbound" {
				t.Errorf("%s routes to %q", n, got)
			}
		}
		// Each account's next number: lookup and attach, nothing else.
		for _, n := range []string{second, plivotest.SandboxNumber2} {
			h.Plivo.ResetCalls()
			add(n)
			if c := h.Plivo.Calls(); c[plivotest.EndpointListApplications] != 0 || c[plivotest.EndpointUpdateNumber] != 1 {
				t.Errorf("%s: calls %v, want a lookup and an attach", n, c)
			}
		}
	})
}
