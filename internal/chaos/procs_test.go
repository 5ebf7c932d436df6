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
func buildBinary(t testing.TB) string {
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

// freePorts returns n distinct TCP ports nothing listens on at the
// moment. The listeners are held until all n are chosen, so the ports
// differ from each other; another process may still take one before the
// caller binds it, which startServing copes with.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// proc is one process of the system under test, its output kept in a file
// for the secret scan and for failures.
type proc struct {
	name string
	bin  string
	args []string
	env  []string
	log  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	out    *os.File
	exited chan struct{} // closed when cmd has ended
}

func (p *proc) start(t testing.TB) {
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
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	p.cmd, p.out, p.exited = cmd, f, exited
}

// kill ends the process with sig and waits for it.
func (p *proc) kill(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
	p.out.Close()
	p.cmd = nil
}

// running reports whether the process has been started and not ended.
func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// pid is the process id, 0 when it is not running.
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *proc) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// startServing starts p listening on n fresh ports: env(ports) gives the
// variables that name them, ready(ports) the check that it is up. Tests
// of other packages run at the same time and pick free ports too, so a
// port can be taken between the choice and the bind; the process then
// exits with "address already in use" and is started again on new ports.
func startServing(t testing.TB, p *proc, base []string, n int, env func([]int) []string, ready func([]int) error) []int {
	t.Helper()
	for attempt := 1; ; attempt++ {
		ports := freePorts(t, n)
		p.env = append(base[:len(base):len(base)], env(ports)...)
		before := len(p.output())
		p.start(t)
		err := ready(ports)
		if err == nil {
			return ports
		}
		p.kill(syscall.SIGKILL)
		if attempt < 5 && strings.Contains(p.output()[before:], "address already in use") {
			t.Logf("%s: a port was taken before it bound it; starting it again on others", p.name)
			continue
		}
		t.Fatalf("%s: %v", p.name, err)
	}
}

// waitHTTP waits until url answers 200, giving up early when p has ended.
func waitHTTP(p *proc, url string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if !p.running() {
			return fmt.Errorf("exited before %s answered", url)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %v", url, within, err)
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

func startRedis(t testing.TB) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("SWITCHBOARD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("the chaos test needs redis-server on PATH")
		}
		t.Skip("the chaos test needs redis-server on PATH")
	}
	dir := t.TempDir()
	r := &redisServer{}
	r.proc = proc{name: "redis", bin: bin, log: filepath.Join(dir, "redis.log")}
	ports := startServing(t, &r.proc, os.Environ(), 1, func(ports []int) []string {
		r.port = ports[0]
		r.args = []string{"--port", fmt.Sprint(r.port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
			"--appendonly", "yes", "--appendfsync", "always"}
		return nil
	}, func([]int) error { return r.ping(&r.proc) })
	r.port = ports[0]
	t.Cleanup(func() { r.kill(syscall.SIGKILL) })
	return r
}

func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// ping waits until this Redis answers, giving up early when p has ended.
func (r *redisServer) ping(p *proc) error {
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port)})
	defer c.Close()
	for i := 0; ; i++ {
		err := c.Ping(context.Background()).Err()
		if err == nil {
			return nil
		}
		if !p.running() {
			return fmt.Errorf("redis on %d exited: %v", r.port, err)
		}
		if i > 100 {
			return fmt.Errorf("redis on %d: %v", r.port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// restart kills Redis with SIGKILL and starts it again on the same port
// and data directory. The clients know the port, so it cannot change; the
// moment between the kill and the bind, in which another process could
// take it, is a few milliseconds.
func (r *redisServer) restart(t testing.TB) {
	r.kill(syscall.SIGKILL)
	r.start(t)
	if err := r.ping(&r.proc); err != nil {
		t.Fatalf("%v\n%s", err, tail(r.output(), 4000))
	}
}

// scanLogs fails the test on a data race or a panic in any process's log.
func scanLogs(t testing.TB, procs ...*proc) {
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
