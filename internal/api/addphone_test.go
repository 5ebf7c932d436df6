package api_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

func addPhoneBody(phone, token string) map[string]any {
	return map[string]any{
		"userId": workertest.UserID, "phoneNumber": phone, "integration": "twilio",
		"authToken": token, "accSId": twiliotest.SandboxAccountSID,
	}
}

// TestAddPhoneDefaultWait: a server built without Params.Wait waits for
// the job (up to the documented 20 s) like one that sets it, so a quick
// add answers 201 with the number, not 202 with a job to poll.
func TestAddPhoneDefaultWait(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPIWith(t, env, api.Params{})
		code, body := e.do(t, "POST", "/api/call/add-phone", map[string]string{"Authorization": "Bearer " + e.key},
			addPhoneBody("12125551234", twiliotest.SandboxAuthToken))
		if code != 201 || body["message"] != "Phone number added successfully" {
			t.Errorf("status %d, body %v; want 201, the number added", code, body)
		}
	})
}

func TestAddPhoneCreated(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		code, body := e.do(t, "POST", "/api/call/add-phone", map[string]string{"Authorization": "Bearer " + e.key},
			addPhoneBody("12125551234", twiliotest.SandboxAuthToken))
		if code != 201 {
			t.Fatalf("status %d, body %v", code, body)
		}
		data, _ := body["data"].(map[string]any)
		id, _ := data["_id"].(string)
		createdAt, _ := data["createdAt"].(string)
		if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(id) {
			t.Errorf("_id = %q, want 24 hex characters", id)
		}
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(createdAt) {
			t.Errorf("createdAt = %q, want ISO 8601 with milliseconds in UTC", createdAt)
		}
		want := map[string]any{
			"message": "Phone number added successfully", "status": true, "code": float64(201), "errorMessage": "",
			"data": map[string]any{"_id": id, "userId": workertest.UserID, "phoneNumber": "12125551234",
				"integration": "twilio", "createdAt": createdAt},
		}
		if diff := cmp.Diff(want, body); diff != "" {
			t.Errorf("response (-want +got):\n%s", diff)
		}

		// Again: the number already exists for this user.
		code, body = e.do(t, "POST", "/api/call/add-phone", map[string]string{"Authorization": "Bearer " + e.key},
			addPhoneBody("+12125551234", twiliotest.SandboxAuthToken))
		if code != 400 || body["message"] != "Phone number already exists for this user" || body["status"] != false || body["code"] != float64(400) {
			t.Errorf("second add: %d %v", code, body)
		}
	})
}

func TestAddPhoneErrors(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		auth := map[string]string{"Authorization": "Bearer " + e.key}
		with := func(k string, v any) map[string]any {
			b := addPhoneBody("12025551234", twiliotest.SandboxAuthToken)
			b[k] = v
			return b
		}
		cases := []struct {
			name    string
			headers map[string]string
			body    any
			code    int
			message string
		}{
			{"no key", nil, addPhoneBody("12025551234", twiliotest.SandboxAuthToken), 401, "Unauthorized"},
			{"wrong key", map[string]string{"Authorization": "Bearer sbk_000000000000_00"}, addPhoneBody("12025551234", "x"), 401, "Unauthorized"},
			{"right key id, wrong secret", map[string]string{"Authorization": "Bearer " + e.key[:len(e.key)-2] + "00"}, addPhoneBody("12025551234", "x"), 401, "Unauthorized"},
			{"not JSON", auth, "{", 400, "Invalid request body"},
			{"bad user id", auth, with("userId", "123"), 400, "Invalid User ID format"},
			{"unknown user", auth, with("userId", "ffffffffffffffffffffffff"), 404, "User not found"},
			{"unsupported integration", auth, with("integration", "vonage"), 400, "Unsupported integration"},
			{"bad number", auth, with("phoneNumber", "12"), 400, "Invalid phone number"},
			{"missing token", auth, with("authToken", ""), 400, "Invalid credentials for the integration provider"},
			{"wrong token", auth, with("authToken", "wrongtoken"), 400, "Invalid credentials for the integration provider"},
			{"not owned", auth, with("phoneNumber", "12125550000"), 400, "Phone number is not owned by the integration account"},
		}
		for _, c := range cases {
			code, body := e.do(t, "POST", "/api/call/add-phone", c.headers, c.body)
			if code != c.code || body["message"] != c.message || body["status"] != false || body["code"] != float64(c.code) || body["data"] != nil {
				t.Errorf("%s: %d %v, want %d %q", c.name, code, body, c.code, c.message)
			}
		}
		if env.Twilio.Writes() != 0 {
			t.Errorf("rejected requests made %d provider writes", env.Twilio.Writes())
		}
	})
}

func TestAddPhoneAnswers202WhenTheProviderIsSlow(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	f := env.Twilio.Faults()
	f.Latency = 500 * time.Millisecond
	if err := env.Twilio.SetFaults(f); err != nil {
		t.Fatal(err)
	}
	e := startAPI(t, env, 100*time.Millisecond, nil)
	code, body := e.do(t, "POST", "/api/call/add-phone", map[string]string{"Authorization": "Bearer " + e.key},
		addPhoneBody("12025551234", twiliotest.SandboxAuthToken))
	jobID := str(dataOf(body), "job_id")
	want := map[string]any{"message": "Phone number is being added", "status": true, "code": float64(202), "errorMessage": "",
		// No "state": the job's state is at status_url.
		"data": map[string]any{"job_id": jobID, "status_url": "/v1/jobs/" + jobID}}
	if diff := cmp.Diff(want, body); code != 202 || jobID == "" || diff != "" {
		t.Errorf("slow provider: %d, want 202 with the job (-want +got):\n%s", code, diff)
	}
}
