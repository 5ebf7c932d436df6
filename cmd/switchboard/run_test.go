package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// env is a fake environment for run.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, env(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "switchboard ") {
		t.Errorf("version printed %q", out.String())
	}
}

func TestMissingConfigurationNamesTheVariable(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"worker"}, map[string]string{"SWITCHBOARD_REDIS_URL": "redis://x", "SWITCHBOARD_DATABASE_URL": "sqlite:x", "SWITCHBOARD_SECRET_KEY": "k"}, "SWITCHBOARD_WEBHOOK_BASE_URL is required (or --webhook-base-url)"},
		{[]string{"migrate"}, nil, "SWITCHBOARD_DATABASE_URL is required"},
		{[]string{"migrate"}, map[string]string{"SWITCHBOARD_DATABASE_URL": "mysql://x"}, "SWITCHBOARD_DATABASE_URL: want postgres://... or sqlite:<path>"},
		{[]string{"api", "--redis", "redis://x", "--database", "sqlite:" + filepath.Join(t.TempDir(), "db"), "--secret-key", "k1:short"}, nil, "SWITCHBOARD_SECRET_KEY: "},
		{[]string{"api"}, map[string]string{"SWITCHBOARD_REDIS_URL": "redis://x", "SWITCHBOARD_DATABASE_URL": "sqlite:x", "SWITCHBOARD_SECRET_KEY": "k", "SWITCHBOARD_API_WAIT": "soon"}, "SWITCHBOARD_API_WAIT"},
		{[]string{"api"}, map[string]string{"SWITCHBOARD_REDIS_URL": "redis://x", "SWITCHBOARD_DATABASE_URL": "sqlite:x", "SWITCHBOARD_SECRET_KEY": "k", "SWITCHBOARD_DEFAULT_REGION": "XX"}, "SWITCHBOARD_DEFAULT_REGION"},
		{[]string{"api"}, map[string]string{"SWITCHBOARD_REDIS_URL": "redis://x", "SWITCHBOARD_DATABASE_URL": "sqlite:x", "SWITCHBOARD_SECRET_KEY": "k", "SWITCHBOARD_IMPORT_YIELD": "soon"}, "SWITCHBOARD_IMPORT_YIELD"},
		{[]string{"api", "--import-yield", "-5ms"}, map[string]string{"SWITCHBOARD_REDIS_URL": "redis://x", "SWITCHBOARD_DATABASE_URL": "sqlite:x", "SWITCHBOARD_SECRET_KEY": "k"}, `SWITCHBOARD_IMPORT_YIELD: "-5ms"`},
		{[]string{"worker"}, map[string]string{"SWITCHBOARD_REDIS_URL": "redis://x", "SWITCHBOARD_DATABASE_URL": "sqlite:x", "SWITCHBOARD_SECRET_KEY": "k", "SWITCHBOARD_WEBHOOK_BASE_URL": "https://x", "SWITCHBOARD_RECONCILE_INTERVAL": "5s"}, "SWITCHBOARD_RECONCILE_INTERVAL"},
	}
	for _, c := range cases {
		err := run(context.Background(), c.args, env(c.env), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v with %v: error %v, want it to contain %q", c.args, c.env, err, c.want)
		}
	}
}

