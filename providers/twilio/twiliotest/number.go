package twiliotest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Capabilities say what a number can receive.
type Capabilities struct {
	Voice, SMS, MMS, Fax bool
}

// Number is a snapshot of one incoming phone number. Empty strings mean
// "not set"; how each is rendered (null or "") is described in the package
// documentation.
type Number struct {
	SID          string // "PN" + 32 hex digits
	AccountSID   string
	PhoneNumber  string // E.164
	FriendlyName string

	VoiceURL            string
	VoiceMethod         string // GET or POST
	VoiceFallbackURL    string
	VoiceFallbackMethod string
	VoiceApplicationSID string // "AP...": Twilio ignores the voice URLs while set
	VoiceCallerIDLookup bool
	VoiceReceiveMode    string // voice or fax
	TrunkSID            string // "TK...": the number is wired to a SIP trunk

	StatusCallback       string
	StatusCallbackMethod string

	SMSURL            string
	SMSMethod         string
	SMSFallbackURL    string
	SMSFallbackMethod string
	SMSApplicationSID string

	Capabilities        Capabilities
	Origin              string // twilio or hosted
	Beta                bool
	Type                string // local, mobile, tollFree, ...
	AddressRequirements string // none, any, local or foreign
	Status              string // in-use
	DateCreated         time.Time
	DateUpdated         time.Time
}

// NumberOption configures a number created by AddNumber. Any func(*Number)
// is one, so tests can set fields directly.
type NumberOption func(*Number)

// WithFriendlyName sets the number's friendly name.
func WithFriendlyName(name string) NumberOption {
	return func(n *Number) { n.FriendlyName = name }
}

// WithVoiceURL points the number's incoming calls at url with POST.
func WithVoiceURL(url string) NumberOption {
	return func(n *Number) { n.VoiceURL, n.VoiceMethod = url, "POST" }
}

// WithVoiceApplicationSID hands the number's calls to a TwiML application.
func WithVoiceApplicationSID(sid string) NumberOption {
	return func(n *Number) { n.VoiceApplicationSID = sid }
}

// WithTrunkSID wires the number to a SIP trunk.
func WithTrunkSID(sid string) NumberOption {
	return func(n *Number) { n.TrunkSID = sid }
}

// WithSMSURL points the number's incoming messages at url with POST.
func WithSMSURL(url string) NumberOption {
	return func(n *Number) { n.SMSURL, n.SMSMethod = url, "POST" }
}

