// Package providers is the contract between switchboard's worker and the
// voice providers it provisions numbers on. Each provider has one adapter
// package (providers/twilio, ...) implementing Provider, and a simulator
// package (providers/twilio/twiliotest, ...) that speaks the provider's wire
// format for tests and the dev sandbox.
//
// Adapters return *Error values with a Kind, so callers decide between
// retrying and giving up without parsing vendor codes.
package providers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
)

// Provider provisions numbers on one voice provider. Implementations are
// safe for concurrent use; all state lives at the provider.
type Provider interface {
	// Name is the provider's stable name ("twilio", "plivo", "telnyx").
	Name() string
	// ValidateCredentials checks creds with the cheapest authenticated call.
	// It returns an *Error of KindInvalidCredentials when they are refused.
	ValidateCredentials(ctx context.Context, creds Credentials) error
	// Lookup proves creds and finds the account's number e164 in one call,
	// with its current voice configuration. A number the account does not
	// own is an *Error of KindNotOwned.
	Lookup(ctx context.Context, creds Credentials, e164 string) (Number, error)
	// EnsureVoiceRoute makes num route inbound calls to route. It reads
	// first and writes only what differs: re-running with the same route
	// makes no write call. Change.Before is the configuration it replaced.
	// A number wired elsewhere (trunk, foreign connection) is refused with
	// KindConflict unless route.Override is set.
	EnsureVoiceRoute(ctx context.Context, creds Credentials, num Number, route Route) (Change, error)
	// ResetVoiceRoute puts num back on the org's default route def (used
	// when a number is unlinked). Unlike EnsureVoiceRoute it replaces any
	// configuration switchboard itself set, without Override.
	ResetVoiceRoute(ctx context.Context, creds Credentials, num Number, def Route) (Change, error)
}

// Credentials are one provider account's secrets. Their String and
// LogValue methods redact the secret.
type Credentials struct {
	AccountID string // Twilio Account SID, Plivo Auth ID; unused by Telnyx
	Secret    string // Twilio/Plivo Auth Token, Telnyx API key; a Twilio API key's secret
	// Username is who Twilio requests authenticate as when it is not
	// AccountID: an API key SID (SK…, Secret its secret), or the parent
	// Account SID of the subaccount AccountID (Secret the parent's auth
	// token). Empty: AccountID and its auth token. Not a secret.
	Username string
	// Region is the Twilio Region the account's resources live in ("ie1",
	// "au1", "jp1"; empty for the default US1). Twilio's regions are
	// isolated: numbers and credentials of IE1 exist only there, behind
	// api.dublin.ie1.twilio.com. Not a secret.
	Region string
}

// String redacts the secret.
func (c Credentials) String() string {
	if c.Username != "" {
		return fmt.Sprintf("{AccountID:%s Username:%s Secret:[redacted]}", c.AccountID, c.Username)
	}
	return fmt.Sprintf("{AccountID:%s Secret:[redacted]}", c.AccountID)
}

// GoString redacts the secret for %#v.
func (c Credentials) GoString() string { return "providers.Credentials" + c.String() }

// LogValue redacts the secret in log/slog output.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("account_id", c.AccountID), slog.String("secret", "[redacted]"))
}

// Format redacts the secret for every fmt verb.
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// MarshalJSON redacts the secret: credentials are never encoded in clear.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"account_id": c.AccountID, "secret": "[redacted]"})
}

// Number is an owned number as the provider reports it.
type Number struct {
	ID    string // the provider's id: Twilio PN sid, Plivo number digits, Telnyx phone number id
	E164  string
	Voice VoiceConfig
	// Account is the account that rents the number when it is not the
	// credentials' own: a Plivo subaccount (SA…) whose number the main
	// account's credentials reach. Lookup sets it; EnsureVoiceRoute
	// configures the number in that account. "" otherwise.
	Account string
}

