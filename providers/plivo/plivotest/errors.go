package plivotest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// unauthorizedBody is what Plivo answers to missing or wrong credentials,
// without an api_id (PROVIDERS.md).
const unauthorizedBody = `{"error":"authentication credentials were not provided"}`

// errorJSON is Plivo's error body.
type errorJSON struct {
	APIID string `json:"api_id"`
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, apiID string, status int, message string) {
	writeJSON(w, status, errorJSON{APIID: apiID, Error: message})
}

func writeUnauthorized(w http.ResponseWriter) {
	writeRaw(w, http.StatusUnauthorized, []byte(unauthorizedBody))
}

// writeEmpty answers status with no body at all, as a proxy in front of
// Plivo may: plivo-go then reports no error and a zero-value struct.
func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// writeJSON writes v compactly, without HTML escaping (URIs hold '&') and
// without a trailing newline.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only a programming error can get here: every value is a plain struct.
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
