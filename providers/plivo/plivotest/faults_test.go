package plivotest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	pt "github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

// fetchAccount is the cheapest request; it returns the status.
func fetchAccount(t *testing.T, hc *http.Client, authID, token string) int {
	t.Helper()
	status, _, _ := call(t, hc, "GET", apiBase+authID+"/", authID, token, nil)
	return status
}

func TestErrorRateIsSeeded(t *testing.T) {
	run := func(seed uint64) []int {
		srv := pt.NewSandbox(pt.WithSeed(seed))
		setFaults(t, srv, pt.Faults{ErrorRate: 0.3})
		e := serve(t, srv, "")
		hc, _ := e.httpClient(10 * time.Second)
		var statuses []int
		for range 100 {
			statuses = append(statuses, fetchAccount(t, hc, pt.SandboxAuthID, pt.SandboxAuthToken))
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

func TestErrorBodies(t *testing.T) {
	e := serve(t, pt.NewSandbox(), "")
	hc, _ := e.httpClient(10 * time.Second)
	setFaults(t, e.srv, pt.Faults{ErrorRate: 1})
	_, _, body := call(t, hc, "GET", sandboxURL(""), pt.SandboxAuthID, pt.SandboxAuthToken, nil)
	if !strings.HasSuffix(body, `","error":"internal server error"}`) {
		t.Errorf("500 body %s", body)
	}
	setFaults(t, e.srv, pt.Faults{ErrorRate: 1, EmptyErrorBody: true})
	status, h, body := call(t, hc, "GET", sandboxURL(""), pt.SandboxAuthID, pt.SandboxAuthToken, nil)
	if status != 500 || body != "" || h.Get("Content-Length") != "0" {
		t.Errorf("empty 500: %d %q %v", status, body, h)
	}
}

func TestLatencyAndJitter(t *testing.T) {
	srv := pt.NewSandbox()
	setFaults(t, srv, pt.Faults{Latency: 30 * time.Millisecond, Jitter: 20 * time.Millisecond})
	e := serve(t, srv, "")
	hc, _ := e.httpClient(10 * time.Second)
	for range 3 {
		start := time.Now()
		if s := fetchAccount(t, hc, pt.SandboxAuthID, pt.SandboxAuthToken); s != 200 {
			t.Fatalf("status %d", s)
		}
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Errorf("answered in %v, under the 30ms latency", d)
		}
	}
}

func TestRateLimitBurst(t *testing.T) {
	srv := pt.NewSandbox()
	e := serve(t, srv, "")
	hc, rt := e.httpClient(10 * time.Second)
	for _, retryAfter := range []int{0, 3} {
		rt.log = nil
		setFaults(t, srv, pt.Faults{RateLimitNext: 2, RetryAfter: retryAfter})
		var got []int
		for range 3 {
			got = append(got, fetchAccount(t, hc, pt.SandboxAuthID, pt.SandboxAuthToken))
		}
		if diff := cmp.Diff([]int{429, 429, 200}, got); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		for _, x := range rt.log[:2] {
			want := map[int]string{0: "", 3: "3"}[retryAfter]
			if x.Header.Get("Retry-After") != want || !strings.HasSuffix(x.Body, `","error":"too many requests"}`) {
				t.Errorf("429 with Retry-After %q body %s", x.Header.Get("Retry-After"), x.Body)
			}
		}
		if left := srv.Faults().RateLimitNext; left != 0 {
			t.Errorf("%d 429s left", left)
		}
	}
}

// TestRateLimitWindow: Plivo's 300 requests per 5 seconds per account, on
// by default.
func TestRateLimitWindow(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	srv := pt.NewSandbox(pt.WithClock(clock))
	other := "MA00000000000000OTHR"
	must(t, srv.AddAccount(other, "othertoken"))
	if f := srv.Faults(); f.RateLimit != pt.DefaultRateLimit || f.RateWindow != pt.DefaultRateWindow {
		t.Fatalf("a new server's faults: %+v", f)
	}
	e := serve(t, srv, "")
	hc, rt := e.httpClient(10 * time.Second)
	for i := range pt.DefaultRateLimit {
		if s := fetchAccount(t, hc, pt.SandboxAuthID, pt.SandboxAuthToken); s != 200 {
			t.Fatalf("request %d: %d", i+1, s)
		}
		if i == 99 {
			advance(4 * time.Second) // the first 100 leave the window 1s later
		}
	}
	rt.log = nil
	if s := fetchAccount(t, hc, pt.SandboxAuthID, pt.SandboxAuthToken); s != 429 {
		t.Errorf("request 301 within the window: %d", s)
	}
	if x := rt.log[0]; x.Header.Get("Retry-After") != "" || !strings.Contains(x.Body, `"error":"too many requests"`) {
		t.Errorf("window 429: %v %s", x.Header, x.Body)
	}
	if s := fetchAccount(t, hc, other, "othertoken"); s != 200 {
		t.Errorf("another account: %d", s)
	}
	advance(time.Second + time.Millisecond)
	for i := range 100 {
		if s := fetchAccount(t, hc, pt.SandboxAuthID, pt.SandboxAuthToken); s != 200 {
			t.Fatalf("request %d after the first 100 left the window: %d", i+1, s)
		}
	}
	if s := fetchAccount(t, hc, pt.SandboxAuthID, pt.SandboxAuthToken); s != 429 {
		t.Errorf("the window is full again: %d", s)
	}
}

func TestHangUntilClientGivesUp(t *testing.T) {
	srv := pt.NewSandbox()
	setFaults(t, srv, pt.Faults{TimeoutRate: 1})
	e := serve(t, srv, "")
	hc, _ := e.httpClient(10 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", sandboxURL(""), nil)
	must(t, err)
	req.SetBasicAuth(pt.SandboxAuthID, pt.SandboxAuthToken)
	if resp, err := hc.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a hung request was answered %d", resp.StatusCode)
	}
}

func TestCloseReleasesHungRequests(t *testing.T) {
	srv := pt.NewSandbox()
	setFaults(t, srv, pt.Faults{TimeoutRate: 1})
	e := serve(t, srv, "")
	hc, _ := e.httpClient(10 * time.Second)
	got := make(chan int, 1)
	go func() { // no t.Fatal off the test goroutine: report through got
		req, _ := http.NewRequest("GET", sandboxURL(""), nil)
		req.SetBasicAuth(pt.SandboxAuthID, pt.SandboxAuthToken)
		resp, err := hc.Do(req)
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	waitFor(t, "the request to arrive", func() bool { return srv.Calls()[pt.EndpointGetAccount] > 0 })
	srv.Close()
	select {
	case s := <-got:
		if s != 500 {
			t.Errorf("released request: %d, want 500", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the hung request")
	}
}

func TestAmbiguousCreatesCountDown(t *testing.T) {
	srv := pt.NewSandbox()
	setFaults(t, srv, pt.Faults{AmbiguousCreates: 2})
	e := serve(t, srv, "")
	hc, _ := e.httpClient(10 * time.Second)
	var got []int
	for range 3 {
		status, _, _ := call(t, hc, "POST", sandboxURL("Application/"), pt.SandboxAuthID, pt.SandboxAuthToken,
			map[string]any{"app_name": "a", "answer_url": "https://a.example.com/"})
		got = append(got, status)
	}
	if diff := cmp.Diff([]int{500, 500, 201}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if n := srv.Applications(pt.SandboxAuthID, "a"); n != 3 || srv.AppliedWrites() != 3 {
		t.Errorf("%d applications, %d applied writes: every create should have landed", n, srv.AppliedWrites())
	}
	// Only creates: a number attach is not ambiguous.
	setFaults(t, srv, pt.Faults{AmbiguousCreates: 1})
	status, _, _ := call(t, hc, "GET", sandboxURL("Application/"), pt.SandboxAuthID, pt.SandboxAuthToken, nil)
	if status != 200 || srv.Faults().AmbiguousCreates != 1 {
		t.Errorf("a list consumed the ambiguous create: %d", status)
	}
}

func TestCounters(t *testing.T) {
	e := serve(t, pt.NewSandbox(), "")
	hc, _ := e.httpClient(10 * time.Second)
	fetchAccount(t, hc, pt.SandboxAuthID, pt.SandboxAuthToken)
	call(t, hc, "POST", sandboxURL("Number/918000000001/"), pt.SandboxAuthID, pt.SandboxAuthToken, map[string]any{"alias": "x"})
	call(t, hc, "GET", sandboxURL("Nope/"), pt.SandboxAuthID, pt.SandboxAuthToken, nil)
	want := map[string]int{pt.EndpointGetAccount: 1, pt.EndpointUpdateNumber: 1, pt.EndpointOther: 1}
	if diff := cmp.Diff(want, e.srv.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if e.srv.Reads() != 2 || e.srv.Writes() != 1 || e.srv.AppliedWrites() != 1 {
		t.Errorf("reads %d writes %d applied %d", e.srv.Reads(), e.srv.Writes(), e.srv.AppliedWrites())
	}
	e.srv.ResetCalls()
	if len(e.srv.Calls()) != 0 || e.srv.Reads() != 0 || e.srv.Writes() != 0 || e.srv.AppliedWrites() != 0 {
		t.Error("ResetCalls left counts")
	}
}

func TestFaultsHandler(t *testing.T) {
	srv := pt.NewSandbox()
	ts := httptest.NewServer(srv.FaultsHandler())
	t.Cleanup(ts.Close)
	do := func(method, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL, strings.NewReader(body))
		must(t, err)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		must(t, err)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	status, body := do("GET", "")
	want := `{"latency":"0s","jitter":"0s","error_rate":0,"empty_error_body":false,"timeout_rate":0,"rate_limit_next":0,"retry_after":0,"rate_limit":300,"rate_window":"5s","ambiguous_creates":0}`
	if status != 200 || body != want {
		t.Errorf("GET: %d %s", status, body)
	}
	status, _ = do("PUT", `{"latency":"150ms","error_rate":0.5,"empty_error_body":true,"ambiguous_creates":2}`)
	f := srv.Faults()
	if status != 200 || f.Latency != 150*time.Millisecond || f.ErrorRate != 0.5 || !f.EmptyErrorBody || f.AmbiguousCreates != 2 || f.RateLimit != 0 {
		t.Errorf("PUT: %d %+v", status, f)
	}
	for _, bad := range []string{`{"eror_rate":1}`, `{"error_rate":2}`, `{"rate_limit":5}`, `{"latency":"soon"}`, `nope`} {
		if status, _ := do("PUT", bad); status != 400 {
			t.Errorf("PUT %s: %d", bad, status)
		}
	}
	if status, _ := do("POST", `{}`); status != 405 {
		t.Errorf("POST: %d", status)
	}
	if f2 := srv.Faults(); f2 != f {
		t.Errorf("refused PUTs changed the faults: %+v", f2)
	}
}

// waitFor polls cond for up to 5 seconds: for events in the server's
// goroutines that the test cannot be told about.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
