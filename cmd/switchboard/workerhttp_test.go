package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/switchboardhq/switchboard/jobs"
)

// TestWorkerHTTP: the worker's health port answers the probes and serves
// metrics, and readiness follows Redis.
func TestWorkerHTTP(t *testing.T) {
	mr := miniredis.RunT(t)
	s := &settings{redisURL: "redis://" + mr.Addr(), databaseURL: "sqlite:" + filepath.Join(t.TempDir(), "db"),
		secretKey: jobs.GenerateKey(), logLevel: "error", logFormat: "text"}
	d, err := s.deps(context.Background(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	h := d.opsHTTP()
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz = %d %s", code, body)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "switchboard_queue_up 1") {
		t.Errorf("/metrics = %d, lacks switchboard_queue_up 1", code)
	}
	mr.Close()
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, `"redis":"unreachable"`) {
		t.Errorf("/readyz with Redis down = %d %s, want 503 naming redis", code, body)
	}
}

// freeAddrs returns n distinct loopback addresses nothing listens on (a
// moment ago). The listeners are held until all n are chosen, so two
// calls in a row cannot hand out the same port.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs
}

// TestAPIMetricsPort: the api serves /metrics (and its probes) on
// SWITCHBOARD_METRICS_ADDR, not on the public API port, where it would
// answer anyone without authentication.
func TestAPIMetricsPort(t *testing.T) {
	mr := miniredis.RunT(t)
	addrs := freeAddrs(t, 2)
	api, ops := addrs[0], addrs[1]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"api"}, env(map[string]string{
			"SWITCHBOARD_REDIS_URL": "redis://" + mr.Addr(), "SWITCHBOARD_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "db"),
			"SWITCHBOARD_SECRET_KEY": jobs.GenerateKey(), "SWITCHBOARD_ADDR": api, "SWITCHBOARD_METRICS_ADDR": ops,
		}), io.Discard, io.Discard)
	}()
	defer func() { cancel(); <-done }()
	get := func(addr, path string) int {
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if resp, err := http.Get("http://" + addr + path); err == nil {
				resp.Body.Close()
				return resp.StatusCode
			}
		}
		t.Fatalf("nothing answers at %s", addr)
		return 0
	}
	if code := get(ops, "/metrics"); code != 200 {
		t.Errorf("metrics port /metrics = %d, want 200", code)
	}
	if code := get(ops, "/healthz"); code != 200 {
		t.Errorf("metrics port /healthz = %d, want 200", code)
	}
	if code := get(api, "/metrics"); code != 404 {
		t.Errorf("API port /metrics = %d, want 404", code)
	}
	if code := get(api, "/healthz"); code != 200 {
		t.Errorf("API port /healthz = %d, want 200 (load balancers probe it)", code)
	}
}
