package telnyxtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tt "github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
)

func TestErrorRateIsSeeded(t *testing.T) {
	run := func(seed uint64) []int {
		srv := tt.NewSandbox(tt.WithSeed(seed))
		setFaults(t, srv, tt.Faults{ErrorRate: 0.3})
		e := serve(t, srv, "")
		var statuses []int
		for range 100 {
			statuses = append(statuses, e.get(t, "/v2/balance").status)
		}
		return statuses
	}
	a, b := run(7), run(7)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different faults (-first +second):\n%s", diff)
	}
	failed := 0
	for _, s := range a {
		switch s {
		case 500:
			failed++
		case 200:
		default:
			t.Fatalf("status %d", s)
		}
	}
	if failed < 15 || failed > 45 {
		t.Errorf("%d of 100 failed at a 0.3 error rate", failed)
	}
	if cmp.Equal(a, run(8)) {
		t.Errorf("seeds 7 and 8 injected the same faults")
	}
}

func TestServerErrorBody(t *testing.T) {
	srv := tt.NewSandbox()
	setFaults(t, srv, tt.Faults{ErrorRate: 1})
	e := serve(t, srv, "")
	r := e.get(t, "/v2/phone_numbers")
	want := `{"errors":[{"code":"10007","title":"Unexpected error","detail":"An unexpected error occured.","meta":{"url":"https://developers.telnyx.com/docs/overview/errors/10007"}}]}`
	if r.status != 500 || r.body != want {
		t.Errorf("%d %s", r.status, r.body)
	}
}

func TestLatencyAndJitter(t *testing.T) {
	srv := tt.NewSandbox()
	setFaults(t, srv, tt.Faults{Latency: 30 * time.Millisecond, Jitter: 20 * time.Millisecond})
	e := serve(t, srv, "")
	for range 3 {
		start := time.Now()
		if r := e.get(t, "/v2/balance"); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Errorf("answered in %v, under the 30ms latency", d)
		}
	}
}

func TestRateLimitBurst(t *testing.T) {
	srv := tt.NewSandbox()
	e := serve(t, srv, "")
	for _, retryAfter := range []int{0, 2} {
		setFaults(t, srv, tt.Faults{RateLimitNext: 2, RetryAfter: retryAfter})
		var got []int
		var headers []http.Header
		for range 3 {
			r := e.get(t, "/v2/balance")
			got = append(got, r.status)
			headers = append(headers, r.header)
			if r.status == 429 && r.errorCode(t) != "10011" {
				t.Errorf("429 body %s", r.body)
			}
		}
		if diff := cmp.Diff([]int{429, 429, 200}, got); diff != "" {
			t.Errorf("Retry-After %d: statuses (-want +got):\n%s", retryAfter, diff)
		}
		for _, h := range headers[:2] {
			v, ok := h["Retry-After"]
			if retryAfter == 0 && ok || retryAfter > 0 && (len(v) != 1 || v[0] != "2") {
				t.Errorf("Retry-After %d: header %v", retryAfter, v)
			}
		}
	}
	if left := srv.Faults().RateLimitNext; left != 0 {
		t.Errorf("%d 429s left", left)
	}
	if n := srv.Calls()[tt.EndpointBalance]; n != 6 {
		t.Errorf("%d calls counted, want 6 (faulted ones included)", n)
	}
}

