package worker_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/telemetry"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
)

func TestMetrics(t *testing.T) {
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	h := &harness{env}
	h.mustAdd(t, "+12125551234")
	if _, out := h.addPhone(t, jobs.AddPhoneRequest{PhoneNumber: "+12125559999"}); out.State != jobs.StateFailed {
		t.Fatalf("not-owned add: %+v", out)
	}
	mustOK(t, env.Metrics.Register(telemetry.NewQueueCollector(asynq.NewInspectorFromRedisClient(env.Redis))))
	scrape := func() string {
		rec := httptest.NewRecorder()
		env.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body, _ := io.ReadAll(rec.Body)
		return string(body)
	}
	// Waiters hear of an outcome as soon as it is written, a moment
	// before the attempt returns and is counted.
	var body string
	h.waitFor(t, func() bool {
		body = scrape()
		return strings.Contains(body, `switchboard_jobs_total{outcome="failed",type="number:add"} 1`)
	})
	for _, want := range []string{
		`switchboard_jobs_total{outcome="succeeded",type="number:add"} 1`,
		`switchboard_jobs_total{outcome="failed",type="number:add"} 1`,
		`switchboard_provider_requests_total{operation="lookup",provider="twilio",status="ok"} 1`,
		`switchboard_provider_requests_total{operation="lookup",provider="twilio",status="not_owned"} 1`,
		`switchboard_webhook_reconfigurations_total{provider="twilio"} 1`,
		`switchboard_queue_size{queue="critical",state="completed"}`,
		`switchboard_queue_up 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
