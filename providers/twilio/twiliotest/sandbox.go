package twiliotest

import "fmt"

// The dev sandbox's fixture: one account owning four numbers, with an API
// key and a subaccount owning a fifth.
const (
	SandboxAccountSID = "AC00000000000000000000000000000001"
	SandboxAuthToken  = "sandboxtwiliotoken"

	// SandboxNumberNYC has no voice configuration but receives SMS at
	// SandboxSMSURL, which switchboard must leave alone.
	SandboxNumberNYC = "+12125551234"
	// SandboxNumberDC has no configuration at all.
	SandboxNumberDC = "+12025551234"
	// SandboxNumberSF has no voice configuration. SandboxNumberSF and
	// SandboxNumberTrunked share the prefix "+1415555", which Twilio's
	// partial PhoneNumber filter matches both of.
	SandboxNumberSF = "+14155550100"
	// SandboxNumberTrunked is wired to the SIP trunk SandboxTrunkSID:
	// switchboard must refuse to take it over.
	SandboxNumberTrunked = "+14155550199"

	SandboxTrunkSID = "TK00000000000000000000000000000001"
	SandboxSMSURL   = "https://sms.example.com/inbound"

	// SandboxAPIKeySID and SandboxAPIKeySecret are a standard API key of
	// the sandbox account: they authenticate for its resources but cannot
	// fetch the account.
	SandboxAPIKeySID    = "SK00000000000000000000000000000001"
	SandboxAPIKeySecret = "sandboxtwiliokeysecret"

	// SandboxSubaccountSID is a subaccount of the sandbox account, owning
	// SandboxNumberSubaccount (no voice configuration). The sandbox
	// account's SID and auth token reach it, as does its own token.
	SandboxSubaccountSID       = "AC00000000000000000000000000000002"
	SandboxSubaccountAuthToken = "sandboxtwiliosubaccounttoken"
	SandboxNumberSubaccount    = "+13125550100"
)

// NewSandbox returns a Server holding the dev sandbox's fixture.
func NewSandbox(opts ...Option) *Server {
	s := New(opts...)
	if err := s.addSandbox(); err != nil {
		panic(fmt.Sprintf("twiliotest: sandbox fixture: %v", err)) // the constants above are wrong
	}
	return s
}

func (s *Server) addSandbox() error {
	if err := s.AddAccount(SandboxAccountSID, SandboxAuthToken); err != nil {
		return err
	}
	if err := s.UpdateAccount(SandboxAccountSID, func(a *Account) { a.FriendlyName = "Switchboard Sandbox" }); err != nil {
		return err
	}
	numbers := []struct {
		e164 string
		opts []NumberOption
	}{
		{SandboxNumberNYC, []NumberOption{WithSMSURL(SandboxSMSURL)}},
		{SandboxNumberDC, nil},
		{SandboxNumberSF, nil},
		{SandboxNumberTrunked, []NumberOption{WithTrunkSID(SandboxTrunkSID)}},
	}
	for _, n := range numbers {
		if _, err := s.AddNumber(SandboxAccountSID, n.e164, n.opts...); err != nil {
			return err
		}
	}
	if err := s.AddAPIKey(SandboxAccountSID, SandboxAPIKeySID, SandboxAPIKeySecret); err != nil {
		return err
	}
	if err := s.AddSubaccount(SandboxAccountSID, SandboxSubaccountSID, SandboxSubaccountAuthToken); err != nil {
		return err
	}
	_, err := s.AddNumber(SandboxSubaccountSID, SandboxNumberSubaccount)
	return err
}
