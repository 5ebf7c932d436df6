package plivotest

import (
	"fmt"
	"strconv"
)

// firstAppID is the id of a Server's first application: 17 digits, like
// Plivo's app ids ("20468599130939380").
const firstAppID = 10000000000000001

// apiID returns a fresh api_id, a random (version 4) UUID from the seeded
// id stream; s.mu must be held.
func (s *Server) apiID() string {
	hi, lo := s.ids.Uint64(), s.ids.Uint64()
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
		hi>>32, hi>>16&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

// newAPIID is apiID for callers not holding s.mu.
func (s *Server) newAPIID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apiID()
}

// appID returns the next application id; s.mu must be held.
func (s *Server) appID() string {
	id := s.nextApp
	s.nextApp++
	return strconv.FormatUint(id, 10)
}
