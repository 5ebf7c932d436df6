package telnyxtest

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"
)

// ConnectionType is the kind of a connection. Only Call Control
// applications send call events to a webhook; the others are SIP trunks.
type ConnectionType string

// The connection types the simulator knows.
const (
	CallControlApplication ConnectionType = "call_control_application"
	CredentialConnection   ConnectionType = "credential_connection"
	FQDNConnection         ConnectionType = "fqdn_connection"
)

// Call Control application defaults, as Telnyx documents them.
const (
	defaultAnchorsite          = "Latency"
	defaultDTMFType            = "RFC 2833"
	defaultWebhookAPIVersion   = "1"
	defaultFirstCommandTimeout = 30
)

// Connection is a snapshot of one connection. The webhook and call fields
// mean something for Call Control applications only.
type Connection struct {
	ID     string // a decimal int64
	Type   ConnectionType
	Name   string // application_name for applications, connection_name otherwise
	Active bool

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
	case CallControlApplication, CredentialConnection, FQDNConnection:
	default:
		return "", fmt.Errorf("telnyxtest: unknown connection type %q", c.Type)
	}
	if c.Type == CallControlApplication {
		if c.WebhookEventURL != "" && !validWebhookURL(c.WebhookEventURL) {
			return "", fmt.Errorf("telnyxtest: webhook URL %q is not an absolute http(s) URL", c.WebhookEventURL)
		}
		c.WebhookAPIVersion = cmpOr(c.WebhookAPIVersion, defaultWebhookAPIVersion)
		c.AnchorsiteOverride = cmpOr(c.AnchorsiteOverride, defaultAnchorsite)
		c.DTMFType = cmpOr(c.DTMFType, defaultDTMFType)
		if c.FirstCommandTimeoutSecs == 0 {
			c.FirstCommandTimeoutSecs = defaultFirstCommandTimeout
		}
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

// Applications counts the account's Call Control applications named
// exactly name.
func (s *Server) Applications(apiKey, name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[apiKey]
	if !ok {
		return 0
	}
	n := 0
	for _, c := range a.conns {
		if c.Type == CallControlApplication && c.Name == name {
			n++
		}
	}
	return n
}

// VoiceURL is where Telnyx would send the events of an inbound call to the
// account's number e164 right now: the webhook URL of the active Call
// Control application the number is on. It is "" when the number is not
// owned or not active, is on no connection, on an inactive application, or
// on a SIP connection (calls go to a trunk, not a webhook).
func (s *Server) VoiceURL(apiKey, e164 string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[apiKey]
	if !ok {
		return ""
	}
	n, ok := a.byE164[e164]
	if !ok || n.Status != StatusActive {
		return ""
	}
	c := a.connsByID[n.ConnectionID]
	if c == nil || c.Type != CallControlApplication || !c.Active {
		return ""
	}
	return c.WebhookEventURL
}
