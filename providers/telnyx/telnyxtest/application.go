package telnyxtest

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
)

// anchorsites are the values Telnyx accepts for anchorsite_override.
func anchorsites() []string {
	return []string{"Latency", "Chicago, IL", "Ashburn, VA", "San Jose, CA", "London, UK",
		"Chennai, IN", "Amsterdam, Netherlands", "Toronto, Canada", "Sydney, Australia"}
}

// dtmfTypes are the values Telnyx accepts for dtmf_type.
func dtmfTypes() []string { return []string{"RFC 2833", "Inband", "SIP INFO"} }

// maxWebhookTimeoutSecs is Telnyx's upper bound for webhook_timeout_secs.
const maxWebhookTimeoutSecs = 30

// applicationJSON is Telnyx's Call Control application resource, in the
// key order of its examples. inbound and outbound are rendered with
// Telnyx's defaults.
type applicationJSON struct {
	Active                  bool         `json:"active"`
	AnchorsiteOverride      string       `json:"anchorsite_override"`
	ApplicationName         string       `json:"application_name"`
	CreatedAt               string       `json:"created_at"`
	DTMFType                string       `json:"dtmf_type"`
	FirstCommandTimeout     bool         `json:"first_command_timeout"`
	FirstCommandTimeoutSecs int          `json:"first_command_timeout_secs"`
	ID                      string       `json:"id"`
	Inbound                 inboundJSON  `json:"inbound"`
	Outbound                outboundJSON `json:"outbound"`
	RecordType              string       `json:"record_type"`
	Tags                    []string     `json:"tags"`
	UpdatedAt               string       `json:"updated_at"`
	WebhookAPIVersion       string       `json:"webhook_api_version"`
	WebhookEventFailoverURL string       `json:"webhook_event_failover_url"`
	WebhookEventURL         string       `json:"webhook_event_url"`
	WebhookTimeoutSecs      *int         `json:"webhook_timeout_secs"`
	CallCostInWebhooks      bool         `json:"call_cost_in_webhooks"`
	RedactDTMFDebugLogging  bool         `json:"redact_dtmf_debug_logging"`
}

// inboundJSON and outboundJSON leave out the fields that are unset: their
// default is null, but the schema does not make them nullable
// (CallControlApplicationInbound, CallControlApplicationOutbound).
type inboundJSON struct {
	ChannelLimit                int    `json:"channel_limit,omitempty"`
	ShakenStirEnabled           bool   `json:"shaken_stir_enabled"`
	SIPSubdomain                string `json:"sip_subdomain,omitempty"`
	SIPSubdomainReceiveSettings string `json:"sip_subdomain_receive_settings"`
}

type outboundJSON struct {
	ChannelLimit           int    `json:"channel_limit,omitempty"`
	OutboundVoiceProfileID string `json:"outbound_voice_profile_id,omitempty"`
}

func (c *Connection) wire() applicationJSON {
	var timeout *int
	if c.WebhookTimeoutSecs > 0 {
		t := c.WebhookTimeoutSecs
		timeout = &t
	}
	return applicationJSON{
		Active:                  c.Active,
		AnchorsiteOverride:      c.AnchorsiteOverride,
		ApplicationName:         c.Name,
		CreatedAt:               telnyxTime(c.CreatedAt),
		DTMFType:                c.DTMFType,
		FirstCommandTimeout:     c.FirstCommandTimeout,
		FirstCommandTimeoutSecs: c.FirstCommandTimeoutSecs,
		ID:                      c.ID,
		Inbound:                 inboundJSON{SIPSubdomainReceiveSettings: "from_anyone"},
		RecordType:              string(CallControlApplication),
		Tags:                    append([]string{}, c.Tags...),
		UpdatedAt:               telnyxTime(c.UpdatedAt),
		WebhookAPIVersion:       c.WebhookAPIVersion,
		WebhookEventFailoverURL: c.WebhookEventFailoverURL,
		WebhookEventURL:         c.WebhookEventURL,
		WebhookTimeoutSecs:      timeout,
		CallCostInWebhooks:      c.CallCostInWebhooks,
		RedactDTMFDebugLogging:  c.RedactDTMFDebugLogging,
	}
}

func writeApplication(w http.ResponseWriter, status int, a any) {
	writeJSON(w, status, struct {
		Data any `json:"data"`
	}{a})
}

// application returns the account's application id of kind k, or nil:
// other connection types are not applications to k's endpoints.
func (a *account) application(k *appKind, id string) *Connection {
	c := a.connsByID[id]
	if c == nil || c.Type != k.typ {
		return nil
	}
	return c
}

