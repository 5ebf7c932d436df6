package jobs

import (
	"fmt"
	"log/slog"
)

// Credentials are one provider account's secrets, in plain text. They only
// exist in memory: Client seals them before they reach Redis, and their
// String, GoString and LogValue methods redact the secret.
//
// Per provider: Twilio AccountID is the Account SID and Secret the Auth
// Token; Plivo AccountID is the Auth ID and Secret the Auth Token; Telnyx
// AccountID is optional and Secret is the API key.
type Credentials struct {
	AccountID string `json:"account_id"`
	Secret    string `json:"secret"`
}

// String redacts the secret.
func (c Credentials) String() string {
	return fmt.Sprintf("{AccountID:%s Secret:[redacted]}", c.AccountID)
}

// GoString redacts the secret for %#v.
func (c Credentials) GoString() string { return "jobs.Credentials" + c.String() }

// LogValue redacts the secret in log/slog output.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("account_id", c.AccountID), slog.String("secret", "[redacted]"))
}
