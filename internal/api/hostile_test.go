package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// writeCounting is a store that counts the writes the API makes: every
// way it creates or removes a target, user, number, link or connection.
type writeCounting struct {
	store.Store
	writes atomic.Int64
}

func (s *writeCounting) CreateTarget(ctx context.Context, t store.Target) (store.Target, error) {
	s.writes.Add(1)
	return s.Store.CreateTarget(ctx, t)
}

func (s *writeCounting) DeleteTarget(ctx context.Context, orgID int64, id string) error {
	s.writes.Add(1)
	return s.Store.DeleteTarget(ctx, orgID, id)
}

func (s *writeCounting) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	s.writes.Add(1)
	return s.Store.CreateUser(ctx, u)
}

func (s *writeCounting) CreateLink(ctx context.Context, l store.Link) (store.Link, error) {
	s.writes.Add(1)
	return s.Store.CreateLink(ctx, l)
}

func (s *writeCounting) DeleteLink(ctx context.Context, orgID int64, numberID, targetID string) error {
	s.writes.Add(1)
	return s.Store.DeleteLink(ctx, orgID, numberID, targetID)
}

func (s *writeCounting) CreateNumber(ctx context.Context, n store.Number) (store.Number, error) {
	s.writes.Add(1)
	return s.Store.CreateNumber(ctx, n)
}

func (s *writeCounting) UpsertConnection(ctx context.Context, c store.Connection) (store.Connection, error) {
	s.writes.Add(1)
	return s.Store.UpsertConnection(ctx, c)
}

// allTasks counts every task in Redis, of every job type.
func allTasks(t *testing.T, e *apiEnv) int {
	t.Helper()
	n := 0
	for _, typ := range []string{jobs.TypeAddPhone, jobs.TypeAttach, jobs.TypeUnlink, jobs.TypeDeleteTarget, jobs.TypeReconcile, jobs.TypeCallback} {
		n += len(tasksOf(t, e, typ))
	}
	return n
}

