package plivotest

import (
	"maps"
	"net/http"
)

// The endpoints Calls counts by. Keys name the resource, not the account,
// so tests can assert "one list, one create" without building paths.
const (
	EndpointGetAccount        = "GET /Account/{auth_id}/"
	EndpointGetNumber         = "GET /Number/{number}/"
	EndpointUpdateNumber      = "POST /Number/{number}/"
	EndpointListApplications  = "GET /Application/"
	EndpointGetApplication    = "GET /Application/{app_id}/"
	EndpointCreateApplication = "POST /Application/"
	EndpointUpdateApplication = "POST /Application/{app_id}/"
	EndpointOther             = "other" // anything the simulator answers 404
)

// count records a request that reached the handler; s.mu must be held.
func (s *Server) count(method, endpoint string) {
	s.calls[endpoint]++
	if method == http.MethodGet {
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

// Writes returns how many non-GET requests reached the Server, whatever
// their outcome.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// AppliedWrites returns how many writes changed state: applications
// created (ambiguous creates included) and numbers or applications whose
// fields changed. A write that sent the values already set does not count.
func (s *Server) AppliedWrites() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied
}

// ResetCalls zeroes every counter. It leaves the rate limit's window
// alone: Plivo does not forget requests because a test looks away.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
	s.reads, s.writes, s.applied = 0, 0, 0
}
