package api

import (
	"context"
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
)

// Healthz answers 200 while the process is up. The worker's health port
// serves it too.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// Readyz answers 200 when Redis (pingRedis) and the database are
// reachable, 503 naming the unreachable one otherwise. The worker's health
// port serves it too.
func Readyz(pingRedis func(context.Context) error, st store.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		checks := map[string]string{"redis": "ok", "database": "ok"}
		status := http.StatusOK
		if err := pingRedis(ctx); err != nil {
			checks["redis"], status = "unreachable", http.StatusServiceUnavailable
		}
		if err := st.Ping(ctx); err != nil {
			checks["database"], status = "unreachable", http.StatusServiceUnavailable
		}
		encode(w, status, checks)
	})
}