// rawRequest sends a request exactly as written (request line, headers,
// body) over its own connection and returns the answer: the way to send
// what net/http refuses to (NUL in a header, encoded slashes).
func (e *apiEnv) rawRequest(t *testing.T, method, target string, headers map[string]string, body string) (int, http.Header, []byte) {
	t.Helper()
	u, _ := url.Parse(e.url)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Length: %d\r\n", method, target, u.Host, len(body))
	for k, v := range headers {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, raw
}

// hostileCase is one request an attacker or a broken client sends.
type hostileCase struct {
	name, method, path string
	headers            map[string]string
	body               string
	code               int
	// message is what the answer's message must contain (its family's
	// message, and the add-phone family's errorMessage after ": "), or
	// net/http's own plain-text answer to a request it refuses to parse.
	message string
}

// TestHostileInputs: over HTTP, on both stores, hostile and broken input
// (malformed JSON, trailing garbage, huge bodies, deep nesting, bodies of
// other content types, unicode digits, RTL and zero-width marks, NUL and
// invalid UTF-8 in headers, ids and bodies, 16+ digit numbers, path
// traversal and encoded slashes in ids, SQL metacharacters, oversized
// credentials) answers a 4xx with a clear message, and nothing is enqueued
// (every task in Redis counted) and nothing stored (every write the API
// can make counted).
func TestHostileInputs(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		counting := &writeCounting{Store: env.Store}
		e := startAPIWith(t, env, api.Params{Wait: 20 * time.Second, Store: counting})
		e.mustAddNumbers(t, twiliotest.SandboxNumberNYC)
		appID := e.createApp(t, e.key, "one")
		agentID := e.createAgent(t, e.key, "one")
		if code, body := e.do(t, "POST", "/sfvopi/apps/"+appID+"/numbers", xAPIKey(e.key), map[string]any{"voip_number": twiliotest.SandboxNumberNYC}); code != 200 {
			t.Fatalf("link: %d %v", code, body)
		}

		sf, ag, call := xAPIKey(e.key), token(e.key), bearer(e.key)
		ct := func(h map[string]string, v string) map[string]string {
			out := map[string]string{"Content-Type": v}
			for k, x := range h {
				out[k] = x
			}
			return out
		}
		addPhone := func(number, token, sid string) string {
			return mustJSON(map[string]string{"userId": workertest.UserID, "phoneNumber": number, "integration": "twilio", "authToken": token, "accSId": sid})
		}
		app := func(name, answer string) string {
			return mustJSON(map[string]string{"name": name, "answer_url": answer})
		}
		deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
		const (
			badBody    = "Invalid request body"
			badNumber  = "Invalid phone number format"
			sfvopi401  = "UnAuthorized, Please Provide Valid API Key"
			agents401  = "Invalid or missing API key"
			appsPath   = "/sfvopi/apps"
			linkPath   = "/numbers"
			attachPath = "/api/agent/attach-phone-number"
			addPath    = "/api/call/add-phone"
		)
		linkOf := appsPath + "/" + appID + linkPath
		cases := []hostileCase{
			// Malformed JSON and trailing garbage, on every endpoint with a body.
			{"app: truncated JSON", "POST", appsPath, sf, `{"name":"x",`, 400, badBody},
			{"app: trailing garbage", "POST", appsPath, sf, app("x", "https://example.com/a") + ` garbage`, 400, badBody},
			{"app: two values", "POST", appsPath, sf, app("x", "https://example.com/a") + `{}`, 400, badBody},
			{"app: single quotes", "POST", appsPath, sf, `{'name':'x'}`, 400, badBody},
			{"app: a JSON array", "POST", appsPath, sf, `[` + app("x", "https://example.com/a") + `]`, 400, badBody},
			{"app: wrong type", "POST", appsPath, sf, `{"name":7,"answer_url":"https://example.com/a"}`, 400, badBody},
			{"app: unknown field", "POST", appsPath, sf, `{"name":"x","answer_url":"https://example.com/a","admin":true}`, 400, `unknown field "admin"`},
			{"app: duplicate-key smuggling of an unknown field", "POST", appsPath, sf, `{"name":"x","answer_url":"https://example.com/a","Name":"y","__proto__":{}}`, 400, `unknown field "__proto__"`},
			{"link: truncated JSON", "POST", linkOf, sf, `{"voip_number":`, 400, badBody},
			{"link: trailing garbage", "POST", linkOf, sf, `{"voip_number":"+12025551234"}]`, 400, badBody},
			{"agent: truncated JSON", "POST", "/api/agent", ag, `{"name":`, 400, badBody},
			{"attach: trailing garbage", "POST", attachPath, ag, `{"agent_id":"` + agentID + `","provider":"twilio","numbers":["+12025551234"]}x`, 400, badBody},
			{"add-phone: truncated JSON", "POST", addPath, call, `{"userId":`, 400, badBody},
			{"add-phone: trailing garbage", "POST", addPath, call, addPhone("12025551234", twiliotest.SandboxAuthToken, twiliotest.SandboxAccountSID) + `;`, 400, badBody},
			{"user: truncated JSON", "POST", "/api/users", call, `{"name"`, 400, badBody},
			{"user: empty body", "POST", "/api/users", call, ``, 400, badBody},

			// Huge bodies and deep nesting: refused at the 1 MiB bound or by the decoder, cheaply.
			{"app: 2 MiB body", "POST", appsPath, sf, app(strings.Repeat("a", 2<<20), "https://example.com/a"), 400, badBody},
			{"attach: 2 MiB of numbers", "POST", attachPath, ag, `{"agent_id":"` + agentID + `","provider":"twilio","numbers":[` + strings.Repeat(`"+12025551234",`, 150000) + `"+12025551234"]}`, 400, badBody},
			{"add-phone: 2 MiB body", "POST", addPath, call, addPhone("12025551234", strings.Repeat("t", 2<<20), twiliotest.SandboxAccountSID), 400, badBody},
			{"app: nesting 100000 deep", "POST", appsPath, sf, `{"name":` + deep + `}`, 400, badBody},
			{"link: nesting 100000 deep", "POST", linkOf, sf, deep, 400, badBody},
			{"user: nesting 100000 deep", "POST", "/api/users", call, `{"name":` + deep + `}`, 400, badBody},

			// Bodies of other content types (the type itself is not checked: curl -d sends form-encoded JSON).
			{"app: form-encoded", "POST", appsPath, ct(sf, "application/x-www-form-urlencoded"), `name=x&answer_url=https%3A%2F%2Fexample.com`, 400, badBody},
			{"app: multipart", "POST", appsPath, ct(sf, "multipart/form-data; boundary=b"), "--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--b--", 400, badBody},
			{"link: XML", "POST", linkOf, ct(sf, "application/xml"), `<voip_number>+12025551234</voip_number>`, 400, badBody},
			{"add-phone: text/plain", "POST", addPath, ct(call, "text/plain"), `userId=1`, 400, badBody},
			{"attach: octet-stream", "POST", attachPath, ct(ag, "application/octet-stream"), "\x00\x01\x02", 400, badBody},

			// Unicode digits, RTL and zero-width marks, control characters.
			{"link: Arabic-Indic digits", "POST", linkOf, sf, `{"voip_number":"+١٢٠٢٥٥٥١٢٣٤"}`, 400, badBody},
			{"link: fullwidth digits", "POST", linkOf, sf, `{"voip_number":"＋１２０２５５５１２３４"}`, 400, badBody},
			{"link: zero-width space in number", "POST", linkOf, sf, `{"voip_number":"+1202\u200b5551234"}`, 400, badBody},
			{"attach: RTL mark in number", "POST", attachPath, ag, `{"agent_id":"` + agentID + `","provider":"twilio","numbers":["\u200f+12025551234"]}`, 400, badNumber},
			{"attach: Devanagari digits", "POST", attachPath, ag, `{"agent_id":"` + agentID + `","provider":"twilio","numbers":["+१२०२५५५१२३४"]}`, 400, badNumber},
			{"add-phone: Bengali digits", "POST", addPath, call, addPhone("১২০২৫৫৫১২৩৪", twiliotest.SandboxAuthToken, twiliotest.SandboxAccountSID), 400, "Invalid phone number"},
			{"app: RTL override in name", "POST", appsPath, sf, app("\u202eenilno", "https://example.com/a"), 400, "invisible formatting"},
			{"app: zero-width-only name", "POST", appsPath, sf, app("\u200b\u200c\u200d", "https://example.com/a"), 400, "invisible formatting"},
			{"app: ANSI escape in name", "POST", appsPath, sf, app("\x1b[31mred", "https://example.com/a"), 400, "control"},
			{"agent: CRLF in name", "POST", "/api/agent", ag, app("bot\r\nX-Injected: 1", "https://example.com/a"), 400, "control"},
			{"user: zero-width joiner name", "POST", "/api/users", call, `{"name":"\u2060"}`, 400, "name"},
			{"user: BOM in name", "POST", "/api/users", call, `{"name":"\ufeffAda"}`, 400, "name"},

			// NUL and invalid UTF-8 in bodies.
			{"app: NUL in name", "POST", appsPath, sf, app("a\x00b", "https://example.com/a"), 400, "control"},
			{"app: invalid UTF-8 in name", "POST", appsPath, sf, "{\"name\":\"a\xffb\",\"answer_url\":\"https://example.com/a\"}", 400, badBody},
			{"agent: NUL in answer_url", "POST", "/api/agent", ag, app("bot", "https://example.com/a\x00b"), 400, "answer_url"},
			{"attach: NUL in agent_id", "POST", attachPath, ag, `{"agent_id":"agent_\u0000","provider":"twilio","numbers":["+12025551234"]}`, 404, "Agent not found"},
			{"attach: invalid UTF-8 agent_id", "POST", attachPath, ag, "{\"agent_id\":\"agent_\xff\",\"provider\":\"twilio\",\"numbers\":[\"+12025551234\"]}", 400, badBody},
			{"add-phone: NUL in userId", "POST", addPath, call, fmt.Sprintf(`{"userId":"u\u0000","phoneNumber":"12025551234","integration":"twilio","authToken":%q,"accSId":%q}`, twiliotest.SandboxAuthToken, twiliotest.SandboxAccountSID), 400, "userId"},
			{"user: NUL in id", "POST", "/api/users", call, `{"id":"\u0000","name":"Ada"}`, 400, "id"},

			// 16+ digit numbers.
			{"link: 16 digits", "POST", linkOf, sf, `{"voip_number":"+1202555123456789"}`, 400, badBody},
			{"attach: 20 digits", "POST", attachPath, ag, `{"agent_id":"` + agentID + `","provider":"twilio","numbers":["+12025551234567890123"]}`, 400, badNumber},
			{"add-phone: 40 digits", "POST", addPath, call, addPhone(strings.Repeat("9", 40), twiliotest.SandboxAuthToken, twiliotest.SandboxAccountSID), 400, "Invalid phone number"},
			{"link: a number as a JSON number", "POST", linkOf, sf, `{"voip_number":12025551234}`, 400, badBody},

			// SQL metacharacters.
			{"app: SQL in name is only a name, but in the answer URL", "POST", appsPath, sf, app("x", "https://example.com/'; DROP TABLE targets;--"+"\x00"), 400, "answer_url"},
			{"link: SQL in number", "POST", linkOf, sf, `{"voip_number":"+1' OR '1'='1"}`, 400, badBody},
			{"attach: SQL in agent_id", "POST", attachPath, ag, `{"agent_id":"agent_' OR 1=1 --","provider":"twilio","numbers":["+12025551234"]}`, 404, "Agent not found"},
			{"add-phone: SQL in userId", "POST", addPath, call, fmt.Sprintf(`{"userId":"x' OR '1'='1","phoneNumber":"12025551234","integration":"twilio","authToken":%q,"accSId":%q}`, twiliotest.SandboxAuthToken, twiliotest.SandboxAccountSID), 400, "userId"},
			{"add-phone: SQL in integration", "POST", addPath, call, `{"userId":"` + workertest.UserID + `","phoneNumber":"12025551234","integration":"twilio'--","authToken":"t","accSId":"s"}`, 400, "integration"},

			// Oversized and malformed credentials.
			{"add-phone: 100 KB auth token", "POST", addPath, call, addPhone("12025551234", strings.Repeat("t", 100<<10), twiliotest.SandboxAccountSID), 400, "authToken"},
			{"add-phone: 100 KB account SID", "POST", addPath, call, addPhone("12025551234", twiliotest.SandboxAuthToken, "AC"+strings.Repeat("0", 100<<10)), 400, "accSId"},
			{"add-phone: SID of the wrong shape", "POST", addPath, call, addPhone("12025551234", twiliotest.SandboxAuthToken, "AC<script>"), 400, "accSId"},
			{"add-phone: NUL in auth token", "POST", addPath, call, addPhone("12025551234", "tok\x00en", twiliotest.SandboxAccountSID), 400, "authToken"},

			// Path ids: traversal, encoded slashes, NUL, invalid UTF-8, SQL.
			{"get app: encoded traversal", "GET", appsPath + "/..%2F..%2Fetc%2Fpasswd", sf, "", 404, "App not found"},
			{"get app: encoded slash", "GET", appsPath + "/app_1%2Fnumbers", sf, "", 404, "App not found"},
			{"delete app: encoded traversal", "DELETE", appsPath + "/%2E%2E%2F" + appID, sf, "", 404, "App not found"},
			{"delete app: NUL", "DELETE", appsPath + "/" + appID + "%00", sf, "", 404, "App not found"},
			{"link: invalid UTF-8 app id", "POST", appsPath + "/app_%FF%FE/numbers", sf, `{"voip_number":"+12025551234"}`, 404, "App not found"},
			{"unlink: encoded slash in number", "DELETE", linkOf + "/%2B1212%2F5551234", sf, "", 404, "Number not linked to this app"},
			{"unlink: NUL in number", "DELETE", linkOf + "/%2B12125551234%00", sf, "", 404, "Number not linked to this app"},
			{"unlink: 16 digits", "DELETE", linkOf + "/%2B1212555123456789", sf, "", 404, "Number not linked to this app"},
			{"get agent: SQL", "GET", "/api/agent/agent_'%20OR%20'1'='1", ag, "", 404, "Agent not found"},
			{"get user: traversal", "GET", "/api/users/..%2F..%2F" + workertest.UserID, call, "", 404, "not found"},
			{"get job: encoded slash", "GET", "/v1/jobs/add-1%2F..%2F..", sf, "", 404, "Job not found"},
			{"get job: 10 KB id", "GET", "/v1/jobs/" + strings.Repeat("a", 10<<10), sf, "", 404, "Job not found"},

			// Headers: NUL, invalid UTF-8, oversized, in keys and idempotency keys.
			{"key: NUL", "POST", appsPath, map[string]string{"X-API-Key": "sbk_\x00"}, app("x", "https://example.com/a"), 400, "400 Bad Request"},
			{"key: invalid UTF-8", "POST", linkOf, map[string]string{"X-API-Key": "sbk_\xff\xfe"}, `{"voip_number":"+12025551234"}`, 401, sfvopi401},
			{"token: invalid UTF-8", "POST", attachPath, map[string]string{"token": "\xc3\x28"}, `{}`, 401, agents401},
			{"bearer: 8 KB", "POST", addPath, map[string]string{"Authorization": "Bearer " + strings.Repeat("k", 8<<10)}, `{}`, 401, "Unauthorized"},
			{"idempotency key: invalid UTF-8", "POST", appsPath, with(sf, "k\xff"), app("x", "https://example.com/a"), 400, "Invalid Idempotency-Key"},
			{"idempotency key: 1000 bytes", "POST", appsPath, with(sf, strings.Repeat("k", 1000)), app("x", "https://example.com/a"), 400, "Invalid Idempotency-Key"},
			{"idempotency key: NUL", "DELETE", appsPath + "/" + appID, with(sf, "k\x00"), "", 400, "400 Bad Request"},
			{"idempotency key: not ASCII", "DELETE", appsPath + "/" + appID, with(sf, "clé"), "", 400, "Invalid Idempotency-Key"},
			{"callback_url: NUL in query", "DELETE", linkOf + "/%2B12125551234?callback_url=https://example.com/%00", sf, "", 400, "Invalid callback_url"},
		}
		if len(cases) < 60 {
			t.Fatalf("%d cases, want at least 60", len(cases))
		}
		tasks, writes := allTasks(t, e), counting.writes.Load()
		for _, c := range cases {
			code, _, raw := e.rawRequest(t, c.method, c.path, c.headers, c.body)
			var body map[string]any
			if err := json.Unmarshal(raw, &body); err != nil {
				// net/http refuses a header with NUL before any handler.
				if code != c.code || string(raw) != c.message {
					t.Errorf("%s: %d %q is not a JSON object", c.name, code, raw)
				}
				continue
			}
			msg := errorMessage(body)
			if d, _ := body["errorMessage"].(string); d != "" {
				msg += ": " + d
			}
			if code != c.code || !strings.Contains(msg, c.message) {
				t.Errorf("%s: %d %q, want %d with %q", c.name, code, msg, c.code, c.message)
			}
		}
		if n := allTasks(t, e); n != tasks {
			t.Errorf("hostile requests enqueued %d tasks", n-tasks)
		}
		if n := counting.writes.Load(); n != writes {
			t.Errorf("hostile requests made %d store writes", n-writes)
		}
		// The one link made above is untouched.
		if got := e.voiceURL(twiliotest.SandboxNumberNYC); got != answerURL+"/one" {
			t.Errorf("the linked number routes to %q", got)
		}
	})
}
