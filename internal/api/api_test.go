package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
)

// apiEnv is the API served over HTTP on a running back end.
type apiEnv struct {
	*workertest.Env
	url string
	key string
}

func startAPI(t *testing.T, env *workertest.Env, wait time.Duration, ping func(context.Context) error) *apiEnv {
	t.Helper()
	if ping == nil {
		ping = func(ctx context.Context) error { return env.Redis.Ping(ctx).Err() }
	}
	h := api.NewServer(api.Params{Store: env.Store, Jobs: env.Jobs, Ping: ping,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Wait: wait})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	plain, k := api.NewAPIKey(env.OrgID)
	if err := env.Store.CreateAPIKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return &apiEnv{Env: env, url: srv.URL, key: plain}
}

// do sends a request and decodes the JSON answer into a generic map.
func (e *apiEnv) do(t *testing.T, method, path string, headers map[string]string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v", method, path, err)
	}
	return resp.StatusCode, out
}

func TestHealthz(t *testing.T) {
	e := startAPI(t, workertest.Start(t, workertest.Backends()[0].Open(t)), time.Second, nil)
	if code, body := e.do(t, "GET", "/healthz", nil, nil); code != 200 || body["status"] != "ok" {
		t.Errorf("healthz = %d %v", code, body)
	}
	if code, body := e.do(t, "GET", "/readyz", nil, nil); code != 200 || body["redis"] != "ok" || body["database"] != "ok" {
		t.Errorf("readyz = %d %v", code, body)
	}
}

func TestReadyzReportsUnreachableRedis(t *testing.T) {
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPI(t, env, time.Second, func(context.Context) error { return errors.New("connection refused") })
	if code, body := e.do(t, "GET", "/readyz", nil, nil); code != 503 || body["redis"] != "unreachable" || body["database"] != "ok" {
		t.Errorf("readyz = %d %v, want 503 with redis unreachable", code, body)
	}
}
