package main

import (
	"context"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

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
	h := d.workerHTTP()
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
