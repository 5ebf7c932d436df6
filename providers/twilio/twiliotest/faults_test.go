package twiliotest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tt "github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// fetchAccount is the cheapest request; it returns the status.
func fetchAccount(t *testing.T, hc *http.Client, sid, token string) int {
	t.Helper()
	status, _, _ := call(t, hc, "GET", apiBase+sid+".json", sid, token, nil)
	return status
}

func TestErrorRateIsSeeded(t *testing.T) {
	run := func(seed uint64) []int {
		srv := tt.NewSandbox(tt.WithSeed(seed))
		setFaults(t, srv, tt.Faults{ErrorRate: 0.3})
		e := serve(t, srv, "")
		hc, _ := e.httpClient(t, 10*time.Second)
		var statuses []int
		for range 100 {
			statuses = append(statuses, fetchAccount(t, hc, tt.SandboxAccountSID, tt.SandboxAuthToken))
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

func TestLatencyAndJitter(t *testing.T) {
	srv := tt.NewSandbox()
	setFaults(t, srv, tt.Faults{Latency: 30 * time.Millisecond, Jitter: 20 * time.Millisecond})
	e := serve(t, srv, "")
	hc, _ := e.httpClient(t, 10*time.Second)
	for range 3 {
		start := time.Now()
		if s := fetchAccount(t, hc, tt.SandboxAccountSID, tt.SandboxAuthToken); s != 200 {
			t.Fatalf("status %d", s)
		}
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Errorf("answered in %v, under the 30ms latency", d)
		}
	}
}

func TestRateLimitBurst(t *testing.T) {
	srv := tt.NewSandbox()
	setFaults(t, srv, tt.Faults{RateLimitNext: 2}) // no Retry-After
	e := serve(t, srv, "")
	hc, vt := e.httpClient(t, 10*time.Second)
	var got []int
	for range 3 {
		got = append(got, fetchAccount(t, hc, tt.SandboxAccountSID, tt.SandboxAuthToken))
	}
	if diff := cmp.Diff([]int{429, 429, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	for _, x := range vt.Exchanges()[:2] {
		if _, ok := x.Header["Retry-After"]; ok || !strings.Contains(string(x.Body), `"code":20429`) {
			t.Errorf("429 with headers %v body %s", x.Header, x.Body)
		}
	}
	if left := srv.Faults().RateLimitNext; left != 0 {
		t.Errorf("%d 429s left", left)
	}
	if n := srv.Calls()[tt.EndpointFetchAccount]; n != 3 {
		t.Errorf("%d calls counted, want 3 (faulted ones included)", n)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	srv := tt.NewSandbox()
	other := "AC" + strings.Repeat("0", 31) + "2"
	must(t, srv.AddAccount(other, "othertoken"))
	e := serve(t, srv, "")
	hc, _ := e.httpClient(t, 10*time.Second)

	// Hold one request of the sandbox account in flight: it hangs until
	// cancelled.
	setFaults(t, srv, tt.Faults{TimeoutRate: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	held := make(chan error, 1)
	go func() {
		req, err := http.NewRequestWithContext(ctx, "GET", apiBase+tt.SandboxAccountSID+".json", nil)
		if err != nil {
			held <- err
			return
		}
		req.SetBasicAuth(tt.SandboxAccountSID, tt.SandboxAuthToken)
		resp, err := e.rawClient().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		held <- err
	}()
	// A counted call holds its slot (both happen under one lock).
	waitFor(t, "the held request to arrive", func() bool { return srv.Calls()[tt.EndpointFetchAccount] > 0 })

	setFaults(t, srv, tt.Faults{MaxConcurrent: 1, RetryAfter: 1})
	if s := fetchAccount(t, hc, tt.SandboxAccountSID, tt.SandboxAuthToken); s != 429 {
		t.Errorf("second concurrent request of the account: %d, want 429", s)
	}
	if s := fetchAccount(t, hc, other, "othertoken"); s != 200 {
		t.Errorf("another account's request: %d, want 200", s)
	}

	cancel()
	if err := <-held; err == nil {
		t.Error("the held request was answered")
	}
	// The slot is released when the handler returns, shortly after the
	// client hangs up.
	waitFor(t, "the slot to be released", func() bool {
		return fetchAccount(t, hc, tt.SandboxAccountSID, tt.SandboxAuthToken) == 200
	})
}

func TestCloseReleasesHungRequests(t *testing.T) {
	srv := tt.NewSandbox()
	setFaults(t, srv, tt.Faults{TimeoutRate: 1})
	e := serve(t, srv, "")
	hc, _ := e.httpClient(t, 10*time.Second)
	got := make(chan int, 1)
	go func() { // no t.Fatal off the test goroutine: report through got
		req, _ := http.NewRequest("GET", apiBase+tt.SandboxAccountSID+".json", nil)
		req.SetBasicAuth(tt.SandboxAccountSID, tt.SandboxAuthToken)
		resp, err := hc.Do(req)
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	waitFor(t, "the request to arrive", func() bool { return srv.Calls()[tt.EndpointFetchAccount] > 0 })
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

func TestAmbiguousWritesCountDown(t *testing.T) {
	srv := tt.NewSandbox()
	setFaults(t, srv, tt.Faults{AmbiguousWrites: 2})
	e := serve(t, srv, "")
	hc, _ := e.httpClient(t, 10*time.Second)
	sf, _ := srv.Number(tt.SandboxAccountSID, tt.SandboxNumberSF)
	path := apiBase + tt.SandboxAccountSID + "/IncomingPhoneNumbers/" + sf.SID + ".json"

	var got []int
	for _, u := range []string{"https://a.example.com/", "https://b.example.com/", "https://c.example.com/"} {
		status, _, _ := call(t, hc, "POST", path, tt.SandboxAccountSID, tt.SandboxAuthToken, map[string][]string{"VoiceUrl": {u}})
		got = append(got, status)
	}
	if diff := cmp.Diff([]int{500, 500, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if n, _ := srv.Number(tt.SandboxAccountSID, tt.SandboxNumberSF); n.VoiceURL != "https://c.example.com/" || srv.AppliedWrites() != 3 {
		t.Errorf("voice_url %q, %d applied: every write should have landed", n.VoiceURL, srv.AppliedWrites())
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