// appKind is what differs between Call Control and TeXML applications:
// their type, their name filter, their wire form and the fields of their
// creates and updates.
type appKind struct {
	typ        ConnectionType
	nameFilter string // the list's name filter parameter
	sortFields string // the sort fields Telnyx documents, for the error
	defaults   func() Connection
	apply      func(Connection, body) (Connection, *apiError)
	wire       func(*Connection) any
}

var callControlKind = &appKind{
	typ:        CallControlApplication,
	nameFilter: "filter[application_name][contains]",
	sortFields: "created_at, connection_name, active",
	defaults: func() Connection {
		return Connection{Type: CallControlApplication, Active: true, WebhookAPIVersion: defaultWebhookAPIVersion,
			AnchorsiteOverride: defaultAnchorsite, DTMFType: defaultDTMFType, FirstCommandTimeoutSecs: defaultFirstCommandTimeout, Tags: []string{}}
	},
	apply: applyApplication,
	wire:  func(c *Connection) any { return c.wire() },
}

// applicationSort returns the comparison of a sort field Telnyx documents
// for applications (a leading '-', reversing it, already cut off).
func applicationSort(field string) (func(a, b *Connection) int, bool) {
	switch field {
	case "created_at":
		return func(a, b *Connection) int { return a.CreatedAt.Compare(b.CreatedAt) }, true
	case "connection_name":
		return func(a, b *Connection) int { return strings.Compare(a.Name, b.Name) }, true
	case "active":
		return func(a, b *Connection) int { return cmp.Compare(btoi(a.Active), btoi(b.Active)) }, true
	}
	return nil, false
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Server) listApplications(w http.ResponseWriter, r *http.Request, key string, k *appKind) {
	q := r.URL.Query()
	p, apiErr := parsePage(q)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	nameFilter := k.nameFilter
	name := q.Get(nameFilter)
	if name != "" && len([]rune(name)) < 3 {
		writeError(w, errBadRequest(nameFilter+" requires at least three characters.").param(nameFilter))
		return
	}
	// Unspecified, Telnyx lists newest first.
	sortBy := cmpOr(q.Get("sort"), "-created_at")
	field, desc := strings.CutPrefix(sortBy, "-")
	compare, ok := applicationSort(field)
	if k.typ == TexmlApplication && field == "friendly_name" {
		compare, ok = applicationSort("connection_name") // both sort by the name
	}
	if !ok {
		writeError(w, errBadRequest("sort must be one of "+k.sortFields+", optionally prefixed with '-'.").param("sort"))
		return
	}

	s.mu.Lock()
	a := s.accounts[key]
	var matching []*Connection
	for _, c := range a.conns {
		if c.Type == k.typ && (name == "" || strings.Contains(strings.ToLower(c.Name), strings.ToLower(name))) {
			matching = append(matching, c)
		}
	}
	// Stable: ties keep creation order, whichever the direction.
	slices.SortStableFunc(matching, func(x, y *Connection) int {
		if desc {
			return compare(y, x)
		}
		return compare(x, y)
	})
	start, end, meta := p.cut(len(matching))
	data := make([]any, 0, end-start)
	for _, c := range matching[start:end] {
		data = append(data, k.wire(c))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		Data []any    `json:"data"`
		Meta metaJSON `json:"meta"`
	}{data, meta})
}

func (s *Server) getApplication(w http.ResponseWriter, key, id string, k *appKind) {
	s.mu.Lock()
	c := s.accounts[key].application(k, id)
	var out any
	if c != nil {
		out = k.wire(c)
	}
	s.mu.Unlock()
	if c == nil {
		writeError(w, errNotFound())
		return
	}
	writeApplication(w, http.StatusOK, out)
}

