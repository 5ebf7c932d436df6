package plivotest

import (
	"net/http"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
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
	sim.WriteJSON(w, status, "application/json", v)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	sim.Write(w, status, "application/json", body)
}
