package worker_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
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
