package telnyxtest

import "fmt"

// The dev sandbox's fixture: one account owning three numbers, and one
// whose key may not read the balance, owning one.
const (
	SandboxAPIKey = "KEYSANDBOX0000000000000000000001"

	// SandboxNumberLondon is active and on no connection.
	SandboxNumberLondon = "+442012345678"
	// SandboxNumberSydney is active and on no connection.
	SandboxNumberSydney = "+61212345678"
	// SandboxNumberForeign is on SandboxForeignConnectionID, a SIP
	// credential connection switchboard did not create: switchboard must
	// refuse to take it over. It shares the digits "4420123456" with
	// SandboxNumberLondon, which filter[phone_number] matches both of.
	SandboxNumberForeign = "+442012345699"

	SandboxForeignConnectionID   = "1684641123236054244"
	SandboxForeignConnectionName = "acme-sip-trunk"
	// SandboxMessagingProfileID is the messaging profile of
	// SandboxNumberLondon, which switchboard must leave alone.
	SandboxMessagingProfileID   = "40017f8e-49bd-4f16-9e3d-ef103f916228"
	SandboxMessagingProfileName = "acme-sms"

	// SandboxNoBalanceAPIKey is the key of a second account, whose role may
	// not read the balance (GET /v2/balance answers 403, code 10010) but
	// may manage numbers, as a restricted key in Telnyx's portal.
	SandboxNoBalanceAPIKey = "KEYSANDBOXNOBALANCE0000000000002"
	// SandboxNumberNoBalance is active, on no connection, owned by the
	// account of SandboxNoBalanceAPIKey.
	SandboxNumberNoBalance = "+441612345678"
)

// NewSandbox returns a Server holding the dev sandbox's fixture.
func NewSandbox(opts ...Option) *Server {
	s := New(opts...)
	if err := s.addSandbox(); err != nil {
		panic(fmt.Sprintf("telnyxtest: sandbox fixture: %v", err)) // the constants above are wrong
	}
	return s
}

func (s *Server) addSandbox() error {
	if err := s.AddAccount(SandboxAPIKey); err != nil {
		return err
	}
	trunk := Connection{ID: SandboxForeignConnectionID, Type: CredentialConnection, Name: SandboxForeignConnectionName, Active: true}
	if _, err := s.AddConnection(SandboxAPIKey, trunk); err != nil {
		return err
	}
	numbers := []struct {
		e164 string
		opts []NumberOption
	}{
		{SandboxNumberLondon, []NumberOption{WithMessagingProfile(SandboxMessagingProfileID, SandboxMessagingProfileName)}},
		{SandboxNumberSydney, nil},
		{SandboxNumberForeign, []NumberOption{WithConnection(SandboxForeignConnectionID)}},
	}
	for _, n := range numbers {
		if _, err := s.AddNumber(SandboxAPIKey, n.e164, n.opts...); err != nil {
			return err
		}
	}
	if err := s.AddAccount(SandboxNoBalanceAPIKey); err != nil {
		return err
	}
	if err := s.UpdateAccount(SandboxNoBalanceAPIKey, func(a *Account) { a.NoBalance = true }); err != nil {
		return err
	}
	_, err := s.AddNumber(SandboxNoBalanceAPIKey, SandboxNumberNoBalance)
	return err
}
