package telnyxtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// body is a request's JSON object, field by field, so that an absent field
// ("leave it alone") differs from a null one ("clear it").
type body map[string]json.RawMessage

// readBody reads a JSON object request body.
func readBody(w http.ResponseWriter, r *http.Request) (body, *apiError) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, errUnsupportedMediaType()
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return nil, errBadRequest("The request body could not be read.")
	}
	var m body
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
		return nil, errBadRequest("The request body must be a JSON object.")
	}
	return m, nil
}

func (b body) isNull(name string) bool {
	return bytes.Equal(bytes.TrimSpace(b[name]), []byte("null"))
}

// decode decodes field name into out. It reports whether the field was
// sent; null counts as sent and leaves out alone.
func (b body) decode(name, kind string, out any) (bool, *apiError) {
	raw, ok := b[name]
	if !ok {
		return false, nil
	}
	if b.isNull(name) {
		return true, nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return true, errBadRequest(fmt.Sprintf("%s must be %s.", name, kind)).at("/" + name)
	}
	return true, nil
}

// str decodes a string field: v is nil when the field is null.
func (b body) str(name string) (v *string, sent bool, e *apiError) {
	var s string
	sent, e = b.decode(name, "a string", &s)
	if sent && e == nil && !b.isNull(name) {
		v = &s
	}
	return v, sent, e
}

// boolean decodes a boolean field; null is refused.
func (b body) boolean(name string) (v, sent bool, e *apiError) {
	if b.isNull(name) {
		return false, true, errInvalid("/"+name, name+" must be true or false.")
	}
	sent, e = b.decode(name, "a boolean", &v)
	return v, sent, e
}

// integer decodes an integer field: v is nil when the field is null.
func (b body) integer(name string) (v *int, sent bool, e *apiError) {
	var n int
	sent, e = b.decode(name, "an integer", &n)
	if sent && e == nil && !b.isNull(name) {
		v = &n
	}
	return v, sent, e
}

// strs decodes an array of strings; null is an empty array.
func (b body) strs(name string) (v []string, sent bool, e *apiError) {
	sent, e = b.decode(name, "an array of strings", &v)
	if v == nil {
		v = []string{}
	}
	return v, sent, e
}

// validWebhookURL accepts what Telnyx accepts for a webhook: an absolute
// http(s) URL with a host, at most 2000 characters.
func validWebhookURL(s string) bool {
	if s == "" || len(s) > 2000 {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != ""
}
