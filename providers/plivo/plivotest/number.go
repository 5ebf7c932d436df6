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
	if _, dup := a.numbers[digits]; dup {
		return fmt.Errorf("plivotest: account %s already rents %s", authID, e164)
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

// Number returns a snapshot of the account's number e164.
func (s *Server) Number(authID, e164 string) (Number, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.number(authID, e164)
	if n == nil {
		return Number{}, false
	}
	return *n, true
}

// number finds a number by E.164; s.mu must be held.
func (s *Server) number(authID, e164 string) *Number {
	a, ok := s.accounts[authID]
	if !ok || len(e164) < 2 {
		return nil
	}
	return a.numbers[e164[1:]]
}

// UpdateNumber changes the account's number e164 in place, as someone
// working in Plivo's console would (to simulate drift).
func (s *Server) UpdateNumber(authID, e164 string, change func(*Number)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.number(authID, e164)
	if n == nil {
		return fmt.Errorf("plivotest: account %s does not rent %s", authID, e164)
	}
	c := *n
	change(&c)
	c.Number = n.Number
	if c.AppID != "" && s.accounts[authID].appByID[c.AppID] == nil {
		return fmt.Errorf("plivotest: account %s has no application %s", authID, c.AppID)
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
	n := s.number(authID, e164)
	if n == nil || !n.VoiceEnabled || n.AppID == "" {
		return ""
	}
	if app := s.accounts[authID].appByID[n.AppID]; app != nil {
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

func (n *Number) wire(authID, apiID string) numberJSON {
	var app *string
	if n.AppID != "" {
		app = new(applicationURI(authID, n.AppID))
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
	n, ok := s.accounts[t.account].numbers[t.id]
	var body numberJSON
	if ok {
		body = n.wire(t.account, s.apiID())
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, s.newAPIID(), http.StatusNotFound, "not found")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// updateNumber attaches a number to an application (app_id), and sets its
// alias and CNAM lookup. Without app_id the number gets the account's
// default number application, or none: Plivo's behaviour.
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
	if sub != "" {
		writeError(w, s.newAPIID(), http.StatusBadRequest, "subaccounts are not simulated")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[t.account]
	n, ok := a.numbers[t.id]
	if !ok {
		writeError(w, s.apiID(), http.StatusNotFound, "not found")
		return
	}
	if hasApp && appID != "" {
		if a.appByID[appID] == nil {
			writeError(w, s.apiID(), http.StatusNotFound, "not found")
			return
		}
	} else {
		appID = a.defaultApp()
	}
	c := *n
	c.AppID = appID
	if hasAlias {
		c.Alias = alias
	}
	if hasCNAM {
		c.CNAMLookup = cnam
	}
	if c != *n {
		*n = c
		s.counter.CountApplied()
	}
	writeJSON(w, http.StatusAccepted, messageJSON{APIID: s.apiID(), Message: "changed"})
}

// messageJSON is the answer to a successful write.
type messageJSON struct {
	APIID   string `json:"api_id"`
	Message string `json:"message"`
}
