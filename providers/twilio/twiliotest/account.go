package twiliotest

import (
	"cmp"
	"fmt"
	"regexp"
	"time"
)

// AccountStatus is a Twilio account's status.
type AccountStatus string

// The account statuses Twilio reports.
const (
	StatusActive    AccountStatus = "active"
	StatusSuspended AccountStatus = "suspended"
	StatusClosed    AccountStatus = "closed"
)

// Account is a snapshot of one simulated account.
type Account struct {
	SID string
	// OwnerAccountSID is the parent of a subaccount (AddSubaccount); a
	// main account owns itself and leaves it empty.
	OwnerAccountSID string
	AuthToken       string
	FriendlyName    string
	Status          AccountStatus
	Type            string // "Full" or "Trial"
	DateCreated     time.Time
	DateUpdated     time.Time
}

// account is an Account with the numbers it owns, in creation order (the
// order lists return them in), its API keys (SID to secret), and the SIDs
// of its applications (AP...) and SIP trunks (TK...), which are all a
// number update needs to know of them.
type account struct {
	Account
	keys    map[string]string
	numbers []*Number
	bySID   map[string]*Number
	byE164  map[string]*Number
	apps    map[string]bool
	trunks  map[string]bool
}

// own records the application and trunk a number of the account is
// wired to as the account's: fixtures put numbers on them directly.
func (a *account) own(n *Number) {
	for _, sid := range []string{n.VoiceApplicationSID, n.SMSApplicationSID} {
		if sid != "" {
			a.apps[sid] = true
		}
	}
	if n.TrunkSID != "" {
		a.trunks[n.TrunkSID] = true
	}
}

var (
	accountSIDPattern = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	e164Pattern       = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
)