// TestMissingSettingsAllAtOnce: one run names every missing required
// setting, not the first of them.
func TestMissingSettingsAllAtOnce(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"worker"}, nil, "4 required settings are missing: SWITCHBOARD_REDIS_URL (or --redis), SWITCHBOARD_DATABASE_URL (or --database), SWITCHBOARD_SECRET_KEY (or --secret-key), SWITCHBOARD_WEBHOOK_BASE_URL (or --webhook-base-url)"},
		{[]string{"worker"}, map[string]string{"SWITCHBOARD_DATABASE_URL": "sqlite:x"}, "3 required settings are missing: SWITCHBOARD_REDIS_URL (or --redis), SWITCHBOARD_SECRET_KEY (or --secret-key), SWITCHBOARD_WEBHOOK_BASE_URL (or --webhook-base-url)"},
		{[]string{"worker", "--redis", "redis://x", "--secret-key", "k"}, nil, "2 required settings are missing: SWITCHBOARD_DATABASE_URL (or --database), SWITCHBOARD_WEBHOOK_BASE_URL (or --webhook-base-url)"},
		{[]string{"api"}, nil, "3 required settings are missing: SWITCHBOARD_REDIS_URL (or --redis), SWITCHBOARD_DATABASE_URL (or --database), SWITCHBOARD_SECRET_KEY (or --secret-key)"},
		{[]string{"rekey"}, nil, "2 required settings are missing: SWITCHBOARD_DATABASE_URL (or --database), SWITCHBOARD_SECRET_KEY (or --secret-key)"},
		{[]string{"migrate"}, nil, "SWITCHBOARD_DATABASE_URL is required (or --database)"},
	}
	for _, c := range cases {
		err := run(context.Background(), c.args, env(c.env), io.Discard, io.Discard)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q with %v:\n got %v\nwant %s", c.args, c.env, err, c.want)
		}
	}
}

func TestSecretKeyNeverInErrors(t *testing.T) {
	secret := "k1:" + strings.Repeat("QUJD", 10) // valid base64, wrong length
	err := run(context.Background(), []string{"api", "--redis", "redis://x", "--database", "sqlite:" + filepath.Join(t.TempDir(), "db")},
		env(map[string]string{"SWITCHBOARD_SECRET_KEY": secret}), io.Discard, io.Discard)
	if err == nil || strings.Contains(err.Error(), strings.Repeat("QUJD", 10)) {
		t.Errorf("error %v: want a failure that does not echo the key", err)
	}
}

func TestUnknownVariableFailsAtStart(t *testing.T) {
	t.Setenv("SWITCHBOARD_REDIS_ULR", "redis://typo")
	for _, args := range [][]string{{"worker"}, {"migrate"}, {"apikey", "create", "--org", "acme"}} {
		err := run(context.Background(), args, os.Getenv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_REDIS_ULR") {
			t.Errorf("%q: error %v, want one naming SWITCHBOARD_REDIS_ULR", args, err)
		}
	}
}

// TestHelpAndVersionIgnoreConfiguration: help, version and any --help
// work whatever the environment holds: an unknown variable, a bad value, a
// missing required setting.
func TestHelpAndVersionIgnoreConfiguration(t *testing.T) {
	t.Setenv("SWITCHBOARD_REDIS_ULR", "redis://typo")
	t.Setenv("SWITCHBOARD_LOG_LEVEL", "loud")
	t.Setenv("SWITCHBOARD_CONCURRENCY", "many")
	t.Setenv("SWITCHBOARD_REDIS_URL", "memcached://x")
	for _, args := range [][]string{
		nil, {"version"}, {"help"}, {"help", "worker"}, {"--help"}, {"-h"},
		{"worker", "--help"}, {"api", "--help"}, {"migrate", "-h"}, {"dev", "--help"},
		{"apikey", "--help"}, {"apikey", "create", "--help"}, {"apikey", "list", "--help"}, {"apikey", "revoke", "--help"}, {"rekey", "--help"},
		{"completion", "bash"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, os.Getenv, &out, io.Discard); err != nil {
			t.Errorf("%q: %v", args, err)
		} else if out.Len() == 0 {
			t.Errorf("%q printed nothing", args)
		}
	}
}

