package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// receiver is a callback endpoint that keeps the events whose signature
// verifies with workertest.CallbackSecret, and counts the others.
type receiver struct {
	mu       sync.Mutex
	events   map[string]map[string]any // by job_id
	unsigned int
}

func startReceiver(t *testing.T) (*receiver, string) {
	t.Helper()
	rc := &receiver{events: map[string]map[string]any{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if callback.Verify([]byte(workertest.CallbackSecret), r.Header.Get("Switchboard-Signature"), body, time.Now(), 5*time.Minute) != nil {
			rc.unsigned++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var ev map[string]any
		if json.Unmarshal(body, &ev) == nil {
			rc.events[str(ev, "job_id")] = ev
		}
	}))
	t.Cleanup(srv.Close)
	return rc, srv.URL
}

// event waits for the signed event of job id.
func (rc *receiver) event(t *testing.T, id string) map[string]any {
	t.Helper()
	var ev map[string]any
	eventually(t, "the callback of "+id, func() bool {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		ev = rc.events[id]
		return ev != nil
	})
	return ev
}

// TestCallbackURLIsDelivered: a callback_url given to each endpoint that
// enqueues a job travels with the job, and the job's event arrives at it,
// signed with the callback secret.
func TestCallbackURLIsDelivered(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		// The receiver is on loopback, which only a development policy allows.
		e := startAPIWith(t, env, api.Params{Wait: 20 * time.Second, Callbacks: callback.Policy{AllowPrivate: true}})
		rc, hook := startReceiver(t)
		e.mustAddNumbers(t, "+12125551234", "+12025551234")
		appID := e.createApp(t, e.key, "one")
		agentID := e.createAgent(t, e.key, "one")
		async := map[string]string{"Prefer": "respond-async"}
		auth := func(h map[string]string) map[string]string {
			for k, v := range async {
				h[k] = v
			}
			return h
		}
		jobOf := func(what string, code int, body map[string]any) string {
			t.Helper()
			id := str(dataOf(body), "job_id")
			if code != 202 || id == "" {
				t.Fatalf("%s with callback_url: %d %v", what, code, body)
			}
			return id
		}
		want := func(what, id, typ string) map[string]any {
			t.Helper()
			ev := rc.event(t, id)
			if ev["type"] != typ || ev["state"] != "succeeded" || ev["org_id"] != float64(e.OrgID) {
				t.Errorf("%s callback = %v, want %s succeeded", what, ev, typ)
			}
			// Times in the API's one precision (docs/callbacks.md).
			if !isoMillis.MatchString(str(ev, "occurred_at")) {
				t.Errorf("%s callback occurred_at %q, want ISO 8601 with milliseconds", what, ev["occurred_at"])
			}
			return ev
		}

		code, body := e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", auth(xAPIKey(e.key)), map[string]any{"voip_number": "+12125551234", "callback_url": hook + "/link"})
		ev := want("link", jobOf("link", code, body), "number:attach")
		if n, _ := dataOf(ev)["numbers"].([]any); len(n) != 1 || !isoMillis.MatchString(str(n[0].(map[string]any), "linked_at")) {
			t.Errorf("link callback data %v, want linked_at with milliseconds", ev["data"])
		}
		waitJob(t, e, str(dataOf(body), "job_id"), "succeeded")

		code, body = e.do(t, "DELETE", "/sfvopi/apps/"+appID+"/numbers/%2B12125551234?callback_url="+url.QueryEscape(hook+"/unlink"), auth(xAPIKey(e.key)), nil)
		want("unlink", jobOf("unlink", code, body), "number:unlink")

		code, body = e.do(t, "POST", "/api/agent/attach-phone-number", auth(token(e.key)),
			map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12025551234"}, "callback_url": hook + "/attach"})
		want("attach", jobOf("attach", code, body), "number:attach")

		b := addPhoneBody("14155550100", twiliotest.SandboxAuthToken)
		b["callback_url"] = hook + "/add"
		code, body = e.do(t, "POST", "/api/call/add-phone", auth(bearer(e.key)), b)
		ev = want("add-phone", jobOf("add-phone", code, body), "number:add")
		if !isoMillis.MatchString(str(dataOf(ev), "created_at")) {
			t.Errorf("add-phone callback data %v, want created_at with milliseconds", ev["data"])
		}

		code, body = e.do(t, "DELETE", "/sfvopi/apps/"+appID+"?callback_url="+url.QueryEscape(hook+"/delete"), auth(xAPIKey(e.key)), nil)
		want("delete app", jobOf("delete app", code, body), "target:delete")

		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.unsigned != 0 {
			t.Errorf("%d callbacks did not verify", rc.unsigned)
		}
	})
}

