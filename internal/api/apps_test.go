package api_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

const (
	answerURL  = "https://apps.example.com/answer"
	defaultURL = workertest.WebhookBase + "/voice/inbound"
)

var appIDShape = regexp.MustCompile(`^app_[0-9a-f]{24}$`)

// createApp makes an app through the API and returns its id.
func (e *apiEnv) createApp(t *testing.T, key, name string) string {
	t.Helper()
	code, body := e.do(t, "POST", "/sfvopi/apps", xAPIKey(key), map[string]any{"name": name, "answer_url": answerURL + "/" + name})
	if code != 201 {
		t.Fatalf("create app: %d %v", code, body)
	}
	return str(dataOf(body), "app_id")
}

func (e *apiEnv) voiceURL(number string) string {
	n, _ := e.Twilio.Number(twiliotest.SandboxAccountSID, number)
	return n.VoiceURL
}

// TestAppLifecycle walks seeds 000-002 on both stores: create, link, link
// again, list, available numbers, unlink, delete.
func TestAppLifecycle(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		e.mustAddNumbers(t, "+12125551234", "+12025551234")
		auth := xAPIKey(e.key)

		// Create.
		code, body := e.do(t, "POST", "/sfvopi/apps", auth, map[string]any{"name": " Support line ", "answer_url": answerURL, "hangup_url": "https://apps.example.com/hangup"})
		app := dataOf(body)
		appID := str(app, "app_id")
		if code != 201 || !appIDShape.MatchString(appID) || !isoMillis.MatchString(str(app, "created_at")) {
			t.Fatalf("create: %d %v", code, body)
		}
		wantApp := map[string]any{"data": map[string]any{"app_id": appID, "name": "Support line", "answer_url": answerURL,
			"hangup_url": "https://apps.example.com/hangup", "org_id": float64(e.OrgID), "created_at": app["created_at"]}, "message": "success"}
		if diff := cmp.Diff(wantApp, body); diff != "" {
			t.Errorf("create (-want +got):\n%s", diff)
		}
		code, body = e.do(t, "GET", "/sfvopi/apps/"+appID, auth, nil)
		if diff := cmp.Diff(wantApp, body); code != 200 || diff != "" {
			t.Errorf("get: %d (-want +got):\n%s", code, diff)
		}

		// Link (seed 000), with lenient input.
		code, body = e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", auth, map[string]any{"voip_number": "+1 (212) 555-1234"})
		link := dataOf(body)
		if code != 200 || !isoMillis.MatchString(str(link, "created_at")) {
			t.Fatalf("link: %d %v", code, body)
		}
		wantLink := map[string]any{"app_id": appID, "voip_number": "+12125551234", "org_id": float64(e.OrgID), "status": "ACTIVE",
			"created_at": link["created_at"], "updated_at": nil} // seed 000: null if never updated
		if diff := cmp.Diff(map[string]any{"data": wantLink, "message": "success"}, body); diff != "" {
			t.Errorf("link (-want +got):\n%s", diff)
		}
		if got := e.voiceURL("+12125551234"); got != answerURL {
			t.Errorf("number routes to %q, want the app's answer_url", got)
		}

		// Linking again answers the existing link without a job.
		e.Twilio.ResetCalls()
		before := countJobs(t, e, jobs.TypeAttach)
		code, body = e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", auth, map[string]any{"voip_number": "+12125551234"})
		if diff := cmp.Diff(map[string]any{"data": wantLink, "message": "success"}, body); code != 200 || diff != "" {
			t.Errorf("link again: %d (-want +got):\n%s", code, diff)
		}
		if n := countJobs(t, e, jobs.TypeAttach); n != before || e.Twilio.Writes() != 0 {
			t.Errorf("link again made %d jobs and %d provider writes", n-before, e.Twilio.Writes())
		}

		// List (seed 001) and available numbers.
		code, body = e.do(t, "GET", "/sfvopi/apps/"+appID+"/numbers", auth, nil)
		if diff := cmp.Diff(map[string]any{"data": []any{wantLink}, "message": "success"}, body); code != 200 || diff != "" {
			t.Errorf("list: %d (-want +got):\n%s", code, diff)
		}
		code, body = e.do(t, "GET", "/sfvopi/numbers/available", auth, nil)
		avail, _ := body["data"].([]any)
		if code != 200 || len(avail) != 1 {
			t.Fatalf("available: %d %v", code, body)
		}
		item := avail[0].(map[string]any)
		wantItem := map[string]any{"voip_number": "+12025551234", "provider": "twilio", "org_id": float64(e.OrgID), "created_at": item["created_at"]}
		if diff := cmp.Diff(wantItem, item); diff != "" || !isoMillis.MatchString(str(item, "created_at")) {
			t.Errorf("available item (-want +got):\n%s", diff)
		}

		// Unlink (seed 002) with an escaped +.
		code, body = e.raw(t, "DELETE", "/sfvopi/apps/"+appID+"/numbers/%2B12125551234", auth)
		if diff := cmp.Diff(map[string]any{"data": map[string]any{"deleted": true}, "message": "success"}, body); code != 200 || diff != "" {
			t.Errorf("unlink: %d (-want +got):\n%s", code, diff)
		}
		if got := e.voiceURL("+12125551234"); got != defaultURL {
			t.Errorf("unlinked number routes to %q, want the default route", got)
		}
		code, body = e.do(t, "GET", "/sfvopi/apps/"+appID+"/numbers", auth, nil)
		if diff := cmp.Diff(map[string]any{"data": []any{}, "message": "success"}, body); code != 200 || diff != "" {
			t.Errorf("list after unlink: %d (-want +got):\n%s", code, diff)
		}

		// Delete the app with a linked number: the number is unlinked by a job.
		if code, body := e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", auth, map[string]any{"voip_number": "+12025551234"}); code != 200 {
			t.Fatalf("link: %d %v", code, body)
		}
		code, body = e.do(t, "DELETE", "/sfvopi/apps/"+appID, auth, nil)
		if diff := cmp.Diff(map[string]any{"data": map[string]any{"deleted": true}, "message": "success"}, body); code != 200 || diff != "" {
			t.Errorf("delete: %d (-want +got):\n%s", code, diff)
		}
		if code, body := e.do(t, "GET", "/sfvopi/apps/"+appID, auth, nil); code != 404 || body["message"] != "App not found" {
			t.Errorf("get deleted app: %d %v", code, body)
		}
		eventually(t, "the deleted app's number to be unlinked", func() bool {
			_, body := e.do(t, "GET", "/sfvopi/numbers/available", auth, nil)
			avail, _ := body["data"].([]any)
			return len(avail) == 2 && e.voiceURL("+12025551234") == defaultURL
		})
	})
}