func TestMigrateAndAPIKey(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "sb.db")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "--database", db}, env(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"apikey", "create", "--org", "acme", "--database", db}, env(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^sbk_[0-9a-f]{12}_[0-9a-f]{48}\n$`).MatchString(out.String()) {
		t.Errorf("apikey create printed %q", out.String())
	}
	key := strings.TrimSpace(out.String())
	id := strings.Split(key, "_")[1]

	// list shows the key's public id, never the key.
	list := func() string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), []string{"apikey", "list", "--org", "acme", "--database", db}, env(nil), &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if got := list(); !strings.Contains(got, id) || strings.Contains(got, key) {
		t.Errorf("apikey list printed %q; want the id %s and not the key", got, id)
	}
	// revoke takes the key (or its id); the key then authenticates no more.
	if err := run(context.Background(), []string{"apikey", "revoke", key, "--database", db}, env(nil), io.Discard, io.Discard); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if got := list(); strings.Contains(got, id) {
		t.Errorf("after revoke, apikey list printed %q", got)
	}
	if err := run(context.Background(), []string{"apikey", "revoke", id, "--database", db}, env(nil), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "no API key") {
		t.Errorf("revoking again: %v, want no API key", err)
	}
	if err := run(context.Background(), []string{"apikey", "list", "--org", "nobody", "--database", db}, env(nil), io.Discard, io.Discard); err == nil {
		t.Error("list for an unknown org succeeded")
	}
}

// TestDev runs `switchboard dev` as a user would: start it, copy the API
// key from its banner, add a sandbox number over HTTP, stop it.
// startDev runs `switchboard dev` on a free port with the API key
// devkey123 until the test ends (or cancel), and returns its URL, its
// output so far, and where run's error arrives. args are more flags.
func startDev(t *testing.T, args ...string) (base string, stdout *syncBuffer, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stdout = &syncBuffer{}
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"dev", "--addr", "127.0.0.1:0", "--database", "sqlite:" + filepath.Join(dir, "dev.db")}, args...),
			env(map[string]string{"SWITCHBOARD_DEV_API_KEY": "devkey123"}), stdout, io.Discard)
	}()
	// Generous: under -race on a loaded CI machine, migrating SQLite and
	// hashing the admin password (bcrypt) can take many seconds.
	const within = 90 * time.Second
	deadline := time.Now().Add(within)
	for base == "" {
		if m := regexp.MustCompile(`running at (http://\S+)`).FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
		select {
		case err := <-errc:
			t.Fatalf("dev exited early: %v\n%s", err, stdout)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner after %v:\n%s", within, stdout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return base, stdout, cancel, errc
}

func TestDev(t *testing.T) {
	base, stdout, cancel, done := startDev(t)
	banner := stdout.String()
	for _, want := range []string{"API key:  devkey123", "curl -sS -X POST " + base + "/api/call/add-phone"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}

	// Run the banner's curl command, as a user would paste it.
	curl := bufio.NewScanner(strings.NewReader(banner))
	var body string
	for curl.Scan() {
		if line := curl.Text(); strings.HasPrefix(line, "curl ") {
			body = line[strings.Index(line, "-d '")+4 : len(line)-1]
		}
	}
	req, _ := http.NewRequest("POST", base+"/api/call/add-phone", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer devkey123")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Code int `json:"code"`
		Data struct {
			PhoneNumber string `json:"phoneNumber"`
		} `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != 201 || got.Data.PhoneNumber != "12125551234" {
		t.Errorf("add-phone from the banner: %d %+v", resp.StatusCode, got)
	}

	// Plivo and Telnyx sandbox numbers too.
	for _, body := range []string{
		`{"userId":"64e5f12345abcdef12345678","phoneNumber":"918000000001","integration":"plivo","authToken":"sandboxplivotoken","accSId":"MA00000000000000SBX1"}`,
		`{"userId":"64e5f12345abcdef12345678","phoneNumber":"+442012345678","integration":"telnyx","authToken":"KEYSANDBOX0000000000000000000001"}`,
	} {
		req, _ := http.NewRequest("POST", base+"/api/call/add-phone", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer devkey123")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Errorf("add-phone %s: %d %s", body, resp.StatusCode, raw)
		}
	}
	// The worker counts a job just after the API has its result: poll.
	wantMetrics := []string{
		`switchboard_jobs_total{outcome="succeeded",type="number:add"} 3`,
		`switchboard_provider_http_requests_total{endpoint="/sandbox/telnyx/v2/phone_numbers/{id}",method="PATCH",provider="telnyx",status="200"} 1`,
	}
	var metrics string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(base + "/metrics")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /metrics: %v %v", resp, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		metrics = string(raw)
		if strings.Contains(metrics, wantMetrics[0]) && strings.Contains(metrics, wantMetrics[1]) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("metrics do not count the three adds:\n%s", metrics)
			break
		}
	}

	// The sandbox shows the simulated number, now routed to the webhooks.
	req, _ = http.NewRequest("GET", base+"/sandbox/twilio/2010-04-01/Accounts/AC00000000000000000000000000000001/IncomingPhoneNumbers.json?PhoneNumber=%2B12125551234", nil)
	req.SetBasicAuth("AC00000000000000000000000000000001", "sandboxtwiliotoken")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(raw), base+"/dev/webhooks/voice/inbound") {
		t.Errorf("sandbox number not routed to the dev webhooks: %s", raw)
	}
	// dev answers those webhooks, as the platform would, and lists them.
	resp, err = http.PostForm(base+"/dev/webhooks/voice/inbound", url.Values{"From": {"+15005550006"}, "To": {"+12125551234"}})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(raw), "<Response>") {
		t.Errorf("inbound webhook: %d %s, want 200 with a call script", resp.StatusCode, raw)
	}
	resp, err = http.Get(base + "/dev/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(raw), `"/dev/webhooks/voice/inbound"`) || !strings.Contains(string(raw), "+15005550006") {
		t.Errorf("recent webhooks: %s", raw)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dev did not stop cleanly: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dev did not stop within 30s of cancellation")
	}
}

// TestShutdownAnswersWaitingRequests: a request waiting on its job when
// the process is told to stop gets its job (202) at once rather than an
// empty reply, and the process stops cleanly (run returns nil: exit 0).
func TestShutdownAnswersWaitingRequests(t *testing.T) {
	base, _, cancel, done := startDev(t)
	// The provider answers after 4 s: the request will be waiting (and the
	// sandbox, served by dev itself, answers within the 10 s drain).
	req, _ := http.NewRequest("PUT", base+"/sandbox/_faults/twilio", strings.NewReader(`{"latency":"4s"}`))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("set faults: %v %v", resp, err)
	}
	type answer struct {
		code int
		body string
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("POST", base+"/api/call/add-phone", strings.NewReader(
			`{"userId":"64e5f12345abcdef12345678","phoneNumber":"12125551234","integration":"twilio","authToken":"sandboxtwiliotoken","accSId":"AC00000000000000000000000000000001"}`))
		req.Header.Set("Authorization", "Bearer devkey123")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- answer{code: resp.StatusCode, body: string(raw)}
	}()
	time.Sleep(500 * time.Millisecond) // the request is waiting on its job
	start := time.Now()
	cancel()
	a := <-answered
	if a.err != nil || a.code != http.StatusAccepted || !strings.Contains(a.body, `"job_id"`) {
		t.Errorf("waiting request at shutdown: %d %s %v; want 202 with its job", a.code, a.body, a.err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dev did not stop cleanly: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dev did not stop within 30s")
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("shutdown took %v", took)
	}
}

// TestBulkConcurrencyVariable: the worker knows SWITCHBOARD_BULK_CONCURRENCY
// (it is not refused as unknown) and refuses a value that is not 0 or a
// positive integer, naming the variable, before connecting to anything.
func TestBulkConcurrencyVariable(t *testing.T) {
	for _, v := range []string{"-2", "many"} {
		t.Setenv("SWITCHBOARD_BULK_CONCURRENCY", v)
		err := run(context.Background(), []string{"worker", "--redis", "redis://127.0.0.1:1", "--database", "sqlite:" + filepath.Join(t.TempDir(), "db"),
			"--secret-key", "k1:" + strings.Repeat("A", 43) + "=", "--webhook-base-url", "https://example.com"}, os.Getenv, io.Discard, io.Discard)
		want := fmt.Sprintf("SWITCHBOARD_BULK_CONCURRENCY: %q is not 0 or a positive integer", v)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", v, err, want)
		}
	}
}
