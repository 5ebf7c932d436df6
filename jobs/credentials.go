package jobs

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Credentials are one provider account's secrets, in plain text. They only
// exist in memory: Client seals them before they reach Redis, and every way
// of printing them (String, GoString, Format, LogValue, MarshalJSON)
// redacts the secret, also when they are nested in another value.
//
// Per provider: Twilio AccountID is the Account SID (of the account that
// owns the number) and Secret the Auth Token, or, with Username an API
// key SID (SK…), Secret the key's secret, or, with Username the parent
// Account SID of the subaccount AccountID, the parent's Auth Token; Plivo
// AccountID is the Auth ID and Secret the Auth Token; Telnyx AccountID is
// optional and Secret is the API key.
type Credentials struct {
	AccountID string `json:"account_id"`
	Secret    string `json:"secret"`
	// Username, when set, is who requests authenticate as instead of
	// AccountID (Twilio only). It is not a secret.
	Username string `json:"username,omitempty"`
	// Region is the Twilio Region of the account ("ie1", "au1", "jp1"; empty
	// for US1). Not a secret.
	Region string `json:"region,omitempty"`
}

// String redacts the secret.
func (c Credentials) String() string {
	if c.Username != "" {
		return fmt.Sprintf("{AccountID:%s Username:%s Secret:[redacted]}", c.AccountID, c.Username)
	}
	return fmt.Sprintf("{AccountID:%s Secret:[redacted]}", c.AccountID)
}

// GoString redacts the secret for %#v.
func (c Credentials) GoString() string { return "jobs.Credentials" + c.String() }

// LogValue redacts the secret in log/slog output.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("account_id", c.AccountID), slog.String("secret", "[redacted]"))
}

// Format redacts the secret for every fmt verb (%d, %x, %q, ...).
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// MarshalJSON redacts the secret, so a struct holding Credentials can be
// logged or encoded without leaking it. Sealing uses its own encoding.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(sealedCredentials{AccountID: c.AccountID, Secret: "[redacted]", Username: c.Username})
}

// sealedCredentials is the JSON form of Credentials inside a Sealed value.
// It is fixed: values sealed by older versions must keep opening.
type sealedCredentials struct {
	AccountID string `json:"account_id"`
	Secret    string `json:"secret"`
	Username  string `json:"username,omitempty"` // absent in values sealed before it existed
	Region    string `json:"region,omitempty"`   // likewise
}
