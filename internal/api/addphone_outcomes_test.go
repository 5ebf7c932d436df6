package api_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestAddPhoneJobOutcomes: the seed's answers for failures only the job
// finds out, end to end through a worker and the provider simulators, on
// both stores.
func TestAddPhoneJobOutcomes(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		auth := map[string]string{"Authorization": "Bearer " + e.key}
		check := func(name string, headers map[string]string, body map[string]any, code int, message string) {
			t.Helper()
			got, out := e.do(t, "POST", "/api/call/add-phone", headers, body)
			if got != code || out["message"] != message || out["code"] != float64(code) || out["status"] != (code < 300) {
				t.Errorf("%s: %d %v, want %d %q", name, got, out, code, message)
			}
		}

		// A number on a SIP trunk is refused unless the body says override.
		trunked := addPhoneBody(twiliotest.SandboxNumberTrunked[1:], twiliotest.SandboxAuthToken)
		check("trunked", auth, trunked, 400, "Phone number is configured elsewhere at the provider")
		trunked["override"] = true
		check("trunked with override", auth, trunked, 201, "Phone number added successfully")

		// Telnyx needs no accSId; Twilio does.
		telnyx := map[string]any{"userId": workertest.UserID, "phoneNumber": telnyxtest.SandboxNumberLondon[1:],
			"integration": "telnyx", "authToken": telnyxtest.SandboxAPIKey}
		check("telnyx without accSId", auth, telnyx, 201, "Phone number added successfully")
		twilio := addPhoneBody("12025551234", twiliotest.SandboxAuthToken)
		delete(twilio, "accSId")
		check("twilio without accSId", auth, twilio, 400, "Invalid credentials for the integration provider")

		// Another workspace holding the same account's credentials cannot
		// take a number this one manages.
		check("first workspace", auth, addPhoneBody("12125551234", twiliotest.SandboxAuthToken), 201, "Phone number added successfully")
		otherOrg, otherKey := e.newOrg(t, "other")
		if _, err := env.Store.CreateUser(context.Background(), store.User{ID: workertest.UserID[:23] + "9", OrgID: otherOrg, Name: "Bo"}); err != nil {
			t.Fatal(err)
		}
		other := addPhoneBody("12125551234", twiliotest.SandboxAuthToken)
		other["userId"] = workertest.UserID[:23] + "9"
		check("second workspace", map[string]string{"Authorization": "Bearer " + otherKey}, other, 400, "Phone number is managed by another workspace")

	})
}

// TestAddPhoneCredentialShapes: values that cannot be a provider's
// credentials are refused before anything is sealed or enqueued (a 900 KB
// token used to be enqueued, fail, and sit in asynq's archive).
func TestAddPhoneCredentialShapes(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPI(t, env, 20*time.Second, nil)
	auth := map[string]string{"Authorization": "Bearer " + e.key}
	with := func(integration, accSID, token string) map[string]any {
		return map[string]any{"userId": workertest.UserID, "phoneNumber": "12025551234", "integration": integration, "authToken": token, "accSId": accSID}
	}
	for name, c := range map[string]struct {
		body   map[string]any
		detail string
	}{
		"huge token":          {with("twilio", twiliotest.SandboxAccountSID, strings.Repeat("a", 900<<10)), "authToken must be at most 256"},
		"token with a space":  {with("twilio", twiliotest.SandboxAccountSID, "sandbox token"), "authToken must be at most 256"},
		"not a Twilio SID":    {with("twilio", "MA00000000000000SBX1", twiliotest.SandboxAuthToken), "accSId must be a Twilio Account SID"},
		"short Twilio SID":    {with("twilio", "AC0000", twiliotest.SandboxAuthToken), "accSId must be a Twilio Account SID"},
		"not a Plivo Auth ID": {with("plivo", twiliotest.SandboxAccountSID, "sandboxplivotoken"), "accSId must be a Plivo Auth ID"},
		"huge Telnyx accSId":  {with("telnyx", strings.Repeat("x", 65), telnyxtest.SandboxAPIKey), "accSId is not used for Telnyx"},
	} {
		code, body := e.do(t, "POST", "/api/call/add-phone", auth, c.body)
		detail, _ := body["errorMessage"].(string)
		if code != 400 || body["message"] != "Invalid credentials for the integration provider" || !strings.HasPrefix(detail, c.detail) {
			t.Errorf("%s: %d %v, want 400 with %q", name, code, body, c.detail)
		}
	}
	if qs, err := asynq.NewInspectorFromRedisClient(env.Redis).Queues(); err != nil || slices.Contains(qs, jobs.QueueCritical) {
		t.Errorf("queues %v (%v); want nothing ever enqueued", qs, err)
	}
}
