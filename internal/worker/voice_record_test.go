package worker_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

// TestAddPhoneRecordsTheVoiceConfiguration: the number's row keeps the
// voice configuration add-phone set at the provider, which later jobs
// compare with before they write (kills saving an empty configuration on
// activation).
func TestAddPhoneRecordsTheVoiceConfiguration(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: "+12125551234"}); out.State != jobs.StateSucceeded {
			t.Fatalf("add-phone: %+v", out)
		}
		row, err := h.Store.GetNumber(ctx, h.OrgID, "+12125551234")
		mustOK(t, err)
		var got providers.VoiceConfig
		mustOK(t, json.Unmarshal(row.Voice, &got))
		want := providers.VoiceConfig{VoiceURL: webhookBase + "/voice/inbound", VoiceMethod: "POST",
			StatusCallback: webhookBase + "/voice/status"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("recorded voice configuration (-want +got):\n%s", diff)
		}
	})
}

// TestStaleApplicationHintIsReplaced: when the application switchboard
// recorded for a route is gone at the provider, the attach that finds or
// creates another one records the new id (kills not saving the application
// on the path that starts from a known one, route.go's
// rememberApplication after op with r.ApplicationID set).
func TestStaleApplicationHintIsReplaced(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		for _, n := range []string{plivotest.SandboxNumber1, plivotest.SandboxNumber2} {
			if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: n, Provider: jobs.ProviderPlivo, Credentials: workertest.PlivoCreds}); out.State != jobs.StateSucceeded {
				t.Fatalf("add %s: %+v", n, out)
			}
		}
		const answer = "https://agents.example.com/answer/stale"
		h.target(t, "agent_s", answer)
		sum := sha256.Sum256([]byte(answer + "\n" + webhookBase + "/voice/hangup"))
		name := providers.RouteName(h.OrgID, "t"+hex.EncodeToString(sum[:6]))
		row, err := h.Store.GetNumber(ctx, h.OrgID, plivotest.SandboxNumber1)
		mustOK(t, err)

		if _, out, _ := h.attach(t, "agent_s", plivotest.SandboxNumber1); out.State != jobs.StateSucceeded {
			t.Fatalf("first attach: %+v", out)
		}
		first, err := h.Store.GetApplication(ctx, row.ConnectionID, name)
		mustOK(t, err)
		mustOK(t, h.Plivo.DeleteApplication(plivotest.SandboxAuthID, first))

		if _, out, _ := h.attach(t, "agent_s", plivotest.SandboxNumber2); out.State != jobs.StateSucceeded {
			t.Fatalf("attach after the application was deleted: %+v", out)
		}
		second, err := h.Store.GetApplication(ctx, row.ConnectionID, name)
		mustOK(t, err)
		if second == first {
			t.Fatalf("recorded application is still the deleted %s", first)
		}
		if _, ok := h.Plivo.Application(plivotest.SandboxAuthID, second); !ok {
			t.Errorf("recorded application %s does not exist at Plivo", second)
		}
		if got := h.Plivo.VoiceURL(plivotest.SandboxAuthID, plivotest.SandboxNumber2); got != answer {
			t.Errorf("%s routes to %q, want %q", plivotest.SandboxNumber2, got, answer)
		}
	})
}

// TestAttachRecordsTheVoiceConfiguration: attaching a number to a target
// records the new configuration in the number's row, and unlinking it
// records the default route again (kills skipping the row's update when it
// differs, connection.go's recordedVoice comparison and UpdateNumberVoice).
func TestAttachRecordsTheVoiceConfiguration(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		h.mustAdd(t, "+12125551234")
		const answer = "https://agents.example.com/answer/recorded"
		h.target(t, "agent_r", answer)
		recorded := func() string {
			t.Helper()
			row, err := h.Store.GetNumber(ctx, h.OrgID, "+12125551234")
			mustOK(t, err)
			var v providers.VoiceConfig
			mustOK(t, json.Unmarshal(row.Voice, &v))
			return v.VoiceURL
		}
		if _, out, _ := h.attach(t, "agent_r", "+12125551234"); out.State != jobs.StateSucceeded {
			t.Fatalf("attach: %+v", out)
		}
		if got := recorded(); got != answer {
			t.Errorf("after attach the row records voice URL %q, want %q", got, answer)
		}
		if out := h.unlink(t, "agent_r", "+12125551234"); out.State != jobs.StateSucceeded {
			t.Fatalf("unlink: %+v", out)
		}
		if got, want := recorded(), webhookBase+"/voice/inbound"; got != want {
			t.Errorf("after unlink the row records voice URL %q, want %q", got, want)
		}
	})
}
