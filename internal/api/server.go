// Package api is switchboard's HTTP API for web apps: the seed endpoints,
// backed by jobs, plus health checks. routes.go lists the whole surface;
// each resource family has its own file.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// Params are the API's dependencies.
type Params struct {
	Store store.Store
	Jobs  *jobs.Client
	// Ping checks Redis for /readyz.
	Ping   func(context.Context) error
	Logger *slog.Logger
	// Wait is how long a request that enqueues a job waits for its outcome
	// before answering 202 with the job id. Default 20s.
	Wait time.Duration
}

type server struct {
	Params
}

// NewServer returns the API's handler.
func NewServer(p Params) http.Handler {
	if p.Wait <= 0 {
		p.Wait = 20 * time.Second
	}
	s := &server{Params: p}
	mux := http.NewServeMux()
	s.routes(mux)
	return mux
}

// decode reads a JSON body of at most 1 MiB into v.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	return dec.Decode(v)
}

// encode writes v as JSON with status.
func encode(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
