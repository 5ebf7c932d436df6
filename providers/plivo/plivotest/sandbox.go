package plivotest

import "fmt"

// The dev sandbox's fixture: one account renting three Indian numbers,
// voice enabled, attached to no application.
const (
	SandboxAuthID    = "MA00000000000000SBX1"
	SandboxAuthToken = "sandboxplivotoken"

	SandboxNumber1 = "+918000000001"
	SandboxNumber2 = "+918000000002"
	SandboxNumber3 = "+918062810341"
)

// NewSandbox returns a Server holding the dev sandbox's fixture.
func NewSandbox(opts ...Option) *Server {
	s := New(opts...)
	if err := s.addSandbox(); err != nil {
		panic(fmt.Sprintf("plivotest: sandbox fixture: %v", err)) // the constants above are wrong
	}
	return s
}

func (s *Server) addSandbox() error {
	if err := s.AddAccount(SandboxAuthID, SandboxAuthToken); err != nil {
		return err
	}
	if err := s.UpdateAccount(SandboxAuthID, func(a *Account) {
		a.Name, a.CashCredits = "Switchboard Sandbox", "100.00000"
	}); err != nil {
		return err
	}
	for _, n := range []string{SandboxNumber1, SandboxNumber2, SandboxNumber3} {
		if err := s.AddNumber(SandboxAuthID, n); err != nil {
			return err
		}
	}
	return nil
}
