package api

import "net/http"

// routes lists every endpoint of the API.
func (s *server) routes(mux *http.ServeMux) {
	mux.Handle("GET /healthz", s.healthz())
	mux.Handle("GET /readyz", s.readyz())

	// Seed 004: numbers added by credentials.
	mux.Handle("POST /api/call/add-phone", s.addPhone())
}
