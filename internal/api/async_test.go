package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// wantAsync fails the test unless an answer is a 202 given at once for
// Prefer: respond-async: the job in data (job_id, status_url), Location at
// status_url and Preference-Applied. It returns the job id.
func wantAsync(t *testing.T, what string, code int, header http.Header, data map[string]any) string {
	t.Helper()
	id := str(data, "job_id")
	if code != http.StatusAccepted || id == "" {
		t.Fatalf("%s with Prefer: respond-async: %d %v, want 202 with the job", what, code, data)
	}
	if got := str(data, "status_url"); got != "/v1/jobs/"+id {
		t.Errorf("%s: status_url = %q, want /v1/jobs/%s", what, got, id)
	}
	if got := header.Get("Location"); got != "/v1/jobs/"+id {
		t.Errorf("%s: Location = %q, want /v1/jobs/%s", what, got, id)
	}
	if got := header.Get("Preference-Applied"); got != "respond-async" {
		t.Errorf("%s: Preference-Applied = %q, want respond-async", what, got)
	}
	return id
}

// TestPreferRespondAsync: every endpoint that enqueues a job answers 202
// at once for Prefer: respond-async, although the server would wait 20s
// and the job takes about a second; the job goes on. Endpoints that
// enqueue nothing answer as usual, without Preference-Applied.
func TestPreferRespondAsync(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		e.mustAddNumbers(t, "+12125551234", "+12025551234")
		appID := e.createApp(t, e.key, "one")
		agentID := e.createAgent(t, e.key, "one")
		slow(t, e, 300*time.Millisecond)
		prefer := func(h map[string]string, v string) map[string]string {
			h["Prefer"] = v
			return h
		}

		code, header, body := e.call(t, "POST", "/sfvopi/apps/"+appID+"/numbers", prefer(xAPIKey(e.key), "respond-async"), map[string]any{"voip_number": "+12125551234"})
		id := wantAsync(t, "link", code, header, dataOf(body))
		if diff := cmp.Diff(map[string]any{"data": map[string]any{"job_id": id, "status_url": "/v1/jobs/" + id}, "message": "accepted"}, body); diff != "" {
			t.Errorf("link (-want +got):\n%s", diff)
		}
		waitJob(t, e, id, "succeeded")

		// Preferences are a list, case-insensitive, and may have values
		// (wait=0: answer asynchronously after no wait at all).
		code, header, body = e.call(t, "DELETE", "/sfvopi/apps/"+appID+"/numbers/%2B12125551234", prefer(xAPIKey(e.key), "wait=0, Respond-Async"), nil)
		waitJob(t, e, wantAsync(t, "unlink", code, header, dataOf(body)), "succeeded")

		code, header, body = e.call(t, "POST", "/api/agent/attach-phone-number", prefer(token(e.key), "respond-async"),
			map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12025551234"}})
		checkAgentEnvelope(t, "attach", code, body)
		id = wantAsync(t, "attach", code, header, dataOf(body))
		if diff := cmp.Diff(map[string]any{"agent_id": agentID, "phone_numbers": []any{"+12025551234"}, "provider": "twilio",
			"job_id": id, "status_url": "/v1/jobs/" + id}, dataOf(body)); diff != "" {
			t.Errorf("attach data (-want +got):\n%s", diff)
		}
		waitJob(t, e, id, "succeeded")

		code, header, body = e.call(t, "POST", "/api/call/add-phone", prefer(bearer(e.key), "respond-async"), addPhoneBody("14155550100", twiliotest.SandboxAuthToken))
		id = wantAsync(t, "add-phone", code, header, dataOf(body))
		if body["status"] != true || body["code"] != float64(202) {
			t.Errorf("add-phone envelope: %v", body)
		}
		waitJob(t, e, id, "succeeded")

		// Deleting an app is one job too.
		code, header, body = e.call(t, "DELETE", "/sfvopi/apps/"+appID, prefer(xAPIKey(e.key), "respond-async"), nil)
		id = wantAsync(t, "delete app", code, header, dataOf(body))
		if diff := cmp.Diff(map[string]any{"data": map[string]any{"job_id": id, "status_url": "/v1/jobs/" + id}, "message": "accepted"}, body); diff != "" {
			t.Errorf("delete app (-want +got):\n%s", diff)
		}
		if job := waitJob(t, e, id, "succeeded"); job["type"] != jobs.TypeDeleteTarget {
			t.Errorf("delete app job %v, want a %s job", job, jobs.TypeDeleteTarget)
		}

		// Nothing to wait for: the preference changes nothing.
		for _, c := range []struct {
			method, path string
			headers      map[string]string
			body         any
			code         int
		}{
			{"POST", "/sfvopi/apps", xAPIKey(e.key), map[string]any{"name": "two", "answer_url": "https://example.com/a"}, 201},
			{"POST", "/api/agent", token(e.key), map[string]any{"name": "two", "answer_url": "https://example.com/a"}, 201},
			{"POST", "/api/users", bearer(e.key), map[string]any{"name": "Grace"}, 201},
		} {
			code, header, body := e.call(t, c.method, c.path, prefer(c.headers, "respond-async"), c.body)
			if code != c.code || header.Get("Preference-Applied") != "" {
				t.Errorf("%s %s with Prefer: respond-async: %d %v %v, want %d without Preference-Applied", c.method, c.path, code, header, body, c.code)
			}
		}
	})
}