// AddNumber gives an account the number e164 and returns its SID. The SID
// is derived from the account and the number, so fixtures are stable from
// run to run. Defaults are those of a freshly bought US local number with
// no voice configuration.
func (s *Server) AddNumber(accountSID, e164 string, opts ...NumberOption) (string, error) {
	if !e164Pattern.MatchString(e164) {
		return "", fmt.Errorf("twiliotest: %q is not an E.164 number", e164)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[accountSID]
	if !ok {
		return "", fmt.Errorf("twiliotest: no account %s", accountSID)
	}
	if _, dup := a.byE164[e164]; dup {
		return "", fmt.Errorf("twiliotest: account %s already owns %s", accountSID, e164)
	}
	now := s.now().UTC()
	n := &Number{
		SID:                  numberSID(accountSID, e164),
		AccountSID:           accountSID,
		PhoneNumber:          e164,
		FriendlyName:         friendlyName(e164),
		VoiceMethod:          "POST",
		VoiceFallbackMethod:  "POST",
		VoiceReceiveMode:     "voice",
		StatusCallbackMethod: "POST",
		SMSMethod:            "POST",
		SMSFallbackMethod:    "POST",
		Capabilities:         Capabilities{Voice: true, SMS: true, MMS: true},
		Origin:               "twilio",
		Type:                 "local",
		AddressRequirements:  "none",
		Status:               "in-use",
		DateCreated:          now,
		DateUpdated:          now,
	}
	for _, opt := range opts {
		opt(n)
	}
	// Options may set anything but the identity of the number.
	n.SID, n.AccountSID, n.PhoneNumber = numberSID(accountSID, e164), accountSID, e164
	a.own(n)
	a.numbers = append(a.numbers, n)
	a.bySID[n.SID] = n
	a.byE164[e164] = n
	return n.SID, nil
}

// Number returns a snapshot of the account's number e164.
func (s *Server) Number(accountSID, e164 string) (Number, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[accountSID]
	if !ok {
		return Number{}, false
	}
	n, ok := a.byE164[e164]
	if !ok {
		return Number{}, false
	}
	return *n, true
}

// UpdateNumber changes the account's number e164 in place, as someone
// working in Twilio's console would (to simulate drift, or a trunk being
// attached). It bumps date_updated when anything changed.
func (s *Server) UpdateNumber(accountSID, e164 string, change func(*Number)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[accountSID]
	if !ok {
		return fmt.Errorf("twiliotest: no account %s", accountSID)
	}
	n, ok := a.byE164[e164]
	if !ok {
		return fmt.Errorf("twiliotest: account %s does not own %s", accountSID, e164)
	}
	c := *n
	change(&c)
	c.SID, c.AccountSID, c.PhoneNumber = n.SID, n.AccountSID, n.PhoneNumber
	a.own(&c)
	if c != *n {
		c.DateUpdated = s.now().UTC()
	}
	*n = c
	return nil
}

// numberSID derives a stable "PN" SID from the account and the number.
func numberSID(accountSID, e164 string) string {
	sum := sha256.Sum256([]byte(accountSID + "/" + e164))
	return "PN" + hex.EncodeToString(sum[:16])
}

// friendlyName is the name Twilio gives a new number: "(415) 555-0100" for
// North American numbers, the E.164 form otherwise.
func friendlyName(e164 string) string {
	if len(e164) == 12 && e164[:2] == "+1" {
		d := e164[2:]
		return "(" + d[:3] + ") " + d[3:6] + "-" + d[6:]
	}
	return e164
}

// capabilitiesJSON keeps Twilio's key order.
type capabilitiesJSON struct {
	Voice bool `json:"voice"`
	SMS   bool `json:"sms"`
	MMS   bool `json:"mms"`
	Fax   bool `json:"fax"`
}

// numberJSON is the api.v2010.account.incoming_phone_number schema, every
// field included, in the order of Twilio's example. Pointers are the
// fields Twilio renders as null when unset.
type numberJSON struct {
	AccountSID             string           `json:"account_sid"`
	AddressRequirements    string           `json:"address_requirements"`
	AddressSID             *string          `json:"address_sid"`
	APIVersion             string           `json:"api_version"`
	Beta                   bool             `json:"beta"`
	Capabilities           capabilitiesJSON `json:"capabilities"`
	DateCreated            string           `json:"date_created"`
	DateUpdated            string           `json:"date_updated"`
	EmergencyStatus        string           `json:"emergency_status"`
	EmergencyAddressSID    *string          `json:"emergency_address_sid"`
	EmergencyAddressStatus string           `json:"emergency_address_status"`
	FriendlyName           string           `json:"friendly_name"`
	IdentitySID            *string          `json:"identity_sid"`
	Origin                 string           `json:"origin"`
	PhoneNumber            string           `json:"phone_number"`
	SID                    string           `json:"sid"`
	SMSApplicationSID      string           `json:"sms_application_sid"`
	SMSFallbackMethod      string           `json:"sms_fallback_method"`
	SMSFallbackURL         string           `json:"sms_fallback_url"`
	SMSMethod              string           `json:"sms_method"`
	SMSURL                 string           `json:"sms_url"`
	StatusCallback         string           `json:"status_callback"`
	StatusCallbackMethod   string           `json:"status_callback_method"`
	TrunkSID               *string          `json:"trunk_sid"`
	URI                    string           `json:"uri"`
	VoiceApplicationSID    string           `json:"voice_application_sid"`
	VoiceCallerIDLookup    bool             `json:"voice_caller_id_lookup"`
	VoiceFallbackMethod    string           `json:"voice_fallback_method"`
	VoiceFallbackURL       *string          `json:"voice_fallback_url"`
	VoiceMethod            string           `json:"voice_method"`
	VoiceURL               *string          `json:"voice_url"`
	VoiceReceiveMode       string           `json:"voice_receive_mode"`
	Status                 string           `json:"status"`
	BundleSID              *string          `json:"bundle_sid"`
	Type                   string           `json:"type"`
}

func (n *Number) wire() numberJSON {
	return numberJSON{
		AccountSID:             n.AccountSID,
		AddressRequirements:    n.AddressRequirements,
		APIVersion:             "2010-04-01",
		Beta:                   n.Beta,
		Capabilities:           capabilitiesJSON(n.Capabilities),
		DateCreated:            twilioTime(n.DateCreated),
		DateUpdated:            twilioTime(n.DateUpdated),
		EmergencyStatus:        "Inactive",
		EmergencyAddressStatus: "unregistered",
		FriendlyName:           n.FriendlyName,
		Origin:                 n.Origin,
		PhoneNumber:            n.PhoneNumber,
		SID:                    n.SID,
		SMSApplicationSID:      n.SMSApplicationSID,
		SMSFallbackMethod:      n.SMSFallbackMethod,
		SMSFallbackURL:         n.SMSFallbackURL,
		SMSMethod:              n.SMSMethod,
		SMSURL:                 n.SMSURL,
		StatusCallback:         n.StatusCallback,
		StatusCallbackMethod:   n.StatusCallbackMethod,
		TrunkSID:               nullable(n.TrunkSID),
		URI:                    numberURI(n.AccountSID, n.SID),
		VoiceApplicationSID:    n.VoiceApplicationSID,
		VoiceCallerIDLookup:    n.VoiceCallerIDLookup,
		VoiceFallbackMethod:    n.VoiceFallbackMethod,
		VoiceFallbackURL:       nullable(n.VoiceFallbackURL),
		VoiceMethod:            n.VoiceMethod,
		VoiceURL:               nullable(n.VoiceURL),
		VoiceReceiveMode:       n.VoiceReceiveMode,
		Status:                 n.Status,
		Type:                   n.Type,
	}
}

func numberURI(accountSID, numberSID string) string {
	return apiRoot + accountSID + "/IncomingPhoneNumbers/" + numberSID + ".json"
}

// nullable renders "" as JSON null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
