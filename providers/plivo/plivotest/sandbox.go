package plivotest

import "fmt"

// The dev sandbox's fixture: one main account renting three Indian
// numbers, and one subaccount of it renting a fourth, all voice enabled and
// attached to no application. The main account's credentials reach the
// subaccount's number too.
const (
	SandboxAuthID    = "MA00000000000000SBX1"
	SandboxAuthToken = "sandboxplivotoken"

	SandboxNumber1 = "+918000000001"
	SandboxNumber2 = "+918000000002"
	SandboxNumber3 = "+918062810341"

	SandboxSubaccountAuthID    = "SA00000000000000SBX2"
	SandboxSubaccountAuthToken = "sandboxplivosubtoken"
	SandboxSubaccountNumber    = "+918000000010"
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
	if err := s.AddSubaccount(SandboxAuthID, SandboxSubaccountAuthID, SandboxSubaccountAuthToken); err != nil {
		return err
	}
	if err := s.UpdateAccount(SandboxSubaccountAuthID, func(a *Account) { a.Name = "Switchboard Sandbox Subaccount" }); err != nil {
		return err
	}
	return s.AddNumber(SandboxSubaccountAuthID, SandboxSubaccountNumber)
}
