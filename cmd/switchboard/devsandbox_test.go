package main

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
)

// devAddPhone asks a dev server started by startDev to add a sandbox
// number with body, and returns the status and body of the answer.
func devAddPhone(t *testing.T, base, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/call/add-phone", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer devkey123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// TestDevSandboxNumbers: with --sandbox-numbers 3 every sandbox account
// owns three more numbers, from the start of its documented range, which
// the banner names; the fourth is not owned.
func TestDevSandboxNumbers(t *testing.T) {
	base, stdout, cancel, done := startDev(t, "--sandbox-numbers", "3")
	const want = "extra:    3 numbers per account: twilio +12126000000-+12126000002 plivo +918050000000-+918050000002 telnyx +442030000000-+442030000002"
	if !strings.Contains(stdout.String(), want) {
		t.Errorf("banner lacks %q:\n%s", want, stdout)
	}
	const user = `"userId":"64e5f12345abcdef12345678"`
	for _, c := range []struct {
		body string
		code int
	}{
		{`{` + user + `,"phoneNumber":"12126000002","integration":"twilio","authToken":"sandboxtwiliotoken","accSId":"AC00000000000000000000000000000001"}`, 201},
		{`{` + user + `,"phoneNumber":"918050000000","integration":"plivo","authToken":"sandboxplivotoken","accSId":"MA00000000000000SBX1"}`, 201},
		{`{` + user + `,"phoneNumber":"+442030000001","integration":"telnyx","authToken":"KEYSANDBOX0000000000000000000001"}`, 201},
		{`{` + user + `,"phoneNumber":"12126000003","integration":"twilio","authToken":"sandboxtwiliotoken","accSId":"AC00000000000000000000000000000001"}`, 400},
	} {
		if code, body := devAddPhone(t, base, c.body); code != c.code {
			t.Errorf("add-phone %s: %d %s, want %d", c.body, code, body, c.code)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dev did not stop cleanly: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dev did not stop within 30s")
	}
}

// TestDevSandboxNumbersBounded: a count outside the documented range is
// refused at start, naming the flag.
func TestDevSandboxNumbersBounded(t *testing.T) {
	err := run(t.Context(), []string{"dev", "--addr", "127.0.0.1:0", "--database", "sqlite:" + t.TempDir() + "/dev.db", "--sandbox-numbers", "10001"},
		env(nil), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--sandbox-numbers") || !strings.Contains(err.Error(), "0 to 10000") {
		t.Errorf("dev --sandbox-numbers 10001: %v, want an error naming the flag and its range", err)
	}
}

// TestDevStopsWithSandboxRequestInFlight: a sandbox request held longer
// than the 10 s HTTP drain (a 30 s latency fault, answering the worker's
// provider call) does not hold up the shutdown: dev cuts it short and
// exits cleanly (run returns nil: exit 0), well within the drain.
func TestDevStopsWithSandboxRequestInFlight(t *testing.T) {
	base, _, cancel, done := startDev(t)
	req, _ := http.NewRequest("PUT", base+"/sandbox/_faults/twilio", strings.NewReader(`{"latency":"30s"}`))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("set faults: %v %v", resp, err)
	}
	req, _ = http.NewRequest("POST", base+"/api/call/add-phone", strings.NewReader(
		`{"userId":"64e5f12345abcdef12345678","phoneNumber":"12125551234","integration":"twilio","authToken":"sandboxtwiliotoken","accSId":"AC00000000000000000000000000000001"}`))
	req.Header.Set("Authorization", "Bearer devkey123")
	req.Header.Set("Prefer", "respond-async")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("add-phone: %v %v", resp, err)
	}
	resp.Body.Close()
	time.Sleep(500 * time.Millisecond) // the worker's provider call is held
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dev did not stop cleanly: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("dev did not stop within 40s")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("shutdown took %v with a sandbox request in flight", took)
	}
}

// TestDevConcurrency: dev --concurrency and --bulk-concurrency set the
// slots of the worker's two servers (interactive queues, bulk queue), as
// asynq reports them in Redis (a Redis of the test's, so it can look).
func TestDevConcurrency(t *testing.T) {
	mr := miniredis.RunT(t)
	_, _, cancel, done := startDev(t, "--redis", "redis://"+mr.Addr(), "--concurrency", "3", "--bulk-concurrency", "2")
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: mr.Addr()})
	defer insp.Close()
	var slots []int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		servers, err := insp.Servers()
		if err != nil {
			t.Fatal(err)
		}
		slots = slots[:0]
		for _, s := range servers {
			slots = append(slots, s.Concurrency)
		}
		slices.Sort(slots)
		if slices.Equal(slots, []int{2, 3}) {
			break
		}
	}
	if !slices.Equal(slots, []int{2, 3}) {
		t.Errorf("worker slots %v, want servers with 3 and 2", slots)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("dev did not stop cleanly: %v", err)
	}
}
