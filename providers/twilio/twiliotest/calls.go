package twiliotest

// The endpoints Calls counts by. Keys name the resource, not the account,
// so tests can assert "one list, no update" without building paths.
const (
	EndpointFetchAccount = "GET /Accounts/{Sid}.json"
	EndpointListNumbers  = "GET /IncomingPhoneNumbers.json"
	EndpointFetchNumber  = "GET /IncomingPhoneNumbers/{Sid}.json"
	EndpointUpdateNumber = "POST /IncomingPhoneNumbers/{Sid}.json"
	EndpointOther        = "other" // anything the simulator answers 404
)

// Calls returns how many requests reached each endpoint since the last
// ResetCalls, faulted and refused ones included.
func (s *Server) Calls() map[string]int { return s.counter.Calls() }

// Reads returns how many GET requests reached the Server.
func (s *Server) Reads() int { return s.counter.Reads() }

// Writes returns how many non-GET requests reached the Server, whatever
// their outcome.
func (s *Server) Writes() int { return s.counter.Writes() }

// AppliedWrites returns how many updates changed a number's state,
// ambiguous writes included; an update that sent the values already set
// does not count.
func (s *Server) AppliedWrites() int { return s.counter.AppliedWrites() }

// ResetCalls zeroes every counter.
func (s *Server) ResetCalls() { s.counter.Reset() }
