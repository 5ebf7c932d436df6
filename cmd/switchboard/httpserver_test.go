package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestHTTPServerTimeouts: every phase of a connection is bounded, and an
// answer may take longer than the API's wait for a job.
func TestHTTPServerTimeouts(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), slog.New(slog.DiscardHandler), 20*time.Second)
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("timeouts: header %v, read %v, idle %v; want all set", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout)
	}
	if srv.WriteTimeout <= 20*time.Second {
		t.Errorf("write timeout %v: want longer than the API's 20s wait", srv.WriteTimeout)
	}
}

// slowServer serves newHTTPServer (the configuration every role uses) with
// its timeouts shortened by short, and dials it.
func slowServer(t *testing.T, short func(*http.Server)) net.Conn {
	t.Helper()
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	}), slog.New(slog.DiscardHandler), 0)
	short(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// wantClosedAfter fails unless the server closes c between at least and
// at most after since (read returns EOF or a reset, not our deadline).
func wantClosedAfter(t *testing.T, r io.Reader, c net.Conn, since time.Time, least, most time.Duration) {
	t.Helper()
	c.SetReadDeadline(since.Add(most + 5*time.Second))
	_, err := io.Copy(io.Discard, r) // returns when the server closes the connection
	took := time.Since(since)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after %v; want it closed within %v", took, most)
	}
	if took < least || took > most {
		t.Errorf("connection closed after %v; want between %v and %v", took, least, most)
	}
}

// TestStalledBodyIsCut: a client that sends headers and then stalls its
// body is disconnected once the read timeout passes.
func TestStalledBodyIsCut(t *testing.T) {
	c := slowServer(t, func(s *http.Server) { s.ReadTimeout = 300 * time.Millisecond })
	start := time.Now()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial")
	wantClosedAfter(t, c, c, start, 250*time.Millisecond, 2*time.Second)
}

// TestStalledHeadersAreCut: a client that never finishes its headers
// (slowloris) is disconnected once the header timeout passes.
func TestStalledHeadersAreCut(t *testing.T) {
	c := slowServer(t, func(s *http.Server) { s.ReadHeaderTimeout = 300 * time.Millisecond })
	start := time.Now()
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	wantClosedAfter(t, c, c, start, 250*time.Millisecond, 2*time.Second)
}

// TestIdleKeepAliveIsClosed: a keep-alive connection left idle after an
// answer is closed by the server once the idle timeout passes.
func TestIdleKeepAliveIsClosed(t *testing.T) {
	c := slowServer(t, func(s *http.Server) { s.IdleTimeout = 300 * time.Millisecond })
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("answer %d, close %v; want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	wantClosedAfter(t, br, c, time.Now(), 250*time.Millisecond, 2*time.Second)
}
