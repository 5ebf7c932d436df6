package plivotest

import (
	"fmt"
	"net/http"
	"regexp"
	"time"
)

// Number is a snapshot of one rented number. Empty strings mean "not set"
// and are rendered as null where Plivo renders null.
type Number struct {
	Number            string // digits, without '+': "918000000001"
	Alias             string
	AppID             string // the attached application's app_id; "" when none
	VoiceEnabled      bool
	SMSEnabled        bool
	NumberType        string // local, mobile, tollfree, ...
	Carrier           string
	Region            string
	MonthlyRentalRate string
	VoiceRate         string
	SMSRate           string
	CNAMLookup        string // enabled or disabled
	AddedOn           time.Time
}

// NumberOption configures a number created by AddNumber. Any func(*Number)
// is one, so tests can set fields directly.
type NumberOption func(*Number)

// WithApplication attaches the number to the application appID.
func WithApplication(appID string) NumberOption {
	return func(n *Number) { n.AppID = appID }
}

// WithoutVoice rents the number for SMS only (voice_enabled false).
func WithoutVoice() NumberOption {
	return func(n *Number) { n.VoiceEnabled = false }
}

var e164Pattern = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// AddNumber gives an account the number e164. Defaults are those of a
// freshly rented Indian local number, voice and SMS enabled, attached to
// no application.
func (s *Server) AddNumber(authID, e164 string, opts ...NumberOption) error {
	if !e164Pattern.MatchString(e164) {
		return fmt.Errorf("plivotest: %q is not an E.164 number", e164)
	}
	digits := e164[1:]
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[authID]
	if !ok {
		return fmt.Errorf("plivotest: no account %s", authID)
	}
	root := a
	if a.Parent != "" {
		root = s.accounts[a.Parent]
	}
	if n, _ := s.findNumber(root, digits); n != nil {
		// One number, one owner: a main account and its subaccounts
		// share Plivo's inventory.
		return fmt.Errorf("plivotest: account %s or a subaccount already rents %s", root.AuthID, e164)
	}
	n := &Number{
		Number:            digits,
		VoiceEnabled:      true,
		SMSEnabled:        true,
		NumberType:        "local",
		Carrier:           "Plivo",
		Region:            region(digits),
		MonthlyRentalRate: "0.80000",
		VoiceRate:         "0.00850",
		SMSRate:           "0.00000",
		CNAMLookup:        "disabled",
		AddedOn:           s.now().UTC(),
	}
	for _, opt := range opts {
		opt(n)
	}
	n.Number = digits // options may set anything but the number itself
	if n.AppID != "" && a.appByID[n.AppID] == nil {
		return fmt.Errorf("plivotest: account %s has no application %s", authID, n.AppID)
	}
	a.numbers[digits] = n
	return nil
}

// region is the region Plivo reports for a number, coarsely.
func region(digits string) string {
	switch {
	case len(digits) > 3 && digits[:3] == "918":
		return "Karnataka, INDIA"
	case len(digits) > 2 && digits[:2] == "91":
		return "INDIA"
	case digits[:1] == "1":
		return "UNITED STATES"
	}
	return ""
}

// Number returns a snapshot of the number e164 as the account authID sees
// it: its own, or a subaccount's when authID is a main account.
func (s *Server) Number(authID, e164 string) (Number, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, _ := s.number(authID, e164)
	if n == nil {
		return Number{}, false
	}
	return *n, true
}

// number finds a number by E.164 among what authID reaches, with the
// account that owns it; s.mu must be held.
func (s *Server) number(authID, e164 string) (*Number, *account) {
	a, ok := s.accounts[authID]
	if !ok || len(e164) < 2 {
		return nil, nil
	}
	return s.findNumber(a, e164[1:])
}

// findNumber finds a number by its digits in a's family; s.mu must be
// held.
func (s *Server) findNumber(a *account, digits string) (*Number, *account) {
	for _, o := range s.family(a) {
		if n, ok := o.numbers[digits]; ok {
			return n, o
		}
	}
	return nil, nil
}

// UpdateNumber changes the account's number e164 in place, as someone
// working in Plivo's console would (to simulate drift).
func (s *Server) UpdateNumber(authID, e164 string, change func(*Number)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, owner := s.number(authID, e164)
	if n == nil {
		return fmt.Errorf("plivotest: account %s does not rent %s", authID, e164)
	}
	c := *n
	change(&c)
	c.Number = n.Number
	if c.AppID != "" && owner.appByID[c.AppID] == nil {
		return fmt.Errorf("plivotest: account %s has no application %s", owner.AuthID, c.AppID)
	}
	*n = c
	return nil
}

// VoiceURL is where Plivo would send an inbound call to the account's
// number e164 right now: the answer_url of the number's application, ""
// when it has none or voice is disabled.
func (s *Server) VoiceURL(authID, e164 string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, owner := s.number(authID, e164)
	if n == nil || !n.VoiceEnabled || n.AppID == "" {
		return ""
	}
	if app := owner.appByID[n.AppID]; app != nil {
		return app.AnswerURL
	}
	return ""
}

