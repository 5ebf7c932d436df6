package main

import (
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

// TestStalledBodyIsCut: a client that sends headers and then stalls its
// body is disconnected once the read timeout passes (shortened here).
func TestStalledBodyIsCut(t *testing.T) {
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}), slog.New(slog.DiscardHandler), 0)
	srv.ReadTimeout = 300 * time.Millisecond
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
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(c) // returns when the server closes the connection
	if err != nil || time.Since(start) >= 5*time.Second {
		t.Errorf("connection still open after %v (read err %v); want it cut after the read timeout", time.Since(start), err)
	}
}
