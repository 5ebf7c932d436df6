package telnyxtest

import (
	"maps"
	"net/http"
)

// The endpoints Calls counts by. Keys name the resource, not the id, so
// tests can assert "one list, no update" without building paths.
const (
	EndpointBalance           = "GET /v2/balance"
	EndpointListNumbers       = "GET /v2/phone_numbers"
	EndpointGetNumber         = "GET /v2/phone_numbers/{id}"
	EndpointUpdateNumber      = "PATCH /v2/phone_numbers/{id}"
	EndpointListApplications  = "GET /v2/call_control_applications"
	EndpointCreateApplication = "POST /v2/call_control_applications"
	EndpointGetApplication    = "GET /v2/call_control_applications/{id}"
	EndpointUpdateApplication = "PATCH /v2/call_control_applications/{id}"
	EndpointOther             = "other" // anything the simulator answers 404
)

// count records a request that reached the handler; s.mu must be held.
func (s *Server) count(method, endpoint string) {
	s.calls[endpoint]++
	if method == http.MethodGet || method == http.MethodHead {
		s.reads++
	} else {
		s.writes++
	}
}

// Calls returns how many requests reached each endpoint since the last
// ResetCalls, faulted and refused ones included.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// Reads returns how many GET requests reached the Server.
func (s *Server) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// Writes returns how many other requests (POST, PATCH, ...) reached the
// Server, whatever their outcome.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// AppliedWrites returns how many writes changed state: applications
// created (ambiguous ones included) and updates that changed something.
// An update that sent the values already set does not count.
func (s *Server) AppliedWrites() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied
}

// ResetCalls zeroes every counter.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
	s.reads, s.writes, s.applied = 0, 0, 0
}
