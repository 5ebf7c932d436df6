package api_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		auth := bearer(e.key)

		// A generated id.
		code, body := e.do(t, "POST", "/api/users", auth, map[string]any{"name": " Grace "})
		u := dataOf(body)
		id := str(u, "_id")
		if code != 201 || !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(id) || !isoMillis.MatchString(str(u, "createdAt")) {
			t.Fatalf("create: %d %v", code, body)
		}
		want := map[string]any{"message": "User created successfully", "status": true, "code": float64(201), "errorMessage": "",
			"data": map[string]any{"_id": id, "name": "Grace", "createdAt": u["createdAt"]}}
		if diff := cmp.Diff(want, body); diff != "" {
			t.Errorf("create (-want +got):\n%s", diff)
		}
		code, body = e.do(t, "GET", "/api/users/"+id, auth, nil)
		want["message"], want["code"] = "User fetched successfully", float64(200)
		if diff := cmp.Diff(want, body); code != 200 || diff != "" {
			t.Errorf("get: %d (-want +got):\n%s", code, diff)
		}

		// A chosen id makes seed 004's 404 go away.
		const chosen = "aaaaaaaaaaaaaaaaaaaaaaaa"
		add := map[string]any{"userId": chosen, "phoneNumber": "12125551234", "integration": "twilio",
			"authToken": twiliotest.SandboxAuthToken, "accSId": twiliotest.SandboxAccountSID}
		if code, body := e.do(t, "POST", "/api/call/add-phone", auth, add); code != 404 || body["message"] != "User not found" {
			t.Fatalf("add-phone for an unknown user: %d %v", code, body)
		}
		if code, body := e.do(t, "POST", "/api/users", auth, map[string]any{"name": "Linus", "id": chosen}); code != 201 || dataOf(body)["_id"] != chosen {
			t.Fatalf("create with id: %d %v", code, body)
		}
		if code, body := e.do(t, "POST", "/api/call/add-phone", auth, add); code != 201 {
			t.Errorf("add-phone for the new user: %d %v", code, body)
		}

		for _, c := range []struct {
			name, method, path string
			headers            map[string]string
			body               any
			code               int
			message            string
		}{
			{"create without key", "POST", "/api/users", nil, map[string]any{"name": "a"}, 401, "Unauthorized"},
			{"not JSON", "POST", "/api/users", auth, "{", 400, "Invalid request body"},
			{"no name", "POST", "/api/users", auth, map[string]any{"name": " "}, 400, "Name is required"},
			{"long name", "POST", "/api/users", auth, map[string]any{"name": string(make([]byte, 201))}, 400, "Name is too long"},
			{"NUL in name", "POST", "/api/users", auth, map[string]any{"name": "a\u0000b"}, 400, "Invalid name"},
			{"zero-width name", "POST", "/api/users", auth, map[string]any{"name": "\u200b"}, 400, "Invalid name"},
			{"bad id", "POST", "/api/users", auth, map[string]any{"name": "a", "id": "123"}, 400, "Invalid User ID format"},
			{"taken id", "POST", "/api/users", auth, map[string]any{"name": "a", "id": chosen}, 409, "User ID is already taken"},
			{"taken by the fixture", "POST", "/api/users", auth, map[string]any{"name": "a", "id": workertest.UserID}, 409, "User ID is already taken"},
			{"get without key", "GET", "/api/users/" + id, nil, nil, 401, "Unauthorized"},
			{"get unknown", "GET", "/api/users/ffffffffffffffffffffffff", auth, nil, 404, "User not found"},
		} {
			code, body := e.do(t, c.method, c.path, c.headers, c.body)
			if code != c.code || body["message"] != c.message || body["status"] != false || body["code"] != float64(c.code) || body["data"] != nil {
				t.Errorf("%s: %d %v, want %d %q", c.name, code, body, c.code, c.message)
			}
		}
	})
}