func TestPerKeyRateLimit(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }

	srv := tt.NewSandbox(tt.WithClock(clock))
	must(t, srv.AddAccount("KEYOTHER"))
	setFaults(t, srv, tt.Faults{RateLimit: 2, RateWindow: 10 * time.Second})
	e := serve(t, srv, "")
	type seen struct {
		Status                  int
		Limit, Remaining, Reset string
		RetryAfter              bool
	}
	see := func(key string) seen {
		r := e.do(t, "GET", "/v2/balance", key, "")
		_, ra := r.header["Retry-After"]
		return seen{r.status, r.header.Get("x-ratelimit-limit"), r.header.Get("x-ratelimit-remaining"), r.header.Get("x-ratelimit-reset"), ra}
	}
	var got []seen
	got = append(got, see(tt.SandboxAPIKey))
	advance(3 * time.Second)
	got = append(got, see(tt.SandboxAPIKey), see(tt.SandboxAPIKey), see("KEYOTHER"))
	advance(7 * time.Second) // the window is over
	got = append(got, see(tt.SandboxAPIKey))
	want := []seen{
		{200, "2", "1", "10", false},
		{200, "2", "0", "7", false},
		{429, "2", "0", "7", false},  // no Retry-After: only the headers say when
		{200, "2", "1", "10", false}, // another key, another window
		{200, "2", "1", "10", false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestHangUntilClientGivesUp(t *testing.T) {
	srv := tt.NewSandbox()
	setFaults(t, srv, tt.Faults{TimeoutRate: 1})
	e := serve(t, srv, "")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.base+"/v2/balance", nil)
	req.Header.Set("Authorization", "Bearer "+tt.SandboxAPIKey)
	start := time.Now()
	resp, err := e.hc.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("answered %d", resp.StatusCode)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("hung for %v", d)
	}

	// Close releases hung requests with a 500.
	srv2 := tt.NewSandbox()
	setFaults(t, srv2, tt.Faults{TimeoutRate: 1})
	ts := httptest.NewServer(srv2)
	defer ts.Close()
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", ts.URL+"/v2/balance", nil)
		req.Header.Set("Authorization", "Bearer "+tt.SandboxAPIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	for srv2.Reads() == 0 {
		time.Sleep(time.Millisecond)
	}
	srv2.Close()
	if s := <-done; s != 500 {
		t.Errorf("released with %d", s)
	}
}

func TestAmbiguousCreates(t *testing.T) {
	srv := tt.NewSandbox()
	setFaults(t, srv, tt.Faults{AmbiguousCreates: 1})
	e := serve(t, srv, "")
	body := `{"application_name":"switchboard-org1-default","webhook_event_url":"https://example.com/voice"}`
	// A refused create does not use up the ambiguous one.
	if r := e.do(t, "POST", "/v2/call_control_applications", tt.SandboxAPIKey, `{}`); r.status != 422 {
		t.Errorf("refused create: %d", r.status)
	}
	r := e.do(t, "POST", "/v2/call_control_applications", tt.SandboxAPIKey, body)
	if r.status != 500 || r.errorCode(t) != "10007" {
		t.Errorf("ambiguous create: %d %s", r.status, r.body)
	}
	if n := srv.Applications(tt.SandboxAPIKey, "switchboard-org1-default"); n != 1 {
		t.Errorf("%d applications after the ambiguous create, want 1", n)
	}
	if r := e.do(t, "POST", "/v2/call_control_applications", tt.SandboxAPIKey, body); r.status != 201 {
		t.Errorf("next create: %d", r.status)
	}
	if srv.AppliedWrites() != 2 || srv.Writes() != 3 {
		t.Errorf("writes %d, applied %d", srv.Writes(), srv.AppliedWrites())
	}
	if diff := cmp.Diff(map[string]int{tt.EndpointCreateApplication: 3}, srv.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	srv.ResetCalls()
	if srv.Writes() != 0 || srv.AppliedWrites() != 0 || len(srv.Calls()) != 0 {
		t.Error("ResetCalls left counts")
	}
}

func TestFaultsHandler(t *testing.T) {
	srv := tt.New()
	fh := srv.FaultsHandler()
	do := func(method, body string) (int, string) {
		t.Helper()
		rec := httptest.NewRecorder()
		fh.ServeHTTP(rec, httptest.NewRequest(method, "/faults", strings.NewReader(body)))
		return rec.Code, rec.Body.String()
	}

	status, body := do("PUT", `{"latency":"150ms","jitter":"10ms","error_rate":0.25,"rate_limit_next":2,"retry_after":1,"rate_limit":100,"rate_window":"1s","ambiguous_creates":1}`)
	if status != 200 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	want := tt.Faults{Latency: 150 * time.Millisecond, Jitter: 10 * time.Millisecond, ErrorRate: 0.25, RateLimitNext: 2,
		RetryAfter: 1, RateLimit: 100, RateWindow: time.Second, AmbiguousCreates: 1}
	if diff := cmp.Diff(want, srv.Faults()); diff != "" {
		t.Errorf("faults after PUT (-want +got):\n%s", diff)
	}
	status, body = do("GET", "")
	if status != 200 || body != `{"latency":"150ms","jitter":"10ms","error_rate":0.25,"timeout_rate":0,"rate_limit_next":2,"retry_after":1,"rate_limit":100,"rate_window":"1s","ambiguous_creates":1,"ignored_connection_updates":0}` {
		t.Errorf("GET: %d %s", status, body)
	}
	for _, bad := range []string{`{"error_rate":2}`, `{"latency":"soon"}`, `{"eror_rate":0.1}`, `{"rate_limit":-1}`, `{"rate_window":"-1s"}`, `not json`} {
		if status, body := do("PUT", bad); status != 400 {
			t.Errorf("PUT %s: %d %s", bad, status, body)
		}
	}
	if diff := cmp.Diff(want, srv.Faults()); diff != "" {
		t.Errorf("a refused PUT changed the faults:\n%s", diff)
	}
	if status, _ := do("DELETE", ""); status != 405 {
		t.Errorf("DELETE: %d", status)
	}
	if status, _ := do("PUT", `{}`); status != 200 || srv.Faults() != (tt.Faults{}) {
		t.Errorf("PUT {} left %+v", srv.Faults())
	}
}

func TestIgnoredConnectionUpdates(t *testing.T) {
	srv := tt.NewSandbox()
	setFaults(t, srv, tt.Faults{IgnoredConnectionUpdates: 1})
	e := serve(t, srv, "")
	n, _ := srv.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon)
	path := "/v2/phone_numbers/" + n.ID
	// An update without connection_id does not use it up.
	if r := e.do(t, "PATCH", path, tt.SandboxAPIKey, `{"tags":["a"]}`); r.status != 200 {
		t.Errorf("tags update: %d %s", r.status, r.body)
	}
	move := `{"connection_id":"` + tt.SandboxForeignConnectionID + `","tags":["b"]}`
	r := e.do(t, "PATCH", path, tt.SandboxAPIKey, move)
	if r.status != 200 || !strings.Contains(r.body, `"connection_id":null`) && !strings.Contains(r.body, `"connection_id":""`) {
		t.Errorf("ignored move answered %d %s, want 200 with the old (empty) connection", r.status, r.body)
	}
	if got, _ := srv.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon); got.ConnectionID != "" || !slices.Equal(got.Tags, []string{"b"}) {
		t.Errorf("after the ignored move: connection %q, tags %v; want none, [b]", got.ConnectionID, got.Tags)
	}
	if r := e.do(t, "PATCH", path, tt.SandboxAPIKey, move); r.status != 200 || !strings.Contains(r.body, tt.SandboxForeignConnectionID) {
		t.Errorf("next move: %d %s", r.status, r.body)
	}
}