// TestCallbackURLIsCheckedFirst: under the production policy a private
// callback_url (or one that is not http) is a 400 with the reason, in the
// family's envelope, and no job is enqueued.
func TestCallbackURLIsCheckedFirst(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPI(t, env, 20*time.Second, nil)
	e.mustAddNumbers(t, "+12125551234", "+12025551234")
	appID := e.createApp(t, e.key, "one")
	agentID := e.createAgent(t, e.key, "one")
	link := func(app, number string) {
		if code, body := e.do(t, "POST", "/sfvopi/apps/"+app+"/numbers", xAPIKey(e.key), map[string]any{"voip_number": number}); code != 200 {
			t.Fatalf("link: %d %v", code, body)
		}
	}
	link(appID, "+12025551234")
	const private = "http://169.254.169.254/latest"
	const why = "address is not public: 169.254.169.254"
	b := addPhoneBody("14155550100", twiliotest.SandboxAuthToken)
	b["callback_url"] = private
	for _, c := range []struct {
		what, method, path string
		headers            map[string]string
		body               any
		message            string
	}{
		{"link", "POST", "/sfvopi/apps/" + appID + "/numbers", xAPIKey(e.key), map[string]any{"voip_number": "+12125551234", "callback_url": private}, "Invalid callback_url: " + why},
		{"link ftp", "POST", "/sfvopi/apps/" + appID + "/numbers", xAPIKey(e.key), map[string]any{"voip_number": "+12125551234", "callback_url": "ftp://example.com/x"}, "Invalid callback_url: URL scheme must be http or https"},
		{"unlink", "DELETE", "/sfvopi/apps/" + appID + "/numbers/%2B12025551234?callback_url=" + url.QueryEscape(private), xAPIKey(e.key), nil, "Invalid callback_url: " + why},
		{"delete app", "DELETE", "/sfvopi/apps/" + appID + "?callback_url=" + url.QueryEscape(private), xAPIKey(e.key), nil, "Invalid callback_url: " + why},
		{"attach", "POST", "/api/agent/attach-phone-number", token(e.key), map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12125551234"}, "callback_url": private}, "Invalid callback_url: " + why},
		{"add-phone", "POST", "/api/call/add-phone", bearer(e.key), b, "Invalid callback_url: " + why},
	} {
		code, body := e.do(t, c.method, c.path, c.headers, c.body)
		got := str(body, "message")
		if d := str(body, "errorMessage"); d != "" {
			got += ": " + d
		}
		if code != 400 || got != c.message {
			t.Errorf("%s: %d %v, want 400 %q", c.what, code, body, c.message)
		}
	}
	if n := countJobs(t, e, "number:attach"); n != 1 {
		t.Errorf("%d attach jobs, want only the setup's", n)
	}
	if n := countJobs(t, e, "number:unlink") + countJobs(t, e, "number:add"); n != 2 {
		t.Errorf("%d unlink and add jobs, want only the setup's two adds", n)
	}
	if ids := tasksOf(t, e, "target:delete"); len(ids) != 0 {
		t.Errorf("delete jobs %v enqueued for a refused callback_url", ids)
	}
}
