package twiliotest

import (
	"net/http"
	"strconv"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
)

// Twilio error codes the simulator answers with.
const (
	CodeInvalidParameter   = 20001 // a parameter failed validation (non-URL)
	CodeAuthenticate       = 20003 // missing or wrong credentials
	CodeAccountNotActive   = 20005 // the account (or its parent) is suspended or closed
	CodeNotFound           = 20404 // unknown resource, or another account's
	CodeTooManyRequests    = 20429 // rate or concurrency limit: never processed
	CodeInternalError      = 20500 // injected server error
	CodeInvalidURL         = 21502 // a callback URL failed validation
	CodeInvalidApplication = 22108 // an application SID is malformed, or not an application of the account
)

// apiError is Twilio's error body, field order included: twilio-go decodes
// it into a *client.TwilioRestError.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func newAPIError(status, code int, message string) *apiError {
	return &apiError{
		Code:     code,
		Message:  message,
		MoreInfo: "https://www.twilio.com/docs/errors/" + strconv.Itoa(code),
		Status:   status,
	}
}

func errNotFound(path string) *apiError {
	return newAPIError(http.StatusNotFound, CodeNotFound,
		"The requested resource "+path+" was not found")
}

func errInvalid(code int, message string) *apiError {
	return newAPIError(http.StatusBadRequest, code, message)
}

func errInternal() *apiError {
	return newAPIError(http.StatusInternalServerError, CodeInternalError, "Internal Server Error")
}

func errTooManyRequests() *apiError {
	return newAPIError(http.StatusTooManyRequests, CodeTooManyRequests, "Too Many Requests")
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, e)
}

// writeTooManyRequests and writeInternal answer the faults the decider
// answers.
func writeTooManyRequests(w http.ResponseWriter) { writeError(w, errTooManyRequests()) }
func writeInternal(w http.ResponseWriter)        { writeError(w, errInternal()) }

// writeJSON writes v the way Twilio does: compact, without HTML escaping
// (list URIs hold '&'), and without a trailing newline, so bodies compare
// byte for byte with Twilio's documented ones.
func writeJSON(w http.ResponseWriter, status int, v any) {
	sim.WriteJSON(w, status, "application/json; charset=utf-8", v)
}
