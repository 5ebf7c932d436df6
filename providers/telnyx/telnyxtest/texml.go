package telnyxtest

import "slices"

// texmlKind is the TeXML application: Telnyx fetches TeXML instructions
// from voice_url when a call arrives (as Twilio fetches TwiML), and posts
// call status events to status_callback.
var texmlKind = &appKind{
	typ:        TexmlApplication,
	nameFilter: "filter[friendly_name]",
	sortFields: "created_at, friendly_name, active",
	defaults: func() Connection {
		return Connection{Type: TexmlApplication, Active: true, VoiceMethod: defaultTexmlMethod, StatusCallbackMethod: defaultTexmlMethod,
			AnchorsiteOverride: defaultAnchorsite, DTMFType: defaultDTMFType, FirstCommandTimeoutSecs: defaultFirstCommandTimeout, Tags: []string{}}
	},
	apply: applyTexml,
	wire:  func(c *Connection) any { return c.texmlWire() },
}

// texmlJSON is Telnyx's TeXML application resource, in the key order of
// its example. voice_fallback_url and status_callback are left out when
// unset: their documented default is null, but the schema does not make
// them nullable.
type texmlJSON struct {
	Active                  bool              `json:"active"`
	AnchorsiteOverride      string            `json:"anchorsite_override"`
	CallCostInWebhooks      bool              `json:"call_cost_in_webhooks"`
	CreatedAt               string            `json:"created_at"`
	DTMFType                string            `json:"dtmf_type"`
	FirstCommandTimeout     bool              `json:"first_command_timeout"`
	FirstCommandTimeoutSecs int               `json:"first_command_timeout_secs"`
	FriendlyName            string            `json:"friendly_name"`
	ID                      string            `json:"id"`
	Inbound                 texmlInboundJSON  `json:"inbound"`
	Outbound                texmlOutboundJSON `json:"outbound"`
	RecordType              string            `json:"record_type"`
	StatusCallback          string            `json:"status_callback,omitempty"`
	StatusCallbackMethod    string            `json:"status_callback_method"`
	Tags                    []string          `json:"tags"`
	UpdatedAt               string            `json:"updated_at"`
	VoiceFallbackURL        string            `json:"voice_fallback_url,omitempty"`
	VoiceMethod             string            `json:"voice_method"`
	VoiceURL                string            `json:"voice_url"`
}

// texmlInboundJSON leaves out the fields whose default is null: the
// schema does not make them nullable.
type texmlInboundJSON struct {
	ShakenStirEnabled           bool   `json:"shaken_stir_enabled"`
	SIPSubdomainReceiveSettings string `json:"sip_subdomain_receive_settings"`
}

type texmlOutboundJSON struct{}

func (c *Connection) texmlWire() texmlJSON {
	return texmlJSON{
		Active:                  c.Active,
		AnchorsiteOverride:      c.AnchorsiteOverride,
		CallCostInWebhooks:      c.CallCostInWebhooks,
		CreatedAt:               telnyxTime(c.CreatedAt),
		DTMFType:                c.DTMFType,
		FirstCommandTimeout:     c.FirstCommandTimeout,
		FirstCommandTimeoutSecs: c.FirstCommandTimeoutSecs,
		FriendlyName:            c.Name,
		ID:                      c.ID,
		Inbound:                 texmlInboundJSON{SIPSubdomainReceiveSettings: "from_anyone"},
		RecordType:              string(TexmlApplication),
		StatusCallback:          c.StatusCallback,
		StatusCallbackMethod:    c.StatusCallbackMethod,
		Tags:                    slices.Clone(c.Tags),
		UpdatedAt:               telnyxTime(c.UpdatedAt),
		VoiceFallbackURL:        c.VoiceFallbackURL,
		VoiceMethod:             c.VoiceMethod,
		VoiceURL:                c.VoiceURL,
	}
}

// applyTexml validates b's fields and applies them to c, or returns the
// error for the first invalid one. friendly_name and voice_url are
// required, on creates and updates alike (the spec's required fields).
func applyTexml(c Connection, b body) (Connection, *apiError) {
	name, _, e := b.str("friendly_name")
	if e != nil {
		return c, e
	}
	if name == nil || *name == "" {
		return c, errMissing("/friendly_name")
	}
	c.Name = *name
	voice, _, e := b.str("voice_url")
	switch {
	case e != nil:
		return c, e
	case voice == nil || *voice == "":
		return c, errMissing("/voice_url")
	case !validWebhookURL(*voice):
		return c, errInvalidURL("/voice_url")
	}
	c.VoiceURL = *voice
	optional := []struct {
		name  string
		field *string
	}{
		{"voice_fallback_url", &c.VoiceFallbackURL},
		{"status_callback", &c.StatusCallback},
	}
	for _, f := range optional {
		v, sent, e := b.str(f.name)
		switch {
		case e != nil:
			return c, e
		case !sent:
		case v == nil || *v == "":
			*f.field = ""
		case !validWebhookURL(*v):
			return c, errInvalidURL("/" + f.name)
		default:
			*f.field = *v
		}
	}
	methods := []string{"get", "post"}
	if e := applyEnum(b, "voice_method", methods, &c.VoiceMethod); e != nil {
		return c, e
	}
	if e := applyEnum(b, "status_callback_method", methods, &c.StatusCallbackMethod); e != nil {
		return c, e
	}
	return applyCallSettings(c, b)
}
