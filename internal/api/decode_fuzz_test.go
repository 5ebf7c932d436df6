package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary bodies to decode, for every request type an
// endpoint decodes. Properties: it never panics; every refusal wraps
// errBody (the handlers' 400); a body it accepts survives a round trip:
// encoded again and decoded, it gives the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"name":"Support","answer_url":"https://example.com/a","hangup_url":"https://example.com/h"}`,
		`{"voip_number":"+12125551234","callback_url":"https://example.com/cb"}`,
		`{"agent_id":"agent_1","provider":"twilio","numbers":["+12125551234"]}`,
		`{"userId":"u","phoneNumber":"12125551234","integration":"twilio","authToken":"t","accSId":"s","override":true}`,
		`{"id":"u1","name":"Ada"}`,
		``, `{}`, `null`, `{"name":"\u0000"}`, "{\"name\":\"\xff\"}", `{"numbers":[null]}`, `{} {}`, `{"x":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		roundTrip[createAppRequest](t, body)
		roundTrip[linkNumberRequest](t, body)
		roundTrip[createAgentRequest](t, body)
		roundTrip[attachRequest](t, body)
		roundTrip[addPhoneRequest](t, body)
		roundTrip[createUserRequest](t, body)
	})
}

func roundTrip[T any](t *testing.T, body []byte) {
	t.Helper()
	var v T
	err := decode(httptest.NewRequest("POST", "/", bytes.NewReader(body)), &v)
	if err != nil {
		if !errors.Is(err, errBody) {
			t.Fatalf("%T: decode(%q) = %v, does not wrap errBody", v, body, err)
		}
		return
	}
	again, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%T: decoded %q does not encode: %v", v, body, err)
	}
	var w T
	if err := decode(httptest.NewRequest("POST", "/", bytes.NewReader(again)), &w); err != nil || !reflect.DeepEqual(v, w) {
		t.Fatalf("%T: round trip of %q: %+v, %v; want %+v", v, body, w, err, v)
	}
}
