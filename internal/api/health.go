package api

import (
	"context"
	"net/http"
	"time"
)

// healthz answers while the process is up.
func (s *server) healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// readyz answers 200 when Redis and the database are reachable, 503 with
// the failing dependency otherwise.
func (s *server) readyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		checks := map[string]string{"redis": "ok", "database": "ok"}
		status := http.StatusOK
		if err := s.Ping(ctx); err != nil {
			checks["redis"], status = "unreachable", http.StatusServiceUnavailable
		}
		if err := s.Store.Ping(ctx); err != nil {
			checks["database"], status = "unreachable", http.StatusServiceUnavailable
		}
		encode(w, status, checks)
	})
}
