package worker_test

import (
	"context"
	"testing"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
)

// TestTelnyxOwnershipFromRecords: an application is switchboard's because
// switchboard recorded it on the connection, not because of its name.
// Another org's application on the same Telnyx account (really created by
// switchboard, for that org) and a user's application named
// "switchboard-x" are both foreign: adding a number on one is refused,
// and allowed with override. An application switchboard created and
// recorded for the org is its own: its numbers move to another route
// without override.
func TestTelnyxOwnershipFromRecords(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		key := jobs.Credentials{Secret: telnyxtest.SandboxAPIKey}

		// Another org of this switchboard, on the same Telnyx account,
		// routes a number: its application is created and recorded for it.
		other, err := h.Store.CreateOrg(ctx, "globex")
		mustOK(t, err)
		_, err = h.Store.CreateUser(ctx, store.User{ID: "user-globex", OrgID: other.ID, Name: "Grace"})
		mustOK(t, err)
		if _, out := h.addPhone(t, jobs.AddPhoneRequest{OrgID: other.ID, UserID: "user-globex", PhoneNumber: telnyxtest.SandboxNumberSydney,
			Provider: jobs.ProviderTelnyx, Credentials: key}); out.State != jobs.StateSucceeded {
			t.Fatalf("the other org's number: %+v", out)
		}
		sydney, _ := h.Telnyx.Number(telnyxtest.SandboxAPIKey, telnyxtest.SandboxNumberSydney)
		othersApp := sydney.ConnectionID

		// A user's own application, named like switchboard's.
		usersApp, err := h.Telnyx.AddConnection(telnyxtest.SandboxAPIKey, telnyxtest.Connection{
			Type: telnyxtest.TexmlApplication, Name: "switchboard-x", VoiceURL: "https://old.example.com/texml", Active: true})
		mustOK(t, err)

		for number, app := range map[string]string{"+442012340001": othersApp, "+442012340002": usersApp} {
			_, err := h.Telnyx.AddNumber(telnyxtest.SandboxAPIKey, number, telnyxtest.WithConnection(app))
			mustOK(t, err)
			req := jobs.AddPhoneRequest{PhoneNumber: number, Provider: jobs.ProviderTelnyx, Credentials: key}
			if _, out := h.addPhone(t, req); out.State != jobs.StateFailed || out.Code != jobs.CodeConflict {
				t.Errorf("%s on application %s: %+v, want failed %s", number, app, out, jobs.CodeConflict)
			}
			if n, _ := h.Telnyx.Number(telnyxtest.SandboxAPIKey, number); n.ConnectionID != app {
				t.Errorf("%s refused, yet moved to %s", number, n.ConnectionID)
			}
			req.Override = true
			if _, out := h.addPhone(t, req); out.State != jobs.StateSucceeded {
				t.Errorf("%s with override: %+v", number, out)
			}
		}
		if n, _ := h.Telnyx.Number(telnyxtest.SandboxAPIKey, telnyxtest.SandboxNumberSydney); n.ConnectionID != othersApp {
			t.Errorf("the other org's number moved to %s", n.ConnectionID)
		}

		// The org's own recorded application: the number moves on to a
		// target's route without override.
		if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: telnyxtest.SandboxNumberLondon, Provider: jobs.ProviderTelnyx, Credentials: key}); out.State != jobs.StateSucceeded {
			t.Fatalf("add London: %+v", out)
		}
		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		if _, out, _ := h.attach(t, "agent_1", telnyxtest.SandboxNumberLondon); out.State != jobs.StateSucceeded {
			t.Fatalf("attach off the org's own default application: %+v", out)
		}
		if got := h.Telnyx.VoiceURL(telnyxtest.SandboxAPIKey, telnyxtest.SandboxNumberLondon); got != "https://agents.example.com/answer/1" {
			t.Errorf("London routes to %q", got)
		}
	})
}
