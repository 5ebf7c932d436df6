package plivotest

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

// Calls returns how many requests reached each endpoint since the last
// ResetCalls, faulted and refused ones included.
func (s *Server) Calls() map[string]int { return s.counter.Calls() }

// Reads returns how many GET requests reached the Server.
func (s *Server) Reads() int { return s.counter.Reads() }

// Writes returns how many non-GET requests reached the Server, whatever
// their outcome.
func (s *Server) Writes() int { return s.counter.Writes() }

// AppliedWrites returns how many writes changed state: applications
// created (ambiguous creates included) and numbers or applications whose
// fields changed. A write that sent the values already set does not count.
func (s *Server) AppliedWrites() int { return s.counter.AppliedWrites() }

// ResetCalls zeroes every counter. It leaves the rate limit's window
// alone: Plivo does not forget requests because a test looks away.
func (s *Server) ResetCalls() { s.counter.Reset() }
