package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
)

// TestMalformedKeysAreUnauthorized: keys no API key can look like (bytes
// that are not UTF-8, control characters, a huge header) answer 401 on
// both stores — on PostgreSQL they used to reach the database and come
// back as a 500 (SQLSTATE 22021).
func TestMalformedKeysAreUnauthorized(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		for name, key := range map[string]string{
			"invalid UTF-8":        "sbk_\xff\xfe_00",
			"invalid UTF-8 no sbk": "\xc3\x28",
			"tab inside":           "sbk_00\t00_11",
			"non-ASCII":            "sbk_é_00",
			"huge":                 "sbk_" + strings.Repeat("a", 4000) + "_00",
		} {
			req, _ := http.NewRequest("GET", e.url+"/sfvopi/numbers/available", nil)
			req.Header["X-Api-Key"] = []string{key}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s: %d, want 401", name, resp.StatusCode)
			}
		}
	})
}

// TestMalformedIDsAreNotFound: path ids no id can look like (%00, %FF)
// answer their family's 404 on both stores, not a 500 from PostgreSQL.
func TestMalformedIDsAreNotFound(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		for _, c := range []struct {
			target  string
			headers map[string]string
		}{
			{"/sfvopi/apps/app_%00", xAPIKey(e.key)},
			{"/sfvopi/apps/app_%FF%FE", xAPIKey(e.key)},
			{"/api/agent/agent_%00", token(e.key)},
			{"/api/agent/agent_%FF", token(e.key)},
			{"/api/users/%FF%FE", map[string]string{"Authorization": "Bearer " + e.key}},
			{"/v1/jobs/add-%00", xAPIKey(e.key)},
			{"/v1/jobs/add-%FF", xAPIKey(e.key)},
		} {
			if code, body := e.raw(t, "GET", c.target, c.headers); code != http.StatusNotFound {
				t.Errorf("GET %s: %d %v, want 404", c.target, code, body)
			}
		}
	})
}
