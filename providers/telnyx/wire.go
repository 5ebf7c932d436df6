package telnyx

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The parts of Telnyx's v2 JSON the adapter reads. Fields it does not use
// are left out; encoding/json skips them.

type balanceResponse struct {
	Data struct {
		RecordType string `json:"record_type"`
	} `json:"data"`
}

type pageMeta struct {
	PageNumber   int `json:"page_number"`
	PageSize     int `json:"page_size"`
	TotalPages   int `json:"total_pages"`
	TotalResults int `json:"total_results"`
}

// phoneNumber is a phone number resource. connection_id and
// connection_name are null when the number is on no connection; null
// decodes to "".
type phoneNumber struct {
	ID             string `json:"id"`
	PhoneNumber    string `json:"phone_number"`
	Status         string `json:"status"`
	ConnectionID   string `json:"connection_id"`
	ConnectionName string `json:"connection_name"`
}

type phoneNumberList struct {
	Data []phoneNumber `json:"data"`
	Meta pageMeta      `json:"meta"`
}

type phoneNumberResponse struct {
	Data phoneNumber `json:"data"`
}

// numberUpdate is the body of PATCH /v2/phone_numbers/{id}: connection_id
// only, so nothing else about the number changes.
type numberUpdate struct {
	ConnectionID string `json:"connection_id"`
}

// callForwarding is a number's call forwarding. Enabled is a pointer:
// Telnyx documents true as its default, and an update sends only it.
type callForwarding struct {
	Enabled *bool  `json:"call_forwarding_enabled,omitempty"`
	Type    string `json:"forwarding_type,omitempty"`
	To      string `json:"forwards_to,omitempty"`
}

// voiceSettingsResponse is GET /v2/phone_numbers/{id}/voice.
type voiceSettingsResponse struct {
	Data struct {
		CallForwarding callForwarding `json:"call_forwarding"`
	} `json:"data"`
}

// voiceSettingsUpdate is PATCH /v2/phone_numbers/{id}/voice: the call
// forwarding only.
type voiceSettingsUpdate struct {
	CallForwarding callForwarding `json:"call_forwarding"`
}

// application is a Call Control or a TeXML application: the first has
// application_name and webhook_event_url, the second friendly_name,
// voice_url, voice_method and status_callback. Active is a pointer so that
// an answer without the field is not mistaken for an inactive application.
type application struct {
	ID              string `json:"id"`
	ApplicationName string `json:"application_name"`
	WebhookEventURL string `json:"webhook_event_url"`
	FriendlyName    string `json:"friendly_name"`
	VoiceURL        string `json:"voice_url"`
	VoiceMethod     string `json:"voice_method"`
	StatusCallback  string `json:"status_callback"`
	Active          *bool  `json:"active"`
	CreatedAt       string `json:"created_at"`
}

// active reports whether the application takes calls; an answer without
// the field counts as active.
func (a application) active() bool { return a.Active == nil || *a.Active }

type applicationList struct {
	Data []application `json:"data"`
	Meta pageMeta      `json:"meta"`
}

type applicationResponse struct {
	Data application `json:"data"`
}

// applicationCreate is the body of POST /v2/call_control_applications.
// Failover is sent empty so that events have a single destination;
// API version 2 is the webhook format switchboard parses; 25 s is
// Telnyx's documented example timeout, well under the 30 s maximum.
type applicationCreate struct {
	ApplicationName         string `json:"application_name"`
	WebhookEventURL         string `json:"webhook_event_url"`
	WebhookEventFailoverURL string `json:"webhook_event_failover_url"`
	WebhookAPIVersion       string `json:"webhook_api_version"`
	WebhookTimeoutSecs      int    `json:"webhook_timeout_secs"`
	Active                  bool   `json:"active"`
}

// applicationUpdate is the body of PATCH /v2/call_control_applications/{id}.
// Telnyx requires application_name and webhook_event_url on updates.
type applicationUpdate struct {
	ApplicationName string `json:"application_name"`
	WebhookEventURL string `json:"webhook_event_url"`
	Active          bool   `json:"active"`
}

// texmlApplication is the body of POST /v2/texml_applications and PATCH
// /v2/texml_applications/{id} (both require friendly_name and voice_url).
// Methods are POST, as switchboard's webhooks expect on every provider. A
// nil StatusCallback is sent as null: none.
type texmlApplication struct {
	FriendlyName         string  `json:"friendly_name"`
	VoiceURL             string  `json:"voice_url"`
	VoiceMethod          string  `json:"voice_method"`
	StatusCallback       *string `json:"status_callback"`
	StatusCallbackMethod string  `json:"status_callback_method"`
	Active               bool    `json:"active"`
}

// errorBody is Telnyx's error envelope.
type errorBody struct {
	Errors []apiError `json:"errors"`
}

type apiError struct {
	Code   errorCode `json:"code"`
	Title  string    `json:"title"`
	Detail string    `json:"detail"`
	Source struct {
		Pointer   string `json:"pointer"`
		Parameter string `json:"parameter"`
	} `json:"source"`
}

// errorCode is Telnyx's error code. It is documented as a string
// ("10009"), but some endpoints send a number: accept both.
type errorCode string

func (c *errorCode) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*c = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = errorCode(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
		return err
	}
	*c = errorCode(n.String())
	return nil
}