// TestPreferRespondAsyncIsIdempotent: with an Idempotency-Key the
// immediate 202 is stored and replayed, its headers included, and the
// replay is still a valid 202 (checked against openapi.json by send).
func TestPreferRespondAsyncIsIdempotent(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPI(t, env, 20*time.Second, nil)
	auth := with(bearer(e.key), "async-1")
	auth["Prefer"] = "respond-async"
	body := mustJSON(addPhoneBody("12025551234", twiliotest.SandboxAuthToken))
	first := e.send(t, "POST", "/api/call/add-phone", auth, body)
	id := wantAsync(t, "add-phone", first.status, first.header, dataOf(first.json(t)))
	waitJob(t, e, id, "succeeded")
	wantReplay(t, "202", first, e.send(t, "POST", "/api/call/add-phone", auth, body))
}

// TestPreferWait: Prefer: wait=N (RFC 7240) bounds how long a request
// waits for its job, capped by the server's own wait; with respond-async
// too, the server waits that long before answering asynchronously. A 202
// after a wait ran out has the respond-async shape (job_id, status_url,
// Location), with Preference-Applied only when respond-async was asked.
func TestPreferWait(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 2*time.Second, nil)
		e.mustAddNumbers(t, "+12125551234", "+12025551234", "+14155550100")
		appID := e.createApp(t, e.key, "one")
		link := func(number, prefer string) (int, http.Header, map[string]any, time.Duration) {
			t.Helper()
			h := xAPIKey(e.key)
			h["Prefer"] = prefer
			start := time.Now()
			code, header, body := e.call(t, "POST", "/sfvopi/apps/"+appID+"/numbers", h, map[string]any{"voip_number": number})
			return code, header, body, time.Since(start)
		}

		// Each provider call takes 1.5 s; a link makes two.
		slow(t, e, 1500*time.Millisecond)
		code, header, body, took := link("+12125551234", "wait=1")
		if id := str(dataOf(body), "job_id"); code != 202 || id == "" || str(dataOf(body), "status_url") != "/v1/jobs/"+id || header.Get("Location") != "/v1/jobs/"+id {
			t.Errorf("wait=1 on a slow job: %d %v %v, want 202 with the job", code, header, body)
		} else {
			waitJob(t, e, id, "succeeded")
		}
		if header.Get("Preference-Applied") != "" || took < time.Second || took > 1700*time.Millisecond {
			t.Errorf("wait=1 answered after %v with Preference-Applied %q; want about 1s, none", took, header.Get("Preference-Applied"))
		}
		// Capped by the server's 2 s.
		if code, _, _, took := link("+12025551234", "wait=600"); code != 202 || took < 2*time.Second || took > 3500*time.Millisecond {
			t.Errorf("wait=600: %d after %v, want 202 after the server's 2s", code, took)
		}

		// respond-async with a wait long enough: the job's own answer.
		slow(t, e, 0)
		if code, header, body, _ := link("+14155550100", "respond-async, wait=2"); code != 200 || header.Get("Preference-Applied") != "" {
			t.Errorf("respond-async, wait=2 on a quick job: %d %v %v, want 200 without Preference-Applied", code, header, body)
		}
		// A value that is not delta-seconds is ignored.
		if code, _, body, _ := link("+14155550100", "wait=soon"); code != 200 {
			t.Errorf("wait=soon: %d %v, want the usual 200", code, body)
		}
	})
}
