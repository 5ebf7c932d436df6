package telnyxtest

// The endpoints Calls counts by. Keys name the resource, not the id, so
// tests can assert "one list, no update" without building paths.
const (
	EndpointBalance           = "GET /v2/balance"
	EndpointListNumbers       = "GET /v2/phone_numbers"
	EndpointGetNumber         = "GET /v2/phone_numbers/{id}"
	EndpointUpdateNumber      = "PATCH /v2/phone_numbers/{id}"
	EndpointGetNumberVoice    = "GET /v2/phone_numbers/{id}/voice"
	EndpointUpdateNumberVoice = "PATCH /v2/phone_numbers/{id}/voice"
	EndpointListApplications  = "GET /v2/call_control_applications"
	EndpointCreateApplication = "POST /v2/call_control_applications"
	EndpointGetApplication    = "GET /v2/call_control_applications/{id}"
	EndpointUpdateApplication = "PATCH /v2/call_control_applications/{id}"
	EndpointListTexml         = "GET /v2/texml_applications"
	EndpointCreateTexml       = "POST /v2/texml_applications"
	EndpointGetTexml          = "GET /v2/texml_applications/{id}"
	EndpointUpdateTexml       = "PATCH /v2/texml_applications/{id}"
	EndpointOther             = "other" // anything the simulator answers 404
)

// Calls returns how many requests reached each endpoint since the last
// ResetCalls, faulted and refused ones included.
func (s *Server) Calls() map[string]int { return s.counter.Calls() }

// Reads returns how many GET requests reached the Server.
func (s *Server) Reads() int { return s.counter.Reads() }

// Writes returns how many other requests (POST, PATCH, ...) reached the
// Server, whatever their outcome.
func (s *Server) Writes() int { return s.counter.Writes() }

// AppliedWrites returns how many writes changed state: applications
// created (ambiguous ones included) and updates that changed something.
// An update that sent the values already set does not count.
func (s *Server) AppliedWrites() int { return s.counter.AppliedWrites() }

// ResetCalls zeroes every counter.
func (s *Server) ResetCalls() { s.counter.Reset() }
