package sim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// WriteJSON answers status with v as JSON, the way the providers write
// theirs: compact, without HTML escaping (URLs hold '&'), and without a
// trailing newline, so bodies compare byte for byte with the providers'
// documented ones. contentType differs between providers.
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only a programming error can get here: every value is a plain struct.
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	Write(w, status, contentType, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// Write answers status with body, with its Content-Type and
// Content-Length.
func Write(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