// countJobs counts the org's job records of typ.
func countJobs(t *testing.T, e *apiEnv, typ string) int {
	t.Helper()
	js, err := e.Store.ListJobs(context.Background(), store.JobFilter{OrgID: e.OrgID, Type: typ, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(js)
}

func TestCreateAppErrors(t *testing.T) {
	t.Parallel()
	workertest.Each(t, testCreateAppErrors)
}

func testCreateAppErrors(t *testing.T, env *workertest.Env) {
	e := startAPI(t, env, 20*time.Second, nil)
	auth := xAPIKey(e.key)
	cases := []struct {
		name    string
		headers map[string]string
		body    any
		code    int
		message string
	}{
		{"no key", nil, map[string]any{"name": "a", "answer_url": answerURL}, 401, "UnAuthorized, Please Provide Valid API Key"},
		{"wrong key", xAPIKey("sbk_000000000000_00"), map[string]any{"name": "a", "answer_url": answerURL}, 401, "UnAuthorized, Please Provide Valid API Key"},
		{"not JSON", auth, "{", 400, "Invalid request body"},
		{"trailing data", auth, `{"name":"a","answer_url":"https://x.example"} {}`, 400, "Invalid request body"},
		{"wrong type", auth, `{"name":1,"answer_url":"https://x.example"}`, 400, "Invalid request body"},
		{"too large", auth, `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, 400, "Invalid request body"},
		{"no name", auth, map[string]any{"answer_url": answerURL}, 400, "Invalid request body: name is required"},
		{"blank name", auth, map[string]any{"name": "  ", "answer_url": answerURL}, 400, "Invalid request body: name is required"},
		{"long name", auth, map[string]any{"name": strings.Repeat("n", 201), "answer_url": answerURL}, 400, "Invalid request body: name must be at most 200 characters"},
		{"no answer_url", auth, map[string]any{"name": "a"}, 400, "Invalid request body: answer_url must be an absolute http or https URL"},
		{"relative answer_url", auth, map[string]any{"name": "a", "answer_url": "/answer"}, 400, "Invalid request body: answer_url must be an absolute http or https URL"},
		{"ftp answer_url", auth, map[string]any{"name": "a", "answer_url": "ftp://x.example/a"}, 400, "Invalid request body: answer_url must be an absolute http or https URL"},
		{"bad hangup_url", auth, map[string]any{"name": "a", "answer_url": answerURL, "hangup_url": "x"}, 400, "Invalid request body: hangup_url must be an absolute http or https URL"},
		// Names people read cannot hide or disguise themselves.
		{"zero-width name", auth, map[string]any{"name": "\u200b\u200b", "answer_url": answerURL}, 400, "Invalid request body: name must not contain control or invisible formatting characters"},
		{"RTL override", auth, map[string]any{"name": "support\u202egpj.exe", "answer_url": answerURL}, 400, "Invalid request body: name must not contain control or invisible formatting characters"},
		{"ANSI escape", auth, map[string]any{"name": "\u001b[31mred", "answer_url": answerURL}, 400, "Invalid request body: name must not contain control or invisible formatting characters"},
		{"CR/LF", auth, map[string]any{"name": "a\r\nb", "answer_url": answerURL}, 400, "Invalid request body: name must not contain control or invisible formatting characters"},
		{"NUL", auth, map[string]any{"name": "a\u0000b", "answer_url": answerURL}, 400, "Invalid request body: name must not contain control or invisible formatting characters"},
		// Providers fetch these URLs from the internet.
		{"credentials in answer_url", auth, map[string]any{"name": "a", "answer_url": "https://user:pass@x.example/a"}, 400, "Invalid request body: answer_url must not contain a user or password"},
		{"link-local answer_url", auth, map[string]any{"name": "a", "answer_url": "http://169.254.169.254/latest"}, 400, "Invalid request body: answer_url must be reachable from the internet (not a loopback, private or link-local address)"},
		{"loopback hangup_url", auth, map[string]any{"name": "a", "answer_url": answerURL, "hangup_url": "http://localhost/h"}, 400, "Invalid request body: hangup_url must be reachable from the internet (not a loopback, private or link-local address)"},
	}
	for _, c := range cases {
		code, body := e.do(t, "POST", "/sfvopi/apps", c.headers, c.body)
		if diff := cmp.Diff(map[string]any{"message": c.message}, body); code != c.code || diff != "" {
			t.Errorf("%s: %d, want %d; body (-want +got):\n%s", c.name, code, c.code, diff)
		}
	}
	if code, body := e.do(t, "GET", "/sfvopi/apps/app_000000000000000000000000", xAPIKey(e.key), nil); code != 404 || body["message"] != "App not found" {
		t.Errorf("get unknown app: %d %v", code, body)
	}
	if code, body := e.do(t, "GET", "/sfvopi/apps/app_000000000000000000000000", nil, nil); code != 401 || body["message"] != "UnAuthorized, Please Provide Valid API Key" {
		t.Errorf("get without key: %d %v", code, body)
	}
}

// TestLinkNumberErrors checks seed 000's errors in its order; none of them
// enqueues a job or touches the provider.
func TestLinkNumberErrors(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		e.mustAddNumbers(t, "+12125551234", "+12025551234")
		auth := xAPIKey(e.key)
		appID := e.createApp(t, e.key, "one")
		otherApp := e.createApp(t, e.key, "two")
		agentID := e.createAgent(t, e.key, "bot")
		if code, body := e.do(t, "POST", "/sfvopi/apps/"+otherApp+"/numbers", auth, map[string]any{"voip_number": "+12025551234"}); code != 200 {
			t.Fatalf("link: %d %v", code, body)
		}
		e.Twilio.ResetCalls()
		before := countJobs(t, e, jobs.TypeAttach)

		const unknownApp = "app_000000000000000000000000"
		cases := []struct {
			name    string
			headers map[string]string
			app     string
			body    any
			code    int
			message string
		}{
			{"no key", nil, appID, map[string]any{"voip_number": "+12125551234"}, 401, "UnAuthorized, Please Provide Valid API Key"},
			{"wrong key", xAPIKey(e.key + "0"), appID, map[string]any{"voip_number": "+12125551234"}, 401, "UnAuthorized, Please Provide Valid API Key"},
			{"not JSON", auth, appID, "nope", 400, "Invalid request body"},
			{"no number", auth, appID, map[string]any{}, 400, "Invalid request body"},
			{"number not a string", auth, appID, map[string]any{"voip_number": 12125551234}, 400, "Invalid request body"},
			{"unparseable number", auth, appID, map[string]any{"voip_number": "12"}, 400, "Invalid request body"},
			{"letters", auth, appID, map[string]any{"voip_number": "+1 212 FLOWERS"}, 400, "Invalid request body"},
			{"bad body before unknown app", auth, unknownApp, map[string]any{"voip_number": "x"}, 400, "Invalid request body"},
			{"unknown app", auth, unknownApp, map[string]any{"voip_number": "+12125551234"}, 404, "App not found"},
			{"an agent is not an app", auth, agentID, map[string]any{"voip_number": "+12125551234"}, 404, "App not found"},
			{"unknown app before unknown number", auth, unknownApp, map[string]any{"voip_number": "+14155550100"}, 404, "App not found"},
			{"number not in inventory", auth, appID, map[string]any{"voip_number": "+14155550100"}, 400, "Number not found or not owned by organization"},
			{"linked to another app", auth, appID, map[string]any{"voip_number": "+12025551234"}, 409, "Number already linked to another app"},
		}
		for _, c := range cases {
			code, body := e.do(t, "POST", "/sfvopi/apps/"+c.app+"/numbers", c.headers, c.body)
			if diff := cmp.Diff(map[string]any{"message": c.message}, body); code != c.code || diff != "" {
				t.Errorf("%s: %d, want %d; body (-want +got):\n%s", c.name, code, c.code, diff)
			}
		}
		if n := countJobs(t, e, jobs.TypeAttach); n != before || e.Twilio.Writes() != 0 {
			t.Errorf("rejected links made %d jobs and %d provider writes", n-before, e.Twilio.Writes())
		}
	})
}

// TestLinkNumberDefaultRegion: numbers without a country code are read in
// Params.DefaultRegion.
func TestLinkNumberDefaultRegion(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	in := startAPI(t, env, 20*time.Second, nil) // default IN
	us := startAPIWith(t, env, apiParams(20*time.Second, "US"))
	in.mustAddNumbers(t, "+12125551234")
	appID := in.createApp(t, in.key, "one")
	// In India, (212) 555-1234 is +912125551234, which the org does not own.
	if code, body := in.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", xAPIKey(in.key), map[string]any{"voip_number": "(212) 555-1234"}); code != 400 || body["message"] != "Number not found or not owned by organization" {
		t.Errorf("IN: %d %v", code, body)
	}
	code, body := us.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", xAPIKey(us.key), map[string]any{"voip_number": "(212) 555-1234"})
	if code != 200 || dataOf(body)["voip_number"] != "+12125551234" {
		t.Errorf("US: %d %v", code, body)
	}
	// The path of an unlink is read the same way.
	code, body = us.raw(t, "DELETE", "/sfvopi/apps/"+appID+"/numbers/212-555-1234", xAPIKey(us.key))
	if code != 200 {
		t.Errorf("US unlink: %d %v", code, body)
	}
}

// TestLinkNumberProviderFailure: a job that fails at the provider answers
// 500 with the job's message, and the number is not linked.
func TestLinkNumberProviderFailure(t *testing.T) {
	t.Parallel()
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), 20*time.Second, nil)
	e.mustAddNumbers(t, "+12125551234")
	appID := e.createApp(t, e.key, "one")
	if err := e.Twilio.UpdateNumber(twiliotest.SandboxAccountSID, "+12125551234", func(n *twiliotest.Number) { n.TrunkSID = twiliotest.SandboxTrunkSID }); err != nil {
		t.Fatal(err)
	}
	code, body := e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", xAPIKey(e.key), map[string]any{"voip_number": "+12125551234"})
	msg := str(body, "message")
	if code != 500 || !strings.HasPrefix(msg, "Failed to link number: ") || len(msg) <= len("Failed to link number: ") || len(body) != 1 {
		t.Errorf("trunked number: %d %v, want 500 Failed to link number: <error>", code, body)
	}
	if code, body := e.do(t, "GET", "/sfvopi/numbers/available", xAPIKey(e.key), nil); code != 200 || len(body["data"].([]any)) != 1 {
		t.Errorf("after a failed link the number is not available: %v", body)
	}
}

// TestLinkAndUnlinkAnswer202WhenTheProviderIsSlow: past Params.Wait the
// answer is 202 with the job to follow at Location.
func TestLinkAndUnlinkAnswer202WhenTheProviderIsSlow(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPI(t, env, 100*time.Millisecond, nil)
	e.mustAddNumbers(t, "+12125551234")
	appID := e.createApp(t, e.key, "one")
	slow(t, e, 500*time.Millisecond)
	auth := xAPIKey(e.key)

	code, header, body := e.call(t, "POST", "/sfvopi/apps/"+appID+"/numbers", auth, map[string]any{"voip_number": "+12125551234"})
	jobID := str(dataOf(body), "job_id")
	if diff := cmp.Diff(map[string]any{"data": map[string]any{"job_id": jobID, "status_url": "/v1/jobs/" + jobID}, "message": "accepted"}, body); code != 202 || jobID == "" || diff != "" {
		t.Fatalf("slow link: %d (-want +got):\n%s", code, diff)
	}
	if loc := header.Get("Location"); loc != "/v1/jobs/"+jobID {
		t.Errorf("Location = %q, want /v1/jobs/%s", loc, jobID)
	}
	if h := header.Get("Preference-Applied"); h != "" {
		t.Errorf("Preference-Applied = %q on a 202 nobody asked for", h)
	}
	waitJob(t, e, jobID, "succeeded")

	code, header, body = e.call(t, "DELETE", "/sfvopi/apps/"+appID+"/numbers/%2B12125551234", auth, nil)
	jobID = str(dataOf(body), "job_id")
	if code != 202 || jobID == "" || header.Get("Location") != "/v1/jobs/"+jobID || str(dataOf(body), "status_url") != "/v1/jobs/"+jobID {
		t.Fatalf("slow unlink: %d %v %v", code, header, body)
	}
	waitJob(t, e, jobID, "succeeded")
}

// slow makes every Twilio response take d.
func slow(t *testing.T, e *apiEnv, d time.Duration) {
	t.Helper()
	f := e.Twilio.Faults()
	f.Latency = d
	if err := e.Twilio.SetFaults(f); err != nil {
		t.Fatal(err)
	}
}

// waitJob polls GET /v1/jobs/{id} until the job is in state.
func waitJob(t *testing.T, e *apiEnv, id, state string) map[string]any {
	t.Helper()
	var job map[string]any
	eventually(t, "job "+id+" to be "+state, func() bool {
		code, body := e.do(t, "GET", "/v1/jobs/"+id, xAPIKey(e.key), nil)
		job = dataOf(body)
		return code == http.StatusOK && job["state"] == state
	})
	return job
}

func TestListAppNumbers(t *testing.T) {
	t.Parallel()
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), 20*time.Second, nil)
	e.mustAddNumbers(t, "+12125551234", "+12025551234")
	auth := xAPIKey(e.key)
	appID := e.createApp(t, e.key, "one")
	code, body := e.do(t, "GET", "/sfvopi/apps/"+appID+"/numbers", auth, nil)
	if diff := cmp.Diff(map[string]any{"data": []any{}, "message": "success"}, body); code != 200 || diff != "" {
		t.Errorf("no links: %d (-want +got):\n%s", code, diff)
	}
	// A pending link (a job under way) is not listed.
	n, err := e.Store.GetNumber(context.Background(), e.OrgID, "+12025551234")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.CreateLink(context.Background(), store.Link{OrgID: e.OrgID, NumberID: n.ID, TargetID: appID, Status: store.LinkPending, JobID: "x"}); err != nil {
		t.Fatal(err)
	}
	if code, body := e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", auth, map[string]any{"voip_number": "+12125551234"}); code != 200 {
		t.Fatalf("link: %d %v", code, body)
	}
	code, body = e.do(t, "GET", "/sfvopi/apps/"+appID+"/numbers", auth, nil)
	list, _ := body["data"].([]any)
	if code != 200 || len(list) != 1 || list[0].(map[string]any)["voip_number"] != "+12125551234" {
		t.Errorf("list: %d %v, want only the ACTIVE link", code, body)
	}
	for _, c := range []struct {
		name    string
		headers map[string]string
		app     string
		code    int
		message string
	}{
		{"no key", nil, appID, 401, "UnAuthorized, Please Provide Valid API Key"},
		{"unknown app", auth, "app_000000000000000000000000", 404, "App not found"},
	} {
		code, body := e.do(t, "GET", "/sfvopi/apps/"+c.app+"/numbers", c.headers, nil)
		if diff := cmp.Diff(map[string]any{"message": c.message}, body); code != c.code || diff != "" {
			t.Errorf("%s: %d, want %d; body (-want +got):\n%s", c.name, code, c.code, diff)
		}
	}
	if code, body := e.do(t, "GET", "/sfvopi/numbers/available", nil, nil); code != 401 || body["message"] != "UnAuthorized, Please Provide Valid API Key" {
		t.Errorf("available without key: %d %v", code, body)
	}
}

// TestUnlinkNumber: every form of the path's number, and seed 002's errors.
func TestUnlinkNumber(t *testing.T) {
	t.Parallel()
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), 20*time.Second, nil)
	e.mustAddNumbers(t, "+12125551234", "+12025551234")
	auth := xAPIKey(e.key)
	appID := e.createApp(t, e.key, "one")
	otherApp := e.createApp(t, e.key, "two")
	link := func(app, number string) {
		t.Helper()
		if code, body := e.do(t, "POST", "/sfvopi/apps/"+app+"/numbers", auth, map[string]any{"voip_number": number}); code != 200 {
			t.Fatalf("link: %d %v", code, body)
		}
	}
	link(otherApp, "+12025551234")
	deleted := map[string]any{"data": map[string]any{"deleted": true}, "message": "success"}
	for _, path := range []string{"%2B12125551234", "+12125551234", "%2b12125551234", "%2012125551234"} {
		link(appID, "+12125551234")
		code, body := e.raw(t, "DELETE", "/sfvopi/apps/"+appID+"/numbers/"+path, auth)
		if diff := cmp.Diff(deleted, body); code != 200 || diff != "" {
			t.Errorf("DELETE .../numbers/%s: %d (-want +got):\n%s", path, code, diff)
		}
	}

	e.Twilio.ResetCalls()
	before := countJobs(t, e, jobs.TypeUnlink)
	for _, c := range []struct {
		name    string
		headers map[string]string
		path    string
		code    int
		message string
	}{
		{"no key", nil, appID + "/numbers/%2B12025551234", 401, "UnAuthorized, Please Provide Valid API Key"},
		{"unknown app", auth, "app_000000000000000000000000/numbers/%2B12025551234", 404, "App not found"},
		{"unknown app, garbage number", auth, "app_000000000000000000000000/numbers/xyz", 404, "App not found"},
		{"linked to another app", auth, appID + "/numbers/%2B12025551234", 404, "Number not linked to this app"},
		{"not linked at all", auth, appID + "/numbers/%2B12125551234", 404, "Number not linked to this app"},
		{"not in inventory", auth, appID + "/numbers/%2B14155550100", 404, "Number not linked to this app"},
		{"not a number", auth, appID + "/numbers/xyz", 404, "Number not linked to this app"},
	} {
		code, body := e.raw(t, "DELETE", "/sfvopi/apps/"+c.path, c.headers)
		if diff := cmp.Diff(map[string]any{"message": c.message}, body); code != c.code || diff != "" {
			t.Errorf("%s: %d, want %d; body (-want +got):\n%s", c.name, code, c.code, diff)
		}
	}
	if n := countJobs(t, e, jobs.TypeUnlink); n != before || e.Twilio.Writes() != 0 {
		t.Errorf("rejected unlinks made %d jobs and %d provider writes", n-before, e.Twilio.Writes())
	}
	if got := e.voiceURL("+12025551234"); got != answerURL+"/two" {
		t.Errorf("the other app's number routes to %q", got)
	}
}

// TestUnlinkNumberProviderFailure: an unlink job that fails answers 500
// with its message.
func TestUnlinkNumberProviderFailure(t *testing.T) {
	t.Parallel()
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), 20*time.Second, nil)
	e.mustAddNumbers(t, "+12125551234")
	appID := e.createApp(t, e.key, "one")
	if code, body := e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", xAPIKey(e.key), map[string]any{"voip_number": "+12125551234"}); code != 200 {
		t.Fatalf("link: %d %v", code, body)
	}
	if err := e.Twilio.UpdateNumber(twiliotest.SandboxAccountSID, "+12125551234", func(n *twiliotest.Number) { n.TrunkSID = twiliotest.SandboxTrunkSID }); err != nil {
		t.Fatal(err)
	}
	code, body := e.raw(t, "DELETE", "/sfvopi/apps/"+appID+"/numbers/%2B12125551234", xAPIKey(e.key))
	if msg := str(body, "message"); code != 500 || !strings.HasPrefix(msg, "Failed to unlink number: ") || len(msg) <= len("Failed to unlink number: ") {
		t.Errorf("unlink of a trunked number: %d %v, want 500 Failed to unlink number: <error>", code, body)
	}
}

func TestDeleteApp(t *testing.T) {
	t.Parallel()
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), 20*time.Second, nil)
	e.mustAddNumbers(t, "+12125551234", "+12025551234")
	auth := xAPIKey(e.key)
	appID := e.createApp(t, e.key, "one")
	agentID := e.createAgent(t, e.key, "bot")
	for _, n := range []string{"+12125551234", "+12025551234"} {
		if code, body := e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", auth, map[string]any{"voip_number": n}); code != 200 {
			t.Fatalf("link: %d %v", code, body)
		}
	}
	queued := func() int { return len(tasksOf(t, e, jobs.TypeDeleteTarget)) }
	before := countJobs(t, e, jobs.TypeUnlink)
	for _, c := range []struct {
		name    string
		headers map[string]string
		app     string
		code    int
		message string
	}{
		{"no key", nil, appID, 401, "UnAuthorized, Please Provide Valid API Key"},
		{"unknown app", auth, "app_000000000000000000000000", 404, "App not found"},
		{"an agent is not an app", auth, agentID, 404, "App not found"},
		{"callback_url refused", auth, appID + "?callback_url=" + url.QueryEscape("http://10.0.0.1/hook"), 400, "Invalid callback_url: address is not public: 10.0.0.1"},
	} {
		code, body := e.do(t, "DELETE", "/sfvopi/apps/"+c.app, c.headers, nil)
		if diff := cmp.Diff(map[string]any{"message": c.message}, body); code != c.code || diff != "" {
			t.Errorf("%s: %d, want %d; body (-want +got):\n%s", c.name, code, c.code, diff)
		}
	}
	if n := countJobs(t, e, jobs.TypeUnlink); n != before || queued() != 0 {
		t.Errorf("rejected deletes made %d unlink and %d delete jobs", n-before, queued())
	}

	// One target:delete job; the answer waits for it, so the numbers are
	// back on the default route when it comes.
	code, body := e.do(t, "DELETE", "/sfvopi/apps/"+appID, auth, nil)
	if diff := cmp.Diff(map[string]any{"data": map[string]any{"deleted": true}, "message": "success"}, body); code != 200 || diff != "" {
		t.Fatalf("delete: %d (-want +got):\n%s", code, diff)
	}
	if n := countJobs(t, e, jobs.TypeUnlink); n != before || queued() != 1 {
		t.Errorf("delete made %d unlink and %d delete jobs, want one delete job", n-before, queued())
	}
	// Every path under a deleted app is 404 App not found.
	for _, c := range []struct{ method, path string }{
		{"GET", "/sfvopi/apps/" + appID},
		{"DELETE", "/sfvopi/apps/" + appID},
		{"GET", "/sfvopi/apps/" + appID + "/numbers"},
		{"POST", "/sfvopi/apps/" + appID + "/numbers"},
		{"DELETE", "/sfvopi/apps/" + appID + "/numbers/%2B12125551234"},
	} {
		code, body := e.do(t, c.method, c.path, auth, map[string]any{"voip_number": "+12125551234"})
		if code != 404 || body["message"] != "App not found" {
			t.Errorf("%s %s after delete: %d %v", c.method, c.path, code, body)
		}
	}
	_, body = e.do(t, "GET", "/sfvopi/numbers/available", auth, nil)
	if avail, _ := body["data"].([]any); len(avail) != 2 {
		t.Errorf("available after delete: %v, want both numbers", body)
	}
	for _, n := range []string{"+12125551234", "+12025551234"} {
		if got := e.voiceURL(n); got != defaultURL {
			t.Errorf("%s routes to %q after its app was deleted", n, got)
		}
	}
	// The freed numbers can be linked again, to an agent.
	code, body = e.do(t, "POST", "/api/agent/attach-phone-number", token(e.key),
		map[string]any{"agent_id": agentID, "provider": "twilio", "numbers": []string{"+12125551234"}})
	if code != 200 {
		t.Errorf("attach a freed number: %d %v", code, body)
	}
}

// TestDeleteAppAfterWait: an app whose numbers take longer to unlink than
// the server waits answers 202 in the respond-async shape, without
// Preference-Applied; the job goes on and deletes the app.
func TestDeleteAppAfterWait(t *testing.T) {
	t.Parallel()
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), 300*time.Millisecond, nil)
	e.mustAddNumbers(t, "+12125551234")
	appID := e.createApp(t, e.key, "one")
	// The link may outlast the short wait itself (a loaded machine).
	switch code, body := e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", xAPIKey(e.key), map[string]any{"voip_number": "+12125551234"}); code {
	case 200:
	case 202:
		waitJob(t, e, str(dataOf(body), "job_id"), "succeeded")
	default:
		t.Fatalf("link: %d %v", code, body)
	}
	slow(t, e, 400*time.Millisecond)
	code, header, body := e.call(t, "DELETE", "/sfvopi/apps/"+appID, xAPIKey(e.key), nil)
	id := str(dataOf(body), "job_id")
	if diff := cmp.Diff(map[string]any{"data": map[string]any{"job_id": id, "status_url": "/v1/jobs/" + id}, "message": "accepted"}, body); code != 202 || id == "" || diff != "" {
		t.Fatalf("delete after the wait: %d (-want +got):\n%s", code, diff)
	}
	if header.Get("Location") != "/v1/jobs/"+id || header.Get("Preference-Applied") != "" {
		t.Errorf("delete after the wait: headers %v, want Location and no Preference-Applied", header)
	}
	job := waitJob(t, e, id, "succeeded")
	if res, _ := job["result"].(map[string]any); res["deleted"] != true || len(res["numbers"].([]any)) != 1 {
		t.Errorf("job result %v, want the app deleted with its one number", job["result"])
	}
	if code, body := e.do(t, "GET", "/sfvopi/apps/"+appID, xAPIKey(e.key), nil); code != 404 || body["message"] != "App not found" {
		t.Errorf("get after the job: %d %v", code, body)
	}
	if got := e.voiceURL("+12125551234"); got != defaultURL {
		t.Errorf("the number routes to %q after the delete", got)
	}
}
