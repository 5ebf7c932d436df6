package main

import (
	"bufio"
	"net/http"
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
// starts a graceful shutdown (here slow: a job is in flight against a
// provider that takes 10 s), a second one ends the process at once.
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
	req, _ := http.NewRequest("PUT", base+"/sandbox/_faults/twilio", strings.NewReader(`{"latency":"10s"}`))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("set faults: %v %v", resp, err)
	}
	go func() {
		req, _ := http.NewRequest("POST", base+"/api/call/add-phone", strings.NewReader(
			`{"userId":"64e5f12345abcdef12345678","phoneNumber":"12125551234","integration":"twilio","authToken":"sandboxtwiliotoken","accSId":"AC00000000000000000000000000000001"}`))
		req.Header.Set("Authorization", "Bearer devkey123")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(500 * time.Millisecond) // a job is in flight
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-exited:
		t.Fatalf("exited on the first signal already (%v): the in-flight job should hold it", err)
	default:
	}
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		t.Fatal("still running 3 s after the second signal")
	}
}
