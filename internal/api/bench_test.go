package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/internal/worker"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// BenchmarkSyncAddPhone measures what a caller of the HTTP API waits for
// a synchronous POST /api/call/add-phone (Twilio, zero-latency simulator,
// no rate limits, one request at a time), against the time the worker's
// handler itself takes for the same job in the same run. The difference
// is switchboard's overhead around the job: HTTP, authentication, the
// enqueue, the worker picking the job up, the waiter being notified. The
// target is api-p50 ≤ handler-p50 + 10 ms. Run against the real services
// (see internal/worker/bench_test.go):
//
//	go test -run '^$' -bench SyncAddPhone -benchtime 300x ./internal/api/
func BenchmarkSyncAddPhone(b *testing.B) {
	be := workertest.Backends()[0]
	if testenv.RealPostgres() {
		be = workertest.Backends()[1]
	}
	env := workertest.Start(b, be.Open(b))
	env.Server.Shutdown() // replaced by a server timing its handler
	p := env.WorkerParams()
	p.Concurrency, p.Limits = 10, map[string]ratelimit.Limit{}
	w, err := worker.New(p)
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var handler []time.Duration
	h := w.Handler()
	srv := w.Server()
	if err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		err := h.ProcessTask(ctx, t)
		mu.Lock()
		handler = append(handler, time.Since(start))
		mu.Unlock()
		return err
	})); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Shutdown)
	plain, k := api.NewAPIKey(env.OrgID)
	if err := env.Store.CreateAPIKey(context.Background(), k); err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(api.NewServer(api.Params{Store: env.Store, Jobs: env.Jobs, Wait: 20 * time.Second,
		Ping: func(context.Context) error { return nil }, Logger: slog.New(slog.DiscardHandler)}))
	b.Cleanup(hs.Close)

	nums := make([]string, b.N)
	for i := range nums {
		nums[i] = fmt.Sprintf("1646%07d", i+1)
		if _, err := env.Twilio.AddNumber(twiliotest.SandboxAccountSID, "+"+nums[i]); err != nil {
			b.Fatal(err)
		}
	}
	latency := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for _, n := range nums {
		body := fmt.Sprintf(`{"userId":%q,"phoneNumber":%q,"integration":"twilio","authToken":%q,"accSId":%q}`,
			workertest.UserID, n, twiliotest.SandboxAuthToken, twiliotest.SandboxAccountSID)
		req, _ := http.NewRequest("POST", hs.URL+"/api/call/add-phone", bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+plain)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		latency = append(latency, time.Since(start))
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("add %s: %d", n, resp.StatusCode)
		}
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	apiP50, apiP99 := quantiles(latency)
	hP50, hP99 := quantiles(handler)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(apiP50), "api-p50-ms")
	b.ReportMetric(ms(apiP99), "api-p99-ms")
	b.ReportMetric(ms(hP50), "handler-p50-ms")
	b.ReportMetric(ms(hP99), "handler-p99-ms")
	b.ReportMetric(ms(apiP50-hP50), "overhead-p50-ms")
}

// quantiles returns the median and the 99th percentile of ds.
func quantiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2], s[min(len(s)-1, len(s)*99/100)]
}