// createApplication creates an application; names are not unique, as at
// Telnyx. With an ambiguous create pending it is created and answered 500.
func (s *Server) createApplication(w http.ResponseWriter, r *http.Request, key string, k *appKind) {
	b, apiErr := readBody(w, r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	c, apiErr := k.apply(k.defaults(), b)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.mu.Lock()
	c.ID = s.newID()
	c.CreatedAt = s.now().UTC()
	c.UpdatedAt = c.CreatedAt
	s.accounts[key].addConnection(&c)
	s.counter.CountApplied()
	ambiguous := sim.Take(&s.faults.AmbiguousCreates)
	out := k.wire(&c)
	s.mu.Unlock()
	if ambiguous {
		writeError(w, errInternal())
		return
	}
	writeApplication(w, http.StatusCreated, out)
}

// updateApplication applies the fields sent; like Telnyx's, it requires
// the name and the URL (application_name and webhook_event_url, or
// friendly_name and voice_url).
func (s *Server) updateApplication(w http.ResponseWriter, r *http.Request, key, id string, k *appKind) {
	b, apiErr := readBody(w, r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.accounts[key].application(k, id)
	if c == nil {
		writeError(w, errNotFound())
		return
	}
	n, apiErr := k.apply(c.clone(), b)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if !n.equal(c) {
		n.UpdatedAt = s.now().UTC()
		*c = n
		s.counter.CountApplied()
	}
	writeApplication(w, http.StatusOK, k.wire(c))
}

// applyApplication validates b's fields and applies them to c, or returns
// the error for the first invalid one. application_name and
// webhook_event_url are required, on creates and updates alike.
func applyApplication(c Connection, b body) (Connection, *apiError) {
	name, _, e := b.str("application_name")
	if e != nil {
		return c, e
	}
	if name == nil || *name == "" {
		return c, errMissing("/application_name")
	}
	c.Name = *name
	hook, _, e := b.str("webhook_event_url")
	switch {
	case e != nil:
		return c, e
	case hook == nil || *hook == "":
		return c, errMissing("/webhook_event_url")
	case !validWebhookURL(*hook):
		return c, errInvalidURL("/webhook_event_url")
	}
	c.WebhookEventURL = *hook
	if v, sent, e := b.str("webhook_event_failover_url"); e != nil {
		return c, e
	} else if sent {
		switch {
		case v == nil || *v == "":
			c.WebhookEventFailoverURL = ""
		case !validWebhookURL(*v):
			return c, errInvalidURL("/webhook_event_failover_url")
		default:
			c.WebhookEventFailoverURL = *v
		}
	}
	if e := applyEnum(b, "webhook_api_version", []string{"1", "2"}, &c.WebhookAPIVersion); e != nil {
		return c, e
	}
	if v, sent, e := b.integer("webhook_timeout_secs"); e != nil {
		return c, e
	} else if sent {
		switch {
		case v == nil:
			c.WebhookTimeoutSecs = 0
		case *v < 0 || *v > maxWebhookTimeoutSecs:
			return c, errInvalid("/webhook_timeout_secs", "webhook_timeout_secs must be from 0 to 30.")
		default:
			c.WebhookTimeoutSecs = *v
		}
	}
	if v, sent, e := b.boolean("redact_dtmf_debug_logging"); e != nil {
		return c, e
	} else if sent {
		c.RedactDTMFDebugLogging = v
	}
	return applyCallSettings(c, b)
}

// applyEnum applies string field name of b to field when it is sent and
// one of allowed.
func applyEnum(b body, name string, allowed []string, field *string) *apiError {
	v, sent, e := b.str(name)
	if e != nil || !sent {
		return e
	}
	if v == nil || !slices.Contains(allowed, *v) {
		return errInvalid("/"+name, name+" must be one of: "+strings.Join(allowed, ", ")+".")
	}
	*field = *v
	return nil
}

// applyCallSettings applies the settings Call Control and TeXML
// applications share.
func applyCallSettings(c Connection, b body) (Connection, *apiError) {
	if e := applyEnum(b, "anchorsite_override", anchorsites(), &c.AnchorsiteOverride); e != nil {
		return c, e
	}
	if e := applyEnum(b, "dtmf_type", dtmfTypes(), &c.DTMFType); e != nil {
		return c, e
	}
	if v, sent, e := b.integer("first_command_timeout_secs"); e != nil {
		return c, e
	} else if sent {
		if v == nil || *v < 1 {
			return c, errInvalid("/first_command_timeout_secs", "first_command_timeout_secs must be a positive integer.")
		}
		c.FirstCommandTimeoutSecs = *v
	}
	bools := []struct {
		name  string
		field *bool
	}{
		{"active", &c.Active},
		{"first_command_timeout", &c.FirstCommandTimeout},
		{"call_cost_in_webhooks", &c.CallCostInWebhooks},
	}
	for _, f := range bools {
		v, sent, e := b.boolean(f.name)
		if e != nil {
			return c, e
		}
		if sent {
			*f.field = v
		}
	}
	if tags, sent, e := b.strs("tags"); e != nil {
		return c, e
	} else if sent {
		c.Tags = tags
	}
	return c, nil
}
