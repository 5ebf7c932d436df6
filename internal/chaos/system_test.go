package chaos_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// webhookBase is the platform's webhook base the workers are given:
// unlinked numbers point at webhookBase + "/voice/inbound".
const webhookBase = "https://voice.example.com/hooks"

// system is switchboard as it is deployed: one api process and worker
// processes of the real binary, their own Redis, a PostgreSQL database,
// and the three providers' simulators (in the test process: they are the
// outside world).
type system struct {
	t       testing.TB
	bin     string
	env     []string
	redis   *redisServer
	dbURL   string
	base    string // the api's URL
	key     string // the org's API key
	api     *proc
	workers []*proc

	tw *twiliotest.Server
	pl *plivotest.Server
	tx *telnyxtest.Server
	// tooMany counts the 429s each simulator answered, by provider.
	tooMany map[string]*atomic.Int64

	mu        sync.Mutex
	responses bytes.Buffer // every API answer, for the secret scan
}

// startSystem starts everything with workers worker processes.
func startSystem(t testing.TB, workers int) *system {
	t.Helper()
	s := &system{t: t, dbURL: testenv.PostgresURL(t)}
	dir := t.TempDir() // the logs; removed after the cleanup below shows them
	s.redis = startRedis(t)
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range s.procs() {
				if p != nil && p.log != "" {
					t.Logf("--- the end of %s's log:\n%s", p.name, tail(p.output(), 6000))
				}
			}
		}
	})
	s.bin = buildBinary(t)
	s.tw, s.pl, s.tx = twiliotest.NewSandbox(), plivotest.NewSandbox(), telnyxtest.NewSandbox()
	s.tooMany = map[string]*atomic.Int64{"twilio": {}, "plivo": {}, "telnyx": {}}
	serve := func(name string, h http.Handler, closeSim func()) string {
		srv := httptest.NewServer(countTooMany(h, s.tooMany[name]))
		t.Cleanup(func() { closeSim(); srv.Close() })
		return srv.URL
	}
	key := make([]byte, 32)
	rand.Read(key)
	s.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"SWITCHBOARD_REDIS_URL=" + s.redis.url(),
		"SWITCHBOARD_DATABASE_URL=" + s.dbURL,
		"SWITCHBOARD_SECRET_KEY=chaos:" + base64.StdEncoding.EncodeToString(key),
		"SWITCHBOARD_WEBHOOK_BASE_URL=" + webhookBase,
		"SWITCHBOARD_TWILIO_BASE_URL=" + serve("twilio", s.tw, s.tw.Close),
		"SWITCHBOARD_PLIVO_BASE_URL=" + serve("plivo", s.pl, s.pl.Close),
		"SWITCHBOARD_TELNYX_BASE_URL=" + serve("telnyx", s.tx, s.tx.Close),
		"SWITCHBOARD_PROVIDER_TIMEOUT=2s",
		"SWITCHBOARD_RECONCILE_INTERVAL=0",
		"SWITCHBOARD_SHUTDOWN_TIMEOUT=5s",
		"SWITCHBOARD_CONCURRENCY=10",
		"SWITCHBOARD_LOG_FORMAT=text",
	}
	if out, err := s.command("migrate").CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	s.key = s.newOrg("chaos")

	s.api = &proc{name: "api", bin: s.bin, args: []string{"api"}, log: filepath.Join(dir, "api.log")}
	startServing(t, s.api, s.env, 2, func(ports []int) []string {
		s.base = fmt.Sprintf("http://127.0.0.1:%d", ports[0])
		return []string{fmt.Sprintf("SWITCHBOARD_ADDR=127.0.0.1:%d", ports[0]), fmt.Sprintf("SWITCHBOARD_METRICS_ADDR=127.0.0.1:%d", ports[1])}
	}, func([]int) error { return waitHTTP(s.api, s.base+"/healthz", time.Minute) })
	t.Cleanup(func() { s.api.kill(syscall.SIGTERM) })
	for i := range workers {
		w := &proc{name: fmt.Sprintf("worker%d", i), bin: s.bin, args: []string{"worker"},
			log: filepath.Join(dir, fmt.Sprintf("worker%d.log", i))}
		s.startWorker(w)
		t.Cleanup(func() { w.kill(syscall.SIGTERM) })
		s.workers = append(s.workers, w)
	}
	return s
}

