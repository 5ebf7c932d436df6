package telnyxtest

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"
)

// ConnectionType is the kind of a connection. Call Control applications
// send call events to a webhook (and ignore the reply); TeXML applications
// fetch TeXML instructions from a voice URL; the others are SIP trunks.
type ConnectionType string

// The connection types the simulator knows.
const (
	CallControlApplication ConnectionType = "call_control_application"
	TexmlApplication       ConnectionType = "texml_application"
	CredentialConnection   ConnectionType = "credential_connection"
	FQDNConnection         ConnectionType = "fqdn_connection"
)

// Call Control application defaults, as Telnyx documents them.
const (
	defaultAnchorsite          = "Latency"
	defaultDTMFType            = "RFC 2833"
	defaultWebhookAPIVersion   = "1"
	defaultFirstCommandTimeout = 30
	defaultTexmlMethod         = "post" // voice_method and status_callback_method
)

// Connection is a snapshot of one connection. The webhook fields mean
// something for Call Control applications only, the voice and status
// fields for TeXML applications only; the call fields for both.
type Connection struct {
	ID     string // a decimal int64
	Type   ConnectionType
	Name   string // application_name (Call Control), friendly_name (TeXML), connection_name otherwise
	Active bool

	VoiceURL             string // TeXML: where Telnyx fetches the call's instructions
	VoiceMethod          string // TeXML: "get" or "post"
	VoiceFallbackURL     string // TeXML
	StatusCallback       string // TeXML: call status events
	StatusCallbackMethod string // TeXML: "get" or "post"

	WebhookEventURL         string
	WebhookEventFailoverURL string
	WebhookAPIVersion       string // "1" or "2"
	WebhookTimeoutSecs      int    // 0 is null (Telnyx's default)
	AnchorsiteOverride      string
	DTMFType                string
	FirstCommandTimeout     bool
	FirstCommandTimeoutSecs int
	CallCostInWebhooks      bool
	RedactDTMFDebugLogging  bool
	Tags                    []string

	CreatedAt time.Time
	UpdatedAt time.Time
}

func (c Connection) clone() Connection {
	c.Tags = slices.Clone(c.Tags)
	return c
}

func (c *Connection) equal(o *Connection) bool {
	a, b := *c, *o
	a.Tags, b.Tags = nil, nil
	return reflect.DeepEqual(a, b) && slices.Equal(c.Tags, o.Tags)
}

// idBase starts the ids of connections the simulator hands out, so they
// look like Telnyx's 19-digit ids.
const idBase = 2_000_000_000_000_000_000

// newID returns a connection id no connection has; s.mu must be held.
func (s *Server) newID() string {
	for {
		s.lastID++
		id := strconv.FormatUint(idBase+s.lastID, 10)
		if !s.connectionExists(id) {
			return id
		}
	}
}

// connectionExists reports whether any account has connection id; ids are
// unique across accounts, as Telnyx's are. s.mu must be held.
func (s *Server) connectionExists(id string) bool {
	for _, a := range s.accounts {
		if a.connsByID[id] != nil {
			return true
		}
	}
	return false
}

// AddApplication creates an active Call Control application in the account
// of apiKey, with Telnyx's defaults, as someone working in the portal
// would, and returns its id.
func (s *Server) AddApplication(apiKey, name, webhookURL string) (string, error) {
	return s.AddConnection(apiKey, Connection{Type: CallControlApplication, Name: name, Active: true, WebhookEventURL: webhookURL})
}