// AddAccount creates an account with an auth token, active, or replaces
// the token of an existing one. The SDK refuses non-alphanumeric tokens
// before sending anything, so tokens should be alphanumeric.
func (s *Server) AddAccount(sid, token string) error {
	if !accountSIDPattern.MatchString(sid) {
		return fmt.Errorf("twiliotest: account SID %q is not AC followed by 32 hex digits", sid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	if a, ok := s.accounts[sid]; ok {
		a.AuthToken = token
		a.DateUpdated = now
		return nil
	}
	s.accounts[sid] = &account{
		Account: Account{
			SID:          sid,
			AuthToken:    token,
			FriendlyName: sid,
			Status:       StatusActive,
			Type:         "Full",
			DateCreated:  now,
			DateUpdated:  now,
		},
		keys:   map[string]string{},
		bySID:  map[string]*Number{},
		byE164: map[string]*Number{},
		apps:   map[string]bool{},
		trunks: map[string]bool{},
	}
	return nil
}

// AddApplication gives account accountSID the TwiML application sid
// (AP...), which its numbers may then be put on. A number fixture on an
// application (WithVoiceApplicationSID) adds it too.
func (s *Server) AddApplication(accountSID, sid string) error {
	return s.addResource(accountSID, sid, applicationSIDPattern, func(a *account) map[string]bool { return a.apps })
}

// AddTrunk gives account accountSID the SIP trunk sid (TK...). A number
// fixture on a trunk (WithTrunkSID) adds it too.
func (s *Server) AddTrunk(accountSID, sid string) error {
	return s.addResource(accountSID, sid, trunkSIDPattern, func(a *account) map[string]bool { return a.trunks })
}

func (s *Server) addResource(accountSID, sid string, pattern *regexp.Regexp, set func(*account) map[string]bool) error {
	if !pattern.MatchString(sid) {
		return fmt.Errorf("twiliotest: SID %q does not match %s", sid, pattern)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[accountSID]
	if !ok {
		return fmt.Errorf("twiliotest: no account %s", accountSID)
	}
	set(a)[sid] = true
	return nil
}

var keySIDPattern = regexp.MustCompile(`^SK[0-9a-fA-F]{32}$`)

// AddSubaccount creates subaccount sid of the main account parent, with
// its own auth token. The parent's credentials reach the subaccount's
// resources (Twilio: "main account credentials ... access v2010 API
// resources for any of your subaccounts"); the subaccount's reach only its
// own.
func (s *Server) AddSubaccount(parent, sid, token string) error {
	s.mu.Lock()
	p, ok := s.accounts[parent]
	s.mu.Unlock()
	if !ok || p.OwnerAccountSID != "" {
		return fmt.Errorf("twiliotest: no main account %s", parent)
	}
	if err := s.AddAccount(sid, token); err != nil {
		return err
	}
	return s.UpdateAccount(sid, func(a *Account) { a.OwnerAccountSID = parent })
}

// AddAPIKey gives account sid a standard API key: requests authenticate
// with the key's SID and secret, for that account's resources only. As
// Twilio's standard keys, it cannot fetch or manage accounts (GET
// /Accounts/{Sid}.json answers 401, code 20003).
func (s *Server) AddAPIKey(accountSID, keySID, secret string) error {
	if !keySIDPattern.MatchString(keySID) {
		return fmt.Errorf("twiliotest: API key SID %q is not SK followed by 32 hex digits", keySID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[accountSID]
	if !ok {
		return fmt.Errorf("twiliotest: no account %s", accountSID)
	}
	a.keys[keySID] = secret
	return nil
}

// Account returns a snapshot of an account.
func (s *Server) Account(sid string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[sid]
	if !ok {
		return Account{}, false
	}
	return a.Account, true
}

// UpdateAccount changes an account in place, as someone working in
// Twilio's console would (friendly name, type, status, token).
func (s *Server) UpdateAccount(sid string, change func(*Account)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[sid]
	if !ok {
		return fmt.Errorf("twiliotest: no account %s", sid)
	}
	c := a.Account
	change(&c)
	c.SID = sid // the key cannot change
	if c != a.Account {
		c.DateUpdated = s.now().UTC()
	}
	a.Account = c
	return nil
}

// SetAccountStatus sets an account's status. A request for the resources
// of an account that is not active, or whose parent is not, is refused
// (see the package documentation).
func (s *Server) SetAccountStatus(sid string, status AccountStatus) error {
	switch status {
	case StatusActive, StatusSuspended, StatusClosed:
	default:
		return fmt.Errorf("twiliotest: unknown account status %q", status)
	}
	return s.UpdateAccount(sid, func(a *Account) { a.Status = status })
}

// accountJSON is the api.v2010.account schema, every field included.
type accountJSON struct {
	AuthToken       string            `json:"auth_token"`
	DateCreated     string            `json:"date_created"`
	DateUpdated     string            `json:"date_updated"`
	FriendlyName    string            `json:"friendly_name"`
	OwnerAccountSID string            `json:"owner_account_sid"`
	SID             string            `json:"sid"`
	Status          AccountStatus     `json:"status"`
	SubresourceURIs map[string]string `json:"subresource_uris"`
	Type            string            `json:"type"`
	URI             string            `json:"uri"`
}

func (a *Account) wire() accountJSON {
	base := apiRoot + a.SID
	// The subresources Twilio lists for an account (from the OpenAPI example).
	subs := map[string]string{
		"addresses":               base + "/Addresses.json",
		"applications":            base + "/Applications.json",
		"authorized_connect_apps": base + "/AuthorizedConnectApps.json",
		"available_phone_numbers": base + "/AvailablePhoneNumbers.json",
		"balance":                 base + "/Balance.json",
		"calls":                   base + "/Calls.json",
		"conferences":             base + "/Conferences.json",
		"connect_apps":            base + "/ConnectApps.json",
		"incoming_phone_numbers":  base + "/IncomingPhoneNumbers.json",
		"keys":                    base + "/Keys.json",
		"messages":                base + "/Messages.json",
		"notifications":           base + "/Notifications.json",
		"outgoing_caller_ids":     base + "/OutgoingCallerIds.json",
		"queues":                  base + "/Queues.json",
		"recordings":              base + "/Recordings.json",
		"short_codes":             base + "/SMS/ShortCodes.json",
		"signing_keys":            base + "/SigningKeys.json",
		"sip":                     base + "/SIP.json",
		"transcriptions":          base + "/Transcriptions.json",
		"usage":                   base + "/Usage.json",
	}
	return accountJSON{
		AuthToken:       a.AuthToken,
		DateCreated:     twilioTime(a.DateCreated),
		DateUpdated:     twilioTime(a.DateUpdated),
		FriendlyName:    a.FriendlyName,
		OwnerAccountSID: cmp.Or(a.OwnerAccountSID, a.SID), // a main account owns itself
		SID:             a.SID,
		Status:          a.Status,
		SubresourceURIs: subs,
		Type:            a.Type,
		URI:             base + ".json",
	}
}

// twilioTime formats t as Twilio does: RFC 1123 with a numeric zone, always
// GMT ("Mon, 02 Jan 2006 15:04:05 +0000").
func twilioTime(t time.Time) string {
	return t.UTC().Format(time.RFC1123Z)
}