// countTooMany counts the answers of h with status 429 in n.
func countTooMany(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&statusWriter{ResponseWriter: w, tooMany: n}, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	tooMany *atomic.Int64
}

func (w *statusWriter) WriteHeader(code int) {
	if code == http.StatusTooManyRequests {
		w.tooMany.Add(1)
	}
	w.ResponseWriter.WriteHeader(code)
}

// newOrg creates an org and returns its API key.
func (s *system) newOrg(name string) string {
	s.t.Helper()
	out, err := s.command("apikey", "create", "--org", name).Output()
	if err != nil {
		s.t.Fatalf("apikey create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// command is a one-shot switchboard command with the system's settings.
func (s *system) command(args ...string) *exec.Cmd {
	cmd := exec.Command(s.bin, args...)
	cmd.Env = s.env
	return cmd
}

func (s *system) procs() []*proc { return append([]*proc{s.api, &s.redis.proc}, s.workers...) }

// startWorker starts w on a fresh metrics port and waits until it is ready.
func (s *system) startWorker(w *proc) {
	s.t.Helper()
	startServing(s.t, w, s.env, 1, func(ports []int) []string {
		return []string{fmt.Sprintf("SWITCHBOARD_METRICS_ADDR=127.0.0.1:%d", ports[0])}
	}, func(ports []int) error {
		return waitHTTP(w, fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[0]), time.Minute)
	})
}

// restartWorker kills worker i with SIGKILL, as a crashed node, and
// starts it again a second later.
func (s *system) restartWorker(i int) {
	s.workers[i].kill(syscall.SIGKILL)
	time.Sleep(time.Second)
	s.startWorker(s.workers[i])
}

// cutDatabase terminates every PostgreSQL connection of the system.
func (s *system) cutDatabase(ctx context.Context) (int, error) {
	c, err := pgx.Connect(ctx, s.dbURL)
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	var n int
	err = c.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n)
	return n, err
}

// request is one logical API request. Like a careful client, do sends it
// again with the same Idempotency-Key until it gets an answer that is not
// a transport error or a 5xx (a worker or Redis may be down for a moment).
type request struct {
	method, path string
	body         any
	key          string // Idempotency-Key
	apiKey       string // the org's API key; empty: the system's first org
}

func newRequest(method, path string, body any) request {
	k := make([]byte, 16)
	rand.Read(k)
	return request{method: method, path: path, body: body, key: hex.EncodeToString(k)}
}

// answer is what the API said, with the job it named, if any.
type answer struct {
	status int
	body   []byte
	jobID  string
	data   map[string]any
}

func (s *system) do(r request) (answer, error) {
	var last error
	for attempt := 0; attempt < 120; attempt++ {
		if attempt > 0 {
			time.Sleep(250 * time.Millisecond)
		}
		var body io.Reader
		if r.body != nil {
			b, _ := json.Marshal(r.body)
			body = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(r.method, s.base+r.path, body)
		req.Header.Set("Authorization", "Bearer "+cmp.Or(r.apiKey, s.key))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Prefer", "respond-async")
		req.Header.Set("Idempotency-Key", r.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			last = err
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			last = err
			continue
		}
		s.mu.Lock()
		s.responses.Write(b)
		s.responses.WriteByte('\n')
		s.mu.Unlock()
		// 409 here is the Idempotency-Key's first request still running.
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusConflict && strings.Contains(string(b), "progress") {
			last = fmt.Errorf("%s %s: %d %s", r.method, r.path, resp.StatusCode, b)
			continue
		}
		a := answer{status: resp.StatusCode, body: b}
		var env struct {
			Data map[string]any `json:"data"`
		}
		if json.Unmarshal(b, &env) == nil && env.Data != nil {
			a.data = env.Data
			a.jobID, _ = env.Data["job_id"].(string)
		}
		return a, nil
	}
	return answer{}, fmt.Errorf("no answer after 120 attempts: %w", last)
}

// mustDo is do for set-up requests, which must succeed with want.
func (s *system) mustDo(r request, want int) answer {
	s.t.Helper()
	a, err := s.do(r)
	if err != nil {
		s.t.Fatal(err)
	}
	if a.status != want {
		s.t.Fatalf("%s %s: %d %s, want %d", r.method, r.path, a.status, a.body, want)
	}
	return a
}
