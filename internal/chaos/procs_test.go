package chaos_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// buildBinary compiles cmd/switchboard once per test binary run, with the
// race detector when the tests run with it, so the worker and api
// processes are checked for races too.
func buildBinary(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(t.TempDir(), "switchboard")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/switchboard")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// freePort returns a TCP port nothing listens on at the moment.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is one process of the system under test, its output kept in a file
// for the secret scan and for failures.
type proc struct {
	name string
	bin  string
	args []string
	env  []string
	log  string

	mu  sync.Mutex
	cmd *exec.Cmd
	out *os.File
}

func (p *proc) start(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = p.env, f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("%s: %v", p.name, err)
	}
	p.cmd, p.out = cmd, f
}

// kill ends the process with sig and waits for it.
func (p *proc) kill(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	p.out.Close()
	p.cmd = nil
}

func (p *proc) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// waitHTTP waits until url answers 200.
func waitHTTP(t *testing.T, url string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %v: %v", url, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// redisServer is a redis-server of the test's own, with its append-only
// file synced on every write, so a restart (even after SIGKILL) loses
// nothing that was acknowledged.
type redisServer struct {
	proc
	port int
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("SWITCHBOARD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("the chaos test needs redis-server on PATH")
		}
		t.Skip("the chaos test needs redis-server on PATH")
	}
	dir := t.TempDir()
	r := &redisServer{port: freePort(t)}
	r.proc = proc{name: "redis", bin: bin, log: filepath.Join(dir, "redis.log"), env: os.Environ(),
		args: []string{"--port", fmt.Sprint(r.port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
			"--appendonly", "yes", "--appendfsync", "always"}}
	r.start(t)
	t.Cleanup(func() { r.kill(syscall.SIGKILL) })
	r.waitUp(t)
	return r
}

func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *redisServer) waitUp(t *testing.T) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port)})
	defer c.Close()
	for i := 0; ; i++ {
		err := c.Ping(context.Background()).Err()
		if err == nil {
			return
		}
		if i > 100 {
			t.Fatalf("redis on %d: %v\n%s", r.port, err, r.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// restart kills Redis with SIGKILL and starts it again on the same port
// and data directory.
func (r *redisServer) restart(t *testing.T) {
	r.kill(syscall.SIGKILL)
	r.start(t)
	r.waitUp(t)
}

// scanLogs fails the test on a data race or a panic in any process's log.
func scanLogs(t *testing.T, procs ...*proc) {
	t.Helper()
	for _, p := range procs {
		out := p.output()
		for _, bad := range []string{"WARNING: DATA RACE", "panic:", "fatal error:"} {
			if i := strings.Index(out, bad); i >= 0 {
				t.Errorf("%s logged %q:\n%s", p.name, bad, out[i:min(len(out), i+4000)])
			}
		}
	}
}

// tail returns the last n bytes of s, for failure messages.
func tail(s string, n int) string {
	b := []byte(s)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.ToValidUTF8(b, nil))
}
