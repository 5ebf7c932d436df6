package telnyxtest

import (
	"encoding/json"
	"net/http"
)

// voiceSettingsJSON is Telnyx's PhoneNumberWithVoiceSettings resource
// (GET /v2/phone_numbers/{id}/voice), in the key order of its example.
type voiceSettingsJSON struct {
	CallForwarding       callForwardingJSON `json:"call_forwarding"`
	CallRecording        callRecordingJSON  `json:"call_recording"`
	CNAMListing          cnamListingJSON    `json:"cnam_listing"`
	ConnectionID         string             `json:"connection_id,omitempty"`
	CustomerReference    string             `json:"customer_reference,omitempty"`
	Emergency            emergencyJSON      `json:"emergency"`
	ID                   string             `json:"id"`
	InboundCallScreening string             `json:"inbound_call_screening"`
	MediaFeatures        mediaFeaturesJSON  `json:"media_features"`
	PhoneNumber          string             `json:"phone_number"`
	RecordType           string             `json:"record_type"`
	TechPrefixEnabled    bool               `json:"tech_prefix_enabled"`
	TranslatedNumber     string             `json:"translated_number"`
	UsagePaymentMethod   string             `json:"usage_payment_method"`
}

// callForwardingJSON leaves out forwarding_type and forwards_to when they
// are empty: the schema does not make them nullable. When set they are
// reported whether or not call_forwarding_enabled is: Telnyx's CallForwarding
// schema makes the flag a switch on the other two ("Indicates if call
// forwarding will be enabled for this number if forwards_to and
// forwarding_type are filled in"), and a PATCH that sends only the flag
// changes only the flag.
type callForwardingJSON struct {
	CallForwardingEnabled bool   `json:"call_forwarding_enabled"`
	ForwardingType        string `json:"forwarding_type,omitempty"`
	ForwardsTo            string `json:"forwards_to,omitempty"`
}

type callRecordingJSON struct {
	InboundCallRecordingChannels string `json:"inbound_call_recording_channels"`
	InboundCallRecordingEnabled  bool   `json:"inbound_call_recording_enabled"`
	InboundCallRecordingFormat   string `json:"inbound_call_recording_format"`
}

type cnamListingJSON struct {
	CNAMListingEnabled bool `json:"cnam_listing_enabled"`
}

type emergencyJSON struct {
	EmergencyEnabled bool   `json:"emergency_enabled"`
	EmergencyStatus  string `json:"emergency_status"`
}

type mediaFeaturesJSON struct {
	AcceptAnyRTPPacketsEnabled bool `json:"accept_any_rtp_packets_enabled"`
	RTPAutoAdjustEnabled       bool `json:"rtp_auto_adjust_enabled"`
	T38FaxGatewayEnabled       bool `json:"t38_fax_gateway_enabled"`
}

// forwardsAlways reports whether every call to n is forwarded elsewhere.
func (n *Number) forwardsAlways() bool {
	return n.CallForwardingEnabled && n.ForwardingType == "always" && n.ForwardsTo != ""
}

func (n *Number) voiceWire() voiceSettingsJSON {
	fwd := callForwardingJSON{CallForwardingEnabled: n.CallForwardingEnabled,
		ForwardingType: n.ForwardingType, ForwardsTo: n.ForwardsTo}
	emergency := "disabled"
	if n.EmergencyEnabled {
		emergency = "active"
	}
	return voiceSettingsJSON{
		CallForwarding:       fwd,
		CallRecording:        callRecordingJSON{InboundCallRecordingChannels: "single", InboundCallRecordingEnabled: n.CallRecordingEnabled, InboundCallRecordingFormat: "wav"},
		CNAMListing:          cnamListingJSON{CNAMListingEnabled: n.CNAMListingEnabled},
		ConnectionID:         n.ConnectionID,
		CustomerReference:    n.CustomerReference,
		Emergency:            emergencyJSON{EmergencyEnabled: n.EmergencyEnabled, EmergencyStatus: emergency},
		ID:                   n.ID,
		InboundCallScreening: "disabled",
		MediaFeatures:        mediaFeaturesJSON{RTPAutoAdjustEnabled: true, T38FaxGatewayEnabled: n.T38FaxGatewayEnabled},
		PhoneNumber:          n.PhoneNumber,
		RecordType:           "voice_settings",
		TranslatedNumber:     "",
		UsagePaymentMethod:   "pay-per-minute",
	}
}

func (s *Server) getNumberVoice(w http.ResponseWriter, key, id string) {
	s.mu.Lock()
	n, ok := s.accounts[key].numbersByID[id]
	var out voiceSettingsJSON
	if ok {
		out = n.voiceWire()
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, errNotFound())
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Data voiceSettingsJSON `json:"data"`
	}{out})
}

// updateNumberVoice applies call_forwarding, the one voice setting the
// simulator models; the other settings of the request are accepted and
// not modelled.
func (s *Server) updateNumberVoice(w http.ResponseWriter, r *http.Request, key, id string) {
	b, apiErr := readBody(w, r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	var fwd struct {
		Enabled *bool   `json:"call_forwarding_enabled"`
		Type    *string `json:"forwarding_type"`
		To      *string `json:"forwards_to"`
	}
	if raw, ok := b["call_forwarding"]; ok {
		if err := json.Unmarshal(raw, &fwd); err != nil {
			writeError(w, errInvalid("/call_forwarding", "call_forwarding must be an object."))
			return
		}
		if fwd.Type != nil && *fwd.Type != "always" && *fwd.Type != "on-failure" {
			writeError(w, errInvalid("/call_forwarding/forwarding_type", "forwarding_type must be one of: always, on-failure."))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.accounts[key].numbersByID[id]
	if !ok {
		writeError(w, errNotFound())
		return
	}
	c := n.clone()
	if fwd.Enabled != nil {
		c.CallForwardingEnabled = *fwd.Enabled
	}
	if fwd.Type != nil {
		c.ForwardingType = *fwd.Type
	}
	if fwd.To != nil {
		c.ForwardsTo = *fwd.To
	}
	if !c.equal(n) {
		c.UpdatedAt = s.now().UTC()
		*n = c
		s.counter.CountApplied()
	}
	writeJSON(w, http.StatusOK, struct {
		Data voiceSettingsJSON `json:"data"`
	}{n.voiceWire()})
}