// AddConnection creates connection c in the account of apiKey and returns
// its id: c.ID when set (a decimal number no connection has), else a new
// one. Type defaults to CallControlApplication; an application's unset
// settings get Telnyx's defaults. CreatedAt defaults to now.
func (s *Server) AddConnection(apiKey string, c Connection) (string, error) {
	if c.Name == "" {
		return "", fmt.Errorf("telnyxtest: a connection needs a name")
	}
	if c.Type == "" {
		c.Type = CallControlApplication
	}
	switch c.Type {
	case CallControlApplication, TexmlApplication, CredentialConnection, FQDNConnection:
	default:
		return "", fmt.Errorf("telnyxtest: unknown connection type %q", c.Type)
	}
	if c.Type == TexmlApplication {
		if !validWebhookURL(c.VoiceURL) {
			return "", fmt.Errorf("telnyxtest: TeXML voice URL %q is not an absolute http(s) URL", c.VoiceURL)
		}
		c.VoiceMethod = cmpOr(c.VoiceMethod, defaultTexmlMethod)
		c.StatusCallbackMethod = cmpOr(c.StatusCallbackMethod, defaultTexmlMethod)
	}
	if c.Type.application() {
		c.AnchorsiteOverride = cmpOr(c.AnchorsiteOverride, defaultAnchorsite)
		c.DTMFType = cmpOr(c.DTMFType, defaultDTMFType)
		if c.FirstCommandTimeoutSecs == 0 {
			c.FirstCommandTimeoutSecs = defaultFirstCommandTimeout
		}
	}
	if c.Type == CallControlApplication {
		if c.WebhookEventURL != "" && !validWebhookURL(c.WebhookEventURL) {
			return "", fmt.Errorf("telnyxtest: webhook URL %q is not an absolute http(s) URL", c.WebhookEventURL)
		}
		c.WebhookAPIVersion = cmpOr(c.WebhookAPIVersion, defaultWebhookAPIVersion)
	}
	c.Tags = slices.Clone(c.Tags)
	if c.Tags == nil {
		c.Tags = []string{}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[apiKey]
	if !ok {
		return "", fmt.Errorf("telnyxtest: no account with API key %s", apiKey)
	}
	if c.ID == "" {
		c.ID = s.newID()
	} else if _, err := strconv.ParseUint(c.ID, 10, 63); err != nil {
		return "", fmt.Errorf("telnyxtest: connection id %q is not a decimal int64", c.ID)
	} else if s.connectionExists(c.ID) {
		return "", fmt.Errorf("telnyxtest: connection id %s exists", c.ID)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now().UTC()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	a.addConnection(&c)
	return c.ID, nil
}

func (a *account) addConnection(c *Connection) {
	a.conns = append(a.conns, c)
	a.connsByID[c.ID] = c
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Connection returns a snapshot of the account's connection id.
func (s *Server) Connection(apiKey, id string) (Connection, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[apiKey]
	if !ok {
		return Connection{}, false
	}
	c, ok := a.connsByID[id]
	if !ok {
		return Connection{}, false
	}
	return c.clone(), true
}

// UpdateConnection changes the account's connection id in place, as
// someone working in the portal would (renaming it, changing its webhook,
// deactivating it). It bumps updated_at when anything changed.
func (s *Server) UpdateConnection(apiKey, id string, change func(*Connection)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[apiKey]
	if !ok {
		return fmt.Errorf("telnyxtest: no account with API key %s", apiKey)
	}
	c, ok := a.connsByID[id]
	if !ok {
		return fmt.Errorf("telnyxtest: no connection %s in the account", id)
	}
	n := c.clone()
	change(&n)
	n.ID, n.Type = c.ID, c.Type
	if !n.equal(c) {
		n.UpdatedAt = s.now().UTC()
	}
	*c = n
	return nil
}

// DeleteConnection removes the account's connection id, as deleting it in
// the portal would; numbers on it are left on no connection.
func (s *Server) DeleteConnection(apiKey, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[apiKey]
	if !ok {
		return fmt.Errorf("telnyxtest: no account with API key %s", apiKey)
	}
	if a.connsByID[id] == nil {
		return fmt.Errorf("telnyxtest: no connection %s in the account", id)
	}
	delete(a.connsByID, id)
	a.conns = slices.DeleteFunc(a.conns, func(c *Connection) bool { return c.ID == id })
	now := s.now().UTC()
	for _, n := range a.numbers {
		if n.ConnectionID == id {
			n.ConnectionID, n.UpdatedAt = "", now
		}
	}
	return nil
}

// Applications counts the account's applications (Call Control and TeXML)
// named exactly name.
func (s *Server) Applications(apiKey, name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[apiKey]
	if !ok {
		return 0
	}
	n := 0
	for _, c := range a.conns {
		if c.Type.application() && c.Name == name {
			n++
		}
	}
	return n
}

// VoiceURL is where Telnyx would send an inbound call to the account's
// number e164 right now: the voice URL of the active TeXML application, or
// the webhook URL of the active Call Control application, the number is
// on. It is "" when the number is not owned or not active, is on no
// connection, on an inactive application, on a SIP connection (calls go
// to a trunk, not a webhook), or forwards every call elsewhere
// (call_forwarding "always").
func (s *Server) VoiceURL(apiKey, e164 string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[apiKey]
	if !ok {
		return ""
	}
	n, ok := a.byE164[e164]
	if !ok || n.Status != StatusActive || n.forwardsAlways() {
		return ""
	}
	c := a.connsByID[n.ConnectionID]
	if c == nil || !c.Type.application() || !c.Active {
		return ""
	}
	if c.Type == TexmlApplication {
		return c.VoiceURL
	}
	return c.WebhookEventURL
}

// application reports whether connections of type t are applications
// switchboard may route numbers through.
func (t ConnectionType) application() bool {
	return t == CallControlApplication || t == TexmlApplication
}
