package telnyxtest

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
)

// Phone number statuses Telnyx reports.
const (
	StatusActive          = "active"
	StatusPurchasePending = "purchase-pending"
	StatusPurchaseFailed  = "purchase-failed"
	StatusPortPending     = "port-pending"
	StatusPortFailed      = "port-failed"
	StatusDeleted         = "deleted"
	StatusEmergencyOnly   = "emergency-only"
	StatusPortedOut       = "ported-out"
	StatusPortOutPending  = "port-out-pending"
	// A number whose regulatory requirements (an address, identity
	// documents) are missing, being reviewed or were refused.
	StatusRequirementInfoPending     = "requirement-info-pending"
	StatusRequirementInfoUnderReview = "requirement-info-under-review"
	StatusRequirementInfoException   = "requirement-info-exception"
	// A number bought and being set up on Telnyx's network.
	StatusProvisionPending = "provision-pending"
)

// Number is a snapshot of one phone number. Empty strings mean "not set"
// and are rendered as null.
type Number struct {
	ID          string // a decimal int64, as Telnyx's ids are
	PhoneNumber string // E.164
	Status      string
	// Country is the number's ISO 3166-1 alpha-2 country; AddNumber
	// derives it from the calling code (see countryOf) unless an option
	// sets it.
	Country string

	// ConnectionID is the connection (Call Control application, SIP
	// connection) inbound calls go to; connection_name is rendered from it.
	ConnectionID string

	Tags                 []string
	ExternalPIN          string
	CustomerReference    string
	MessagingProfileID   string
	MessagingProfileName string
	BillingGroupID       string
	PhoneNumberType      string // local, toll_free, mobile, national, ...

	EmergencyEnabled      bool
	CallForwardingEnabled bool
	// ForwardingType ("always" or "on-failure") and ForwardsTo are the
	// number's call forwarding (GET /v2/phone_numbers/{id}/voice), in
	// effect while CallForwardingEnabled: "always" diverts every call to
	// ForwardsTo, whatever the connection.
	ForwardingType       string
	ForwardsTo           string
	CNAMListingEnabled   bool
	CallerIDNameEnabled  bool
	CallRecordingEnabled bool
	T38FaxGatewayEnabled bool
	HDVoiceEnabled       bool

	PurchasedAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (n Number) clone() Number {
	n.Tags = slices.Clone(n.Tags)
	return n
}

func (n *Number) equal(o *Number) bool {
	a, b := *n, *o
	a.Tags, b.Tags = nil, nil
	return reflect.DeepEqual(a, b) && slices.Equal(n.Tags, o.Tags)
}

// NumberOption configures a number created by AddNumber. Any func(*Number)
// is one, so tests can set fields directly.
type NumberOption func(*Number)

// WithStatus sets the number's status (StatusActive, StatusPortPending, ...).
func WithStatus(status string) NumberOption {
	return func(n *Number) { n.Status = status }
}

// WithConnection puts the number on connection id, which must exist in
// the account.
func WithConnection(id string) NumberOption {
	return func(n *Number) { n.ConnectionID = id }
}

// WithMessagingProfile attaches the number to a messaging profile, which
// switchboard must leave alone.
func WithMessagingProfile(id, name string) NumberOption {
	return func(n *Number) { n.MessagingProfileID, n.MessagingProfileName = id, name }
}

// WithTags sets the number's tags.
func WithTags(tags ...string) NumberOption {
	return func(n *Number) { n.Tags = tags }
}

// isE164 reports whether s is '+' and 2 to 15 digits, the first not 0.
func isE164(s string) bool {
	d, ok := strings.CutPrefix(s, "+")
	if !ok || len(d) < 2 || len(d) > 15 || d[0] == '0' {
		return false
	}
	return !strings.ContainsFunc(d, func(r rune) bool { return r < '0' || r > '9' })
}

// AddNumber gives the account of apiKey the number e164 and returns its id.
// The id is derived from the key and the number, so fixtures are stable
// from run to run. Defaults are those of a freshly bought, active local
// number on no connection.
func (s *Server) AddNumber(apiKey, e164 string, opts ...NumberOption) (string, error) {
	if !isE164(e164) {
		return "", fmt.Errorf("telnyxtest: %q is not an E.164 number", e164)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[apiKey]
	if !ok {
		return "", fmt.Errorf("telnyxtest: no account with API key %s", apiKey)
	}
	if _, dup := a.byE164[e164]; dup {
		return "", fmt.Errorf("telnyxtest: the account already owns %s", e164)
	}
	now := s.now().UTC()
	id := numberID(apiKey, e164)
	n := &Number{
		Status:                StatusActive,
		Tags:                  []string{},
		PhoneNumberType:       "local",
		CallForwardingEnabled: true,
		PurchasedAt:           now,
		CreatedAt:             now,
		UpdatedAt:             now,
	}
	n.Country = countryOf(e164)
	for _, opt := range opts {
		opt(n)
	}
	// Options may set anything but the identity of the number.
	n.ID, n.PhoneNumber = id, e164
	n.Tags = slices.Clone(n.Tags)
	if n.ConnectionID != "" && a.connsByID[n.ConnectionID] == nil {
		return "", fmt.Errorf("telnyxtest: no connection %s in the account", n.ConnectionID)
	}
	a.numbers = append(a.numbers, n)
	a.numbersByID[id] = n
	a.byE164[e164] = n
	return id, nil
}

// Number returns a snapshot of the account's number e164.
func (s *Server) Number(apiKey, e164 string) (Number, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[apiKey]
	if !ok {
		return Number{}, false
	}
	n, ok := a.byE164[e164]
	if !ok {
		return Number{}, false
	}
	return n.clone(), true
}

// UpdateNumber changes the account's number e164 in place, as someone
// working in Telnyx's portal would (to simulate drift, or a number being
// moved to a SIP connection). It bumps updated_at when anything changed.
func (s *Server) UpdateNumber(apiKey, e164 string, change func(*Number)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[apiKey]
	if !ok {
		return fmt.Errorf("telnyxtest: no account with API key %s", apiKey)
	}
	n, ok := a.byE164[e164]
	if !ok {
		return fmt.Errorf("telnyxtest: the account does not own %s", e164)
	}
	c := n.clone()
	change(&c)
	c.ID, c.PhoneNumber = n.ID, n.PhoneNumber
	if c.ConnectionID != "" && a.connsByID[c.ConnectionID] == nil {
		return fmt.Errorf("telnyxtest: no connection %s in the account", c.ConnectionID)
	}
	if !c.equal(n) {
		c.UpdatedAt = s.now().UTC()
	}
	*n = c
	return nil
}

// countryOf returns the ISO country of an E.164 number for the calling
// codes the fixtures use, the longest code first; "US" for other NANP
// numbers and "" for calling codes not listed.
func countryOf(e164 string) string {
	codes := []struct{ prefix, iso string }{
		{"+1416", "CA"}, {"+1647", "CA"}, {"+1604", "CA"},
		{"+1", "US"}, {"+44", "GB"}, {"+61", "AU"}, {"+49", "DE"}, {"+33", "FR"},
		{"+353", "IE"}, {"+31", "NL"}, {"+34", "ES"}, {"+39", "IT"}, {"+81", "JP"},
	}
	for _, c := range codes {
		if strings.HasPrefix(e164, c.prefix) {
			return c.iso
		}
	}
	return ""
}

// numberID derives a stable 19-digit id from the key and the number.
func numberID(apiKey, e164 string) string {
	sum := sha256.Sum256([]byte(apiKey + "/" + e164))
	const lo, span = 1_000_000_000_000_000_000, 8_000_000_000_000_000_000
	return strconv.FormatUint(lo+binary.BigEndian.Uint64(sum[:8])%span, 10)
}

// numberJSON is Telnyx's phone number resource (PhoneNumberDetailed), in
// the order of its examples. Pointers are the fields rendered as null when
// unset.
type numberJSON struct {
	ID                    string   `json:"id"`
	RecordType            string   `json:"record_type"`
	PhoneNumber           string   `json:"phone_number"`
	CountryISOAlpha2      string   `json:"country_iso_alpha2"`
	Status                string   `json:"status"`
	Tags                  []string `json:"tags"`
	ExternalPIN           *string  `json:"external_pin"`
	ConnectionName        *string  `json:"connection_name"`
	ConnectionID          *string  `json:"connection_id"`
	CustomerReference     *string  `json:"customer_reference"`
	MessagingProfileID    *string  `json:"messaging_profile_id"`
	MessagingProfileName  *string  `json:"messaging_profile_name"`
	BillingGroupID        *string  `json:"billing_group_id"`
	EmergencyEnabled      bool     `json:"emergency_enabled"`
	EmergencyAddressID    *string  `json:"emergency_address_id"`
	EmergencyStatus       string   `json:"emergency_status"`
	CallForwardingEnabled bool     `json:"call_forwarding_enabled"`
	CNAMListingEnabled    bool     `json:"cnam_listing_enabled"`
	CallerIDNameEnabled   bool     `json:"caller_id_name_enabled"`
	CallRecordingEnabled  bool     `json:"call_recording_enabled"`
	T38FaxGatewayEnabled  bool     `json:"t38_fax_gateway_enabled"`
	HDVoiceEnabled        bool     `json:"hd_voice_enabled"`
	InboundCallScreening  string   `json:"inbound_call_screening"`
	PhoneNumberType       string   `json:"phone_number_type"`
	SourceType            string   `json:"source_type"`
	DeletionLockEnabled   bool     `json:"deletion_lock_enabled"`
	PurchasedAt           string   `json:"purchased_at"`
	CreatedAt             string   `json:"created_at"`
	UpdatedAt             string   `json:"updated_at"`
}

// wire renders n; a is its account, for the connection's name.
func (n *Number) wire(a *account) numberJSON {
	var connName string
	if c := a.connsByID[n.ConnectionID]; c != nil {
		connName = c.Name
	}
	emergency := "disabled"
	if n.EmergencyEnabled {
		emergency = "active"
	}
	return numberJSON{
		ID:                    n.ID,
		RecordType:            "phone_number",
		PhoneNumber:           n.PhoneNumber,
		CountryISOAlpha2:      n.Country,
		Status:                n.Status,
		Tags:                  append([]string{}, n.Tags...),
		ExternalPIN:           nullable(n.ExternalPIN),
		ConnectionName:        nullable(connName),
		ConnectionID:          nullable(n.ConnectionID),
		CustomerReference:     nullable(n.CustomerReference),
		MessagingProfileID:    nullable(n.MessagingProfileID),
		MessagingProfileName:  nullable(n.MessagingProfileName),
		BillingGroupID:        nullable(n.BillingGroupID),
		EmergencyEnabled:      n.EmergencyEnabled,
		EmergencyStatus:       emergency,
		CallForwardingEnabled: n.CallForwardingEnabled,
		CNAMListingEnabled:    n.CNAMListingEnabled,
		CallerIDNameEnabled:   n.CallerIDNameEnabled,
		CallRecordingEnabled:  n.CallRecordingEnabled,
		T38FaxGatewayEnabled:  n.T38FaxGatewayEnabled,
		HDVoiceEnabled:        n.HDVoiceEnabled,
		InboundCallScreening:  "disabled",
		PhoneNumberType:       n.PhoneNumberType,
		SourceType:            "number_order",
		PurchasedAt:           telnyxTime(n.PurchasedAt),
		CreatedAt:             telnyxTime(n.CreatedAt),
		UpdatedAt:             telnyxTime(n.UpdatedAt),
	}
}

// numberFilter is a parsed phone number list query.
type numberFilter struct {
	digits     string // filter[phone_number]
	none       bool   // the phone filter had a non-digit: nothing matches
	status     string
	connection string
	tag        string
}

func (f numberFilter) matches(n *Number) bool {
	switch {
	case f.none:
		return false
	case f.digits != "" && !strings.Contains(n.PhoneNumber[1:], f.digits):
		return false
	case f.status != "" && n.Status != f.status:
		return false
	case f.connection != "" && n.ConnectionID != f.connection:
		return false
	case f.tag != "" && !slices.Contains(n.Tags, f.tag):
		return false
	}
	return true
}

func (s *Server) listNumbers(w http.ResponseWriter, r *http.Request, key string) {
	q := r.URL.Query()
	p, apiErr := parsePage(q)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	f := numberFilter{status: q.Get("filter[status]"), connection: q.Get("filter[connection_id]"), tag: q.Get("filter[tag]")}
	if v := q.Get("filter[phone_number]"); v != "" {
		switch {
		case strings.ContainsFunc(v, func(r rune) bool { return r < '0' || r > '9' }):
			f.none = true
		case len(v) < 3:
			writeError(w, errBadRequest("filter[phone_number] requires at least three digits.").param("filter[phone_number]"))
			return
		default:
			f.digits = v
		}
	}
	s.mu.Lock()
	a := s.accounts[key]
	var matching []*Number
	for _, n := range a.numbers {
		if f.matches(n) {
			matching = append(matching, n)
		}
	}
	start, end, meta := p.cut(len(matching))
	data := make([]numberJSON, 0, end-start)
	for _, n := range matching[start:end] {
		data = append(data, n.wire(a))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		Data []numberJSON `json:"data"`
		Meta metaJSON     `json:"meta"`
	}{data, meta})
}

func (s *Server) getNumber(w http.ResponseWriter, key, id string) {
	s.mu.Lock()
	a := s.accounts[key]
	n, ok := a.numbersByID[id]
	var out numberJSON
	if ok {
		out = n.wire(a)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, errNotFound())
		return
	}
	writeNumber(w, out)
}