// VoiceConfig is the voice part of a number's configuration, the only part
// switchboard reads or writes. Fields a provider lacks stay empty.
type VoiceConfig struct {
	VoiceURL       string `json:"voice_url,omitempty"`
	VoiceMethod    string `json:"voice_method,omitempty"`
	StatusCallback string `json:"status_callback,omitempty"`
	HangupURL      string `json:"hangup_url,omitempty"`
	// ApplicationID is a Twilio voice_application_sid, a Plivo app_id or a
	// Telnyx connection_id: whatever the number is attached to.
	ApplicationID string `json:"application_id,omitempty"`
	// ApplicationName is the application's or connection's name when the
	// provider reports it with the number (Telnyx connection_name). It
	// does not tell whose the application is (see Route.Ours).
	ApplicationName string `json:"application_name,omitempty"`
	// TrunkID is a Twilio trunk_sid: the number is wired to SIP elsewhere.
	TrunkID string `json:"trunk_id,omitempty"`
	// FallbackURL is a Twilio voice_fallback_url: where calls go when the
	// voice URL fails. Switchboard never sets one, so a number that has one
	// still sends failed calls to another system.
	FallbackURL string `json:"fallback_url,omitempty"`
	// ReceiveMode is a Twilio voice_receive_mode other than "voice" (it is
	// empty for voice): a "fax" number answers calls as a fax machine.
	ReceiveMode string `json:"receive_mode,omitempty"`
	// ForwardsTo is where a Telnyx number forwards every call
	// (call_forwarding of type "always"), whatever its connection says.
	// Lookup does not read it (it needs another call); Change.Before has it
	// when the number was checked before being moved.
	ForwardsTo string `json:"forwards_to,omitempty"`
}

// Route is the voice configuration a number should have.
type Route struct {
	// Name identifies the route deterministically (per org and answer URL,
	// see RouteName). Providers that attach numbers to applications
	// create-or-reuse an application with this name.
	Name           string
	VoiceURL       string
	StatusCallback string
	HangupURL      string
	// Override allows taking a number over from a trunk or a connection
	// switchboard did not create.
	Override bool
	// Ours lists application ids switchboard recorded putting this
	// account's numbers on (the worker fills in the number's current one
	// when it is recorded). With ApplicationID, they are the only
	// applications an adapter may move a number off without Override: a
	// name is no proof of ownership, since another org's application on
	// the same account, or a user's, can be named like switchboard's.
	Ours []string
	// CallControl asks Telnyx for a Call Control application, which posts
	// JSON call events to VoiceURL and ignores the reply, instead of the
	// default TeXML application, which fetches XML instructions from
	// VoiceURL as Twilio and Plivo do. Other providers ignore it.
	CallControl bool
	// ApplicationID, when known, is the provider's id of the application
	// named Name (from an earlier Change.After). It spares the list call;
	// adapters fall back to finding the application by name when the id no
	// longer exists.
	ApplicationID string
}

// NamePrefix starts the name of every application switchboard creates at a
// provider. Only switchboard's records (Route.Ours) make an application
// switchboard's: the prefix marks names, it proves nothing.
const NamePrefix = "switchboard-"

// Managed reports whether an application name is shaped like the ones
// switchboard creates (routes are checked with it before any call).
func Managed(name string) bool { return strings.HasPrefix(name, NamePrefix) }

// CreatesApplications reports whether the provider routes numbers through
// applications switchboard creates (Plivo applications, Telnyx call control
// applications), one per org and route. Creating one is the only
// non-idempotent provider call, so callers serialize it across workers;
// Twilio numbers take the voice URL directly and create nothing.
func CreatesApplications(provider string) bool {
	switch provider {
	case "plivo", "telnyx":
		return true
	}
	return false
}

// RouteName is the deterministic application name of an org's route:
// "switchboard-org<id>-<label>". Label is "default" for the org's default
// route, or a short hash of a target's answer URL. Names use only
// [A-Za-z0-9_-], which every provider accepts (Plivo's rule).
func RouteName(orgID int64, label string) string {
	var b strings.Builder
	for _, r := range label {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return fmt.Sprintf("%sorg%d-%s", NamePrefix, orgID, b.String())
}

// Change reports what EnsureVoiceRoute did.
type Change struct {
	Before  VoiceConfig `json:"before"`
	After   VoiceConfig `json:"after"`
	Changed bool        `json:"changed"` // false when the number already had the route
}
