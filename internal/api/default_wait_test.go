package api_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestDefaultWait: a server started without Params.Wait still waits for a
// quick job (the default is 20 s) and answers with its outcome, not 202
// (kills the default dropped or made zero, server.go's p.Wait <= 0).
func TestDefaultWait(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPI(t, env, 0, nil)
	code, body := e.do(t, "POST", "/api/call/add-phone", bearer(e.key), addPhoneBody("12125551234", twiliotest.SandboxAuthToken))
	if code != 201 || body["message"] != "Phone number added successfully" {
		t.Errorf("add-phone without Params.Wait: %d %v, want 201", code, body)
	}
}
