package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondSignalExitsAtOnce runs the real binary: the first SIGINT
// starts a graceful shutdown (here slow: a request is in flight whose body
// never finishes), a second one ends the process at once.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "switchboard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "dev", "--addr", "127.0.0.1:0", "--database", "sqlite:"+filepath.Join(dir, "dev.db"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SWITCHBOARD_DEV_API_KEY=devkey123")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var base string
	sc := bufio.NewScanner(out)
	for base == "" && sc.Scan() {
		if m := regexp.MustCompile(`running at (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
	}
	go func() { // keep the pipe drained
		for sc.Scan() {
		}
	}()
	if base == "" {
		t.Fatal("no banner")
	}
	// A request whose body never finishes keeps its connection active, so
	// the HTTP drain after the first signal waits for it (up to 10 s).
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "POST /api/users HTTP/1.1\r\nHost: dev\r\nAuthorization: Bearer devkey123\r\n"+
		"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":")
	time.Sleep(500 * time.Millisecond) // the handler is reading the body
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-exited:
		t.Fatalf("exited on the first signal already (%v): the request in flight should hold it", err)
	default:
	}
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(8 * time.Second): // under the 10 s drain the first signal started
		t.Fatal("still running 8 s after the second signal")
	}
}
