package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// The fuzz targets below send arbitrary bodies to every endpoint that
// reads one, through the whole handler (authentication, idempotency, body
// decoding, validation, the store and the job queue). Properties: the
// handler never panics and never answers 5xx (bad input is the client's
// error: a 4xx), every answer is a JSON object, and every 4xx carries a
// message in its family's envelope. The seed corpus is each endpoint's
// documented body and near misses, plus testdata/fuzz/<target>.

// fuzzAPI is the API on a fresh SQLite back end, with a worker, an app, an
// agent and the org's key. Requests wait 1 ms for their jobs, so a body
// that enqueues one answers 202 at once.
type fuzzAPI struct {
	h                   http.Handler
	key, appID, agentID string
}

func newFuzzAPI(f *testing.F) *fuzzAPI {
	env := workertest.Start(f, workertest.Backends()[0].Open(f))
	h := api.NewServer(api.Params{Store: env.Store, Jobs: env.Jobs, Wait: time.Millisecond,
		Ping: func(context.Context) error { return nil }, Logger: slog.New(slog.DiscardHandler)})
	plain, k := api.NewAPIKey(env.OrgID)
	ctx := context.Background()
	mustF(f, env.Store.CreateAPIKey(ctx, k))
	_, err := env.Store.CreateTarget(ctx, store.Target{ID: "app_000000000000000000000001", OrgID: env.OrgID, Kind: store.TargetApp, Name: "app", AnswerURL: "https://example.com/a"})
	mustF(f, err)
	_, err = env.Store.CreateTarget(ctx, store.Target{ID: "agent_000000000000000000000001", OrgID: env.OrgID, Kind: store.TargetAgent, Name: "agent", AnswerURL: "https://example.com/b"})
	mustF(f, err)
	return &fuzzAPI{h: h, key: plain, appID: "app_000000000000000000000001", agentID: "agent_000000000000000000000001"}
}

func mustF(f *testing.F, err error) {
	f.Helper()
	if err != nil {
		f.Fatal(err)
	}
}

// fuzzBody adds seeds and fuzzes the body of method path, authenticated
// with header (its value the org's key, with prefix).
func fuzzBody(f *testing.F, method string, path func(*fuzzAPI) string, header, prefix string, seeds ...string) {
	a := newFuzzAPI(f)
	for _, s := range append(seeds, ``, `{}`, `null`, `[]`, `{"`, `{}{}`, `{} x`, "\xff", `{"a":1}`, `[[[[[[[[[[]]]]]]]]]]`) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(method, path(a), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(header, prefix+a.key)
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("body %q: answer %d is not a JSON object: %q", body, rec.Code, rec.Body.Bytes())
		}
		switch {
		case rec.Code >= 500:
			t.Fatalf("body %q: %d %s, want a 4xx for bad input", body, rec.Code, rec.Body.Bytes())
		case rec.Code >= 400 && errorMessage(out) == "":
			t.Fatalf("body %q: %d without a message: %s", body, rec.Code, rec.Body.Bytes())
		}
	})
}

// errorMessage is the message of an error answer in any family's
// envelope: {"message"}, {"error": {"message"}}.
func errorMessage(body map[string]any) string {
	if m, ok := body["message"].(string); ok {
		return m
	}
	e, _ := body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func FuzzCreateAppBody(f *testing.F) {
	fuzzBody(f, "POST", func(*fuzzAPI) string { return "/sfvopi/apps" }, "X-API-Key", "",
		`{"name":"Support","answer_url":"https://example.com/answer","hangup_url":"https://example.com/hangup"}`,
		`{"name":"\u200b","answer_url":"https://example.com/answer"}`,
		`{"name":"x","answer_url":"http://user:pass@10.0.0.1/"}`,
		`{"name":"x","answer_url":"https://example.com","extra":1}`)
}

func FuzzLinkNumberBody(f *testing.F) {
	fuzzBody(f, "POST", func(a *fuzzAPI) string { return "/sfvopi/apps/" + a.appID + "/numbers" }, "X-API-Key", "",
		`{"voip_number":"+12125551234"}`, `{"voip_number":"+1212555123456789"}`, `{"voip_number":"١٢١٢٥٥٥١٢٣٤"}`,
		`{"voip_number":"+12125551234","callback_url":"http://169.254.169.254/"}`, `{"voip_number":12125551234}`)
}

func FuzzCreateAgentBody(f *testing.F) {
	fuzzBody(f, "POST", func(*fuzzAPI) string { return "/api/agent" }, "token", "",
		`{"name":"Bot","answer_url":"https://example.com/answer"}`, `{"name":"\u202eBot","answer_url":"https://example.com/answer"}`)
}

func FuzzAttachBody(f *testing.F) {
	fuzzBody(f, "POST", func(*fuzzAPI) string { return "/api/agent/attach-phone-number" }, "token", "",
		`{"agent_id":"agent_000000000000000000000001","provider":"twilio","numbers":["+12125551234"]}`,
		`{"agent_id":"agent_000000000000000000000001","provider":"twilio","numbers":["+12125551234","+12125551234"]}`,
		`{"agent_id":"../../etc/passwd","provider":"twilio","numbers":["+12125551234"]}`,
		`{"agent_id":"agent_000000000000000000000001","provider":"plivo","numbers":[null]}`)
}

func FuzzAddPhoneBody(f *testing.F) {
	fuzzBody(f, "POST", func(*fuzzAPI) string { return "/api/call/add-phone" }, "Authorization", "Bearer ",
		`{"userId":"`+workertest.UserID+`","phoneNumber":"12125551234","integration":"twilio","authToken":"`+twiliotest.SandboxAuthToken+`","accSId":"`+twiliotest.SandboxAccountSID+`"}`,
		`{"userId":"`+workertest.UserID+`","phoneNumber":"12125551234","integration":"twilio","authToken":"x","accSId":"AC'; DROP TABLE numbers;--"}`,
		`{"userId":"`+workertest.UserID+`","phoneNumber":"+442012345678","integration":"telnyx","authToken":"KEY"}`,
		`{"userId":"\u0000","phoneNumber":"1","integration":"TWILIO"}`)
}

func FuzzCreateUserBody(f *testing.F) {
	fuzzBody(f, "POST", func(*fuzzAPI) string { return "/api/users" }, "Authorization", "Bearer ",
		`{"name":"Grace"}`, `{"id":"64e5f12345abcdef12345679","name":"Ada"}`, `{"name":"\u001b[31mred"}`)
}
