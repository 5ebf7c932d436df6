package worker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
)

// TestTelnyxKeysGetTheirOwnConnection: a Telnyx API key is the only thing
// that tells one Telnyx account from another (accSId may be empty), so two
// keys in one org are two connections, identified by a keyed fingerprint
// of the key (never the key), and each number keeps being provisioned
// with the key it was added with. Before, both collapsed into one
// connection whose credentials the last key overwrote.
func TestTelnyxKeysGetTheirOwnConnection(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		const otherKey, otherNumber = "KEYOTHERACCOUNT00000000000000002", "+61298765432"
		mustOK(t, h.Telnyx.AddAccount(otherKey))
		_, err := h.Telnyx.AddNumber(otherKey, otherNumber)
		mustOK(t, err)
		for number, key := range map[string]string{telnyxtest.SandboxNumberLondon: telnyxtest.SandboxAPIKey, otherNumber: otherKey} {
			if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: number, Provider: jobs.ProviderTelnyx, Credentials: jobs.Credentials{Secret: key}}); out.State != jobs.StateSucceeded {
				t.Fatalf("add %s: %+v", number, out)
			}
		}

		conns, err := h.Store.ListConnections(ctx, h.OrgID)
		mustOK(t, err)
		keyOf := map[string]string{}
		for _, c := range conns {
			if c.Provider != jobs.ProviderTelnyx {
				continue
			}
			creds, err := h.Keys.OpenCredentials(c.Credentials)
			mustOK(t, err)
			if c.AccountID == "" || strings.Contains(c.AccountID, creds.Secret) {
				t.Errorf("connection %s identified as %q: want a fingerprint of its key", c.ID, c.AccountID)
			}
			keyOf[c.ID] = creds.Secret
		}
		if len(keyOf) != 2 {
			t.Fatalf("%d Telnyx connections, want one per key", len(keyOf))
		}
		for number, key := range map[string]string{telnyxtest.SandboxNumberLondon: telnyxtest.SandboxAPIKey, otherNumber: otherKey} {
			row, err := h.Store.GetNumber(ctx, h.OrgID, number)
			mustOK(t, err)
			if keyOf[row.ConnectionID] != key {
				t.Errorf("%s is on a connection holding another key", number)
			}
		}

		// The first account's number is still provisioned with its own key.
		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		if _, out, _ := h.attach(t, "agent_1", telnyxtest.SandboxNumberLondon); out.State != jobs.StateSucceeded {
			t.Fatalf("attach the first key's number: %+v", out)
		}
		if got := h.Telnyx.VoiceURL(telnyxtest.SandboxAPIKey, telnyxtest.SandboxNumberLondon); got != "https://agents.example.com/answer/1" {
			t.Errorf("first key's number routes to %q", got)
		}
	})
}