// numberJSON is the number resource, every field of Plivo's recorded
// response (fixtures/numberGetResponse.json) included. Pointers are the
// fields rendered as null when unset.
type numberJSON struct {
	AddedOn                            string  `json:"added_on"`
	Alias                              *string `json:"alias"`
	APIID                              string  `json:"api_id"`
	Application                        *string `json:"application"`
	Carrier                            string  `json:"carrier"`
	CNAMLookup                         string  `json:"cnam_lookup"`
	MonthlyRentalRate                  string  `json:"monthly_rental_rate"`
	Number                             string  `json:"number"`
	NumberType                         string  `json:"number_type"`
	Region                             string  `json:"region"`
	ResourceURI                        string  `json:"resource_uri"`
	SMSEnabled                         bool    `json:"sms_enabled"`
	SMSRate                            string  `json:"sms_rate"`
	SubAccount                         *string `json:"sub_account"`
	VoiceEnabled                       bool    `json:"voice_enabled"`
	VoiceRate                          string  `json:"voice_rate"`
	TendlcCampaignID                   *string `json:"tendlc_campaign_id"`
	TendlcRegistrationStatus           *string `json:"tendlc_registration_status"`
	TollFreeSMSVerification            *string `json:"toll_free_sms_verification"`
	RenewalDate                        string  `json:"renewal_date"`
	TollFreeSMSVerificationID          *string `json:"toll_free_sms_verification_id"`
	TollFreeSMSVerificationOrderStatus *string `json:"toll_free_sms_verification_order_status"`
}

// plivoDate is Plivo's date format for added_on and renewal_date.
const plivoDate = "2006-01-02"

// wire renders n as the account authID sees it; owner rents it (authID
// itself, or one of its subaccounts).
func (n *Number) wire(authID string, owner *account, apiID string) numberJSON {
	var app *string
	if n.AppID != "" {
		app = new(applicationURI(owner.AuthID, n.AppID))
	}
	return numberJSON{
		AddedOn:           n.AddedOn.Format(plivoDate),
		Alias:             nullable(n.Alias),
		APIID:             apiID,
		Application:       app,
		Carrier:           n.Carrier,
		CNAMLookup:        n.CNAMLookup,
		MonthlyRentalRate: n.MonthlyRentalRate,
		Number:            n.Number,
		NumberType:        n.NumberType,
		Region:            n.Region,
		ResourceURI:       apiRoot + authID + "/Number/" + n.Number + "/",
		SMSEnabled:        n.SMSEnabled,
		SMSRate:           n.SMSRate,
		SubAccount:        owner.subaccountURI(),
		VoiceEnabled:      n.VoiceEnabled,
		VoiceRate:         n.VoiceRate,
		// Rented monthly: renewed a month after it was added.
		RenewalDate: n.AddedOn.AddDate(0, 1, 0).Format(plivoDate),
	}
}

// nullable renders "" as JSON null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Server) getNumber(w http.ResponseWriter, t target) {
	s.mu.Lock()
	n, owner := s.findNumber(s.accounts[t.account], t.id)
	var body numberJSON
	if n != nil {
		body = n.wire(t.account, owner, s.apiID())
	}
	s.mu.Unlock()
	if n == nil {
		writeError(w, s.newAPIID(), http.StatusNotFound, "not found")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// updateNumber attaches a number to an application (app_id), moves it to
// a subaccount (subaccount, main account only), and sets its alias and
// CNAM lookup. Without app_id the number gets the default number
// application of the account that rents it, or none: Plivo's behaviour.
// The application must belong to that account: another account's
// (the main account's, for a subaccount's number) is not found.
func (s *Server) updateNumber(w http.ResponseWriter, r *http.Request, t target) {
	p, err := readParams(w, r)
	if err != nil {
		writeError(w, s.newAPIID(), http.StatusBadRequest, err.Error())
		return
	}
	appID, hasApp, err1 := p.str("app_id")
	alias, hasAlias, err2 := p.str("alias")
	cnam, hasCNAM, err3 := p.str("cnam_lookup")
	sub, _, err4 := p.str("subaccount")
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			writeError(w, s.newAPIID(), http.StatusBadRequest, err.Error())
			return
		}
	}
	if hasCNAM && cnam != "enabled" && cnam != "disabled" {
		writeError(w, s.newAPIID(), http.StatusBadRequest, "cnam_lookup must be enabled or disabled")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[t.account]
	dest, msg := s.subaccountOf(a, sub)
	if msg != "" {
		writeError(w, s.apiID(), http.StatusBadRequest, msg)
		return
	}
	n, owner := s.findNumber(a, t.id)
	if n == nil {
		writeError(w, s.apiID(), http.StatusNotFound, "not found")
		return
	}
	if sub == "" {
		dest = owner
	}
	if hasApp && appID != "" {
		if dest.appByID[appID] == nil {
			writeError(w, s.apiID(), http.StatusNotFound, "not found")
			return
		}
	} else {
		appID = dest.defaultApp()
	}
	c := *n
	c.AppID = appID
	if hasAlias {
		c.Alias = alias
	}
	if hasCNAM {
		c.CNAMLookup = cnam
	}
	if c != *n || dest != owner {
		*n = c
		if dest != owner {
			delete(owner.numbers, n.Number)
			dest.numbers[n.Number] = n
		}
		s.counter.CountApplied()
	}
	writeJSON(w, http.StatusAccepted, messageJSON{APIID: s.apiID(), Message: "changed"})
}

// messageJSON is the answer to a successful write.
type messageJSON struct {
	APIID   string `json:"api_id"`
	Message string `json:"message"`
}
