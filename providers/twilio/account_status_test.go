package twilio_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboardhq/switchboard/providers"
	tt "github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestInactiveAccountRefusedOnLookup: Twilio refuses requests for a
// suspended or closed account (code 20005), and a suspended main account
// suspends its subaccounts. The add-phone path only calls Lookup, so that
// is where the account's status shows: invalid credentials, permanent.
func TestInactiveAccountRefusedOnLookup(t *testing.T) {
	sub := providers.Credentials{AccountID: tt.SandboxSubaccountSID, Username: tt.SandboxAccountSID, Secret: tt.SandboxAuthToken}
	for _, status := range []tt.AccountStatus{tt.StatusSuspended, tt.StatusClosed} {
		t.Run(string(status), func(t *testing.T) {
			sim, a := newEnv(t)
			if err := sim.SetAccountStatus(tt.SandboxAccountSID, status); err != nil {
				t.Fatal(err)
			}
			for name, c := range map[string]struct {
				creds providers.Credentials
				e164  string
			}{
				"account":    {creds, tt.SandboxNumberDC},
				"subaccount": {sub, tt.SandboxNumberSubaccount},
			} {
				_, err := a.Lookup(context.Background(), c.creds, c.e164)
				var pe *providers.Error
				if !errors.As(err, &pe) || pe.Kind != providers.KindInvalidCredentials || pe.Code != "20005" {
					t.Errorf("%s: Lookup = %v, want invalid credentials with code 20005", name, err)
				}
			}
			err := a.ValidateCredentials(context.Background(), creds)
			if k, _ := providers.KindOf(err); k != providers.KindInvalidCredentials {
				t.Errorf("ValidateCredentials = %v, want invalid credentials", err)
			}
		})
	}
}

// TestSubaccountWithItsOwnCredentials: a subaccount's own token reaches
// its numbers, not its parent's.
func TestSubaccountWithItsOwnCredentials(t *testing.T) {
	_, a := newEnv(t)
	own := providers.Credentials{AccountID: tt.SandboxSubaccountSID, Secret: tt.SandboxSubaccountAuthToken}
	if n := lookup(t, a, own, tt.SandboxNumberSubaccount); n.E164 != tt.SandboxNumberSubaccount {
		t.Errorf("Lookup = %+v", n)
	}
	parent := providers.Credentials{AccountID: tt.SandboxAccountSID, Username: tt.SandboxSubaccountSID, Secret: tt.SandboxSubaccountAuthToken}
	if _, err := a.Lookup(context.Background(), parent, tt.SandboxNumberDC); err == nil {
		t.Error("a subaccount's token reached its parent's numbers")
	}
}

// TestAPIKeyCredentialsValidated: an API key may not fetch the account, so
// its credentials are checked by listing one number. The right secret
// passes; a wrong secret, and a key of a suspended account (code 20005),
// are invalid credentials.
func TestAPIKeyCredentialsValidated(t *testing.T) {
	key := providers.Credentials{AccountID: tt.SandboxAccountSID, Username: tt.SandboxAPIKeySID, Secret: tt.SandboxAPIKeySecret}
	sim, a := newEnv(t)
	if err := a.ValidateCredentials(context.Background(), key); err != nil {
		t.Fatalf("ValidateCredentials(API key) = %v", err)
	}
	wrong := key
	wrong.Secret = "wrongsecret0123456789"
	if k, _ := providers.KindOf(a.ValidateCredentials(context.Background(), wrong)); k != providers.KindInvalidCredentials {
		t.Errorf("ValidateCredentials(wrong key secret): kind %q, want invalid credentials", k)
	}
	if err := sim.SetAccountStatus(tt.SandboxAccountSID, tt.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	err := a.ValidateCredentials(context.Background(), key)
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Kind != providers.KindInvalidCredentials || pe.Code != "20005" {
		t.Errorf("ValidateCredentials(key of a suspended account) = %v, want invalid credentials with code 20005", err)
	}
}
