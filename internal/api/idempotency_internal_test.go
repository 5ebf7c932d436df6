package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/store/sqlite"
)

// TestMutatingEndpointsAreIdempotent: every POST and DELETE of routes.go
// takes Idempotency-Key, and nothing else does. POST /v1/batches streams
// its file and keys the batch itself (batches.go; TestBatchIdempotencyKey).
func TestMutatingEndpointsAreIdempotent(t *testing.T) {
	t.Parallel()
	for _, e := range (&server{}).endpoints() {
		if e.Method == "POST" && e.Path == "/v1/batches" {
			continue
		}
		_, wrapped := e.Handler.(*idempotentEndpoint)
		if mutating := e.Method == "POST" || e.Method == "DELETE"; wrapped != mutating {
			t.Errorf("%s %s: wrapped in idempotent = %v, want %v", e.Method, e.Path, wrapped, mutating)
		}
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	const body = `{"name": "a", "n": 1, "list": [1, "x"], "obj": {"b": true, "a": null}}`
	base := fingerprint("POST", "/sfvopi/apps", []byte(body))
	for _, c := range []struct {
		name         string
		method, path string
		body         string
		same         bool
	}{
		{"identical", "POST", "/sfvopi/apps", body, true},
		{"spacing and member order", "POST", "/sfvopi/apps", "{\"obj\":{\"a\":null,\"b\":true},\n\"list\":[1,\"x\"],\"n\":1,\"name\":\"a\"}", true},
		{"escapes", "POST", "/sfvopi/apps", `{"name": "\u0061", "n": 1, "list": [1, "x"], "obj": {"b": true, "a": null}}`, true},
		{"a value", "POST", "/sfvopi/apps", strings.Replace(body, `"a"`, `"b"`, 1), false},
		{"a number's spelling", "POST", "/sfvopi/apps", strings.Replace(body, `"n": 1`, `"n": 1.0`, 1), false},
		{"array order", "POST", "/sfvopi/apps", strings.Replace(body, `[1, "x"]`, `["x", 1]`, 1), false},
		{"an extra member", "POST", "/sfvopi/apps", strings.Replace(body, `{"name"`, `{"extra": 0, "name"`, 1), false},
		{"the path", "POST", "/api/agent", body, false},
		{"the method", "DELETE", "/sfvopi/apps", body, false},
		{"no body", "POST", "/sfvopi/apps", "", false},
	} {
		got := fingerprint(c.method, c.path, []byte(c.body))
		if bytes.Equal(got, base) != c.same {
			t.Errorf("%s: same fingerprint = %v, want %v", c.name, !c.same, c.same)
		}
	}
	// Bodies that are not one JSON value count byte for byte.
	for _, pair := range [][2]string{{"{", "{ "}, {`{} {}`, `{}{}`}, {"not json", "not  json"}} {
		if bytes.Equal(fingerprint("POST", "/x", []byte(pair[0])), fingerprint("POST", "/x", []byte(pair[1]))) {
			t.Errorf("%q and %q: same fingerprint", pair[0], pair[1])
		}
	}
	if !bytes.Equal(fingerprint("POST", "/x", []byte("{")), fingerprint("POST", "/x", []byte("{"))) {
		t.Error("a raw body: fingerprint differs from itself")
	}
}

func TestValidKey(t *testing.T) {
	t.Parallel()
	for k, want := range map[string]bool{
		"a": true, "4f6b1c2e-8d0a-4c9e-9b7f-2a1d3e5c6b70": true, "with space ~!": true,
		strings.Repeat("k", 255): true, strings.Repeat("k", 256): false,
		"": false, "é": false, "tab\t": false, "nul\x00": false, "del\x7f": false,
	} {
		if got := validKey(k); got != want {
			t.Errorf("validKey(%.20q) = %v, want %v", k, got, want)
		}
	}
}

// keyedStore is a migrated SQLite store with one org and an API key of
// it, whose plain text it returns too.
func keyedStore(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrg(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	plain, k := NewAPIKey(org.ID)
	if err := st.CreateAPIKey(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	return st, plain
}

// TestIdempotentPanicReleasesKey: a handler that panics leaves the key
// free, so the retry runs; the panic goes on to net/http.
func TestIdempotentPanicReleasesKey(t *testing.T) {
	t.Parallel()
	st, plain := keyedStore(t)
	calls := 0
	h := (&server{Params: Params{Store: st, Wait: time.Second, IdempotencyTTL: time.Hour, Now: time.Now}}).idempotent(familySFVoPI,
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls++
			if calls == 1 {
				panic("boom")
			}
			sfvopiOK(w, http.StatusCreated, calls)
		}))
	serve := func() (rec *httptest.ResponseRecorder, panicked bool) {
		rec = httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/sfvopi/apps", strings.NewReader(`{}`))
		req.Header.Set("X-API-Key", plain)
		req.Header.Set("Idempotency-Key", "k")
		defer func() { panicked = recover() != nil }()
		h.ServeHTTP(rec, req)
		return rec, false
	}
	if _, panicked := serve(); !panicked {
		t.Fatal("the handler's panic did not reach the caller")
	}
	rec, panicked := serve()
	if panicked || rec.Code != 201 || rec.Header().Get(headerIdempotentReplayed) != "" || calls != 2 {
		t.Fatalf("retry after a panic: %d %v %s, %d calls", rec.Code, rec.Header(), rec.Body, calls)
	}
	rec, _ = serve()
	if rec.Code != 201 || rec.Header().Get(headerIdempotentReplayed) != "true" || calls != 2 {
		t.Errorf("third request: %d %v %s, %d calls; want the replay", rec.Code, rec.Header(), rec.Body, calls)
	}
}

// TestIdempotentClaimOutlivesWait: a running first request holds its key
// for Params.Wait and leaseMargin more, so a second request a little after
// Wait, while the first still runs, answers 409 instead of running the
// handler again; only a claim older than both counts as a request that
// died.
func TestIdempotentClaimOutlivesWait(t *testing.T) {
	t.Parallel()
	st, plain := keyedStore(t)
	start := time.Now()
	now := start
	var h http.Handler
	serve := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/sfvopi/apps", strings.NewReader(`{}`))
		req.Header.Set("X-API-Key", plain)
		req.Header.Set("Idempotency-Key", "k")
		h.ServeHTTP(rec, req)
		return rec
	}
	calls := 0
	var during []int
	h = (&server{Params: Params{Store: st, Wait: time.Second, IdempotencyTTL: time.Hour, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)}}).idempotent(familySFVoPI,
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls++; calls == 1 {
				// While the first request runs: past Wait, within the margin, and past both.
				for _, d := range []time.Duration{2 * time.Second, leaseMargin + 2*time.Second} {
					now = start.Add(d)
					during = append(during, serve().Code)
				}
			}
			sfvopiOK(w, http.StatusCreated, calls)
		}))
	serve()
	if len(during) != 2 || during[0] != http.StatusConflict || during[1] != http.StatusCreated {
		t.Errorf("second requests while the first ran, 2 s and %v in: %v, want 409 then 201 (the claim taken over)", leaseMargin+2*time.Second, during)
	}
}