func writeNumber(w http.ResponseWriter, n numberJSON) {
	writeJSON(w, http.StatusOK, struct {
		Data numberJSON `json:"data"`
	}{n})
}

// updateNumber applies the fields sent, and only those, as Telnyx's PATCH
// does. Either every field is valid and the number is updated, or nothing
// changes.
func (s *Server) updateNumber(w http.ResponseWriter, r *http.Request, key, id string) {
	b, apiErr := readBody(w, r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[key]
	n, ok := a.numbersByID[id]
	if !ok {
		writeError(w, errNotFound())
		return
	}
	if _, sent := b["connection_id"]; sent && sim.Take(&s.faults.IgnoredConnectionUpdates) {
		delete(b, "connection_id")
	}
	c, apiErr := applyNumberUpdate(a, n.clone(), b)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if !c.equal(n) {
		c.UpdatedAt = s.now().UTC()
		*n = c
		s.counter.CountApplied()
	}
	writeNumber(w, n.wire(a))
}

// applyNumberUpdate applies b's fields to c. Null or "" clears a string;
// unknown fields are ignored.
func applyNumberUpdate(a *account, c Number, b body) (Number, *apiError) {
	strs := []struct {
		name  string
		field *string
	}{
		{"connection_id", &c.ConnectionID},
		{"external_pin", &c.ExternalPIN},
		{"customer_reference", &c.CustomerReference},
		{"billing_group_id", &c.BillingGroupID},
	}
	for _, f := range strs {
		v, sent, apiErr := b.str(f.name)
		if apiErr != nil {
			return c, apiErr
		}
		if sent {
			*f.field = ""
			if v != nil {
				*f.field = *v
			}
		}
	}
	if c.ConnectionID != "" && a.connsByID[c.ConnectionID] == nil {
		return c, errMissingAssociation("/connection_id")
	}
	if tags, sent, apiErr := b.strs("tags"); apiErr != nil {
		return c, apiErr
	} else if sent {
		c.Tags = tags
	}
	if v, sent, apiErr := b.boolean("hd_voice_enabled"); apiErr != nil {
		return c, apiErr
	} else if sent {
		c.HDVoiceEnabled = v
	}
	return c, nil
}
