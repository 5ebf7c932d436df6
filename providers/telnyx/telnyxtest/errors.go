package telnyxtest

import (
	"net/http"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
)

// Telnyx error codes the simulator answers with.
const (
	CodeInvalidURL           = "10003" // a webhook URL failed validation
	CodeMissingParameter     = "10004" // a required parameter was absent
	CodeNotFound             = "10005" // unknown path or resource, or another account's
	CodeUnexpected           = "10007" // injected server error
	CodeAuthenticationFailed = "10009" // missing or unknown API key
	CodeAuthorizationFailed  = "10010" // the key may not do this (read-only)
	CodeTooManyRequests      = "10011" // rate limited: never processed
	CodeMissingAssociation   = "10013" // a referenced resource (connection) does not exist
	CodeUnsupportedMediaType = "10014" // the body is not JSON
	CodeBadRequest           = "10015" // malformed request or invalid value
)

// docsErrorURLPrefix starts every error's meta.url.
const docsErrorURLPrefix = "https://developers.telnyx.com/docs/overview/errors/"

// apiError is one of Telnyx's error objects; writeError wraps it in
// {"errors":[...]}, as Telnyx does.
type apiError struct {
	status int
	Code   string       `json:"code"`
	Title  string       `json:"title"`
	Detail string       `json:"detail"`
	Source *errorSource `json:"source,omitempty"`
	Meta   errorMeta    `json:"meta"`
}

type errorSource struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
}

type errorMeta struct {
	URL string `json:"url"`
}

func newAPIError(status int, code, title, detail string) *apiError {
	return &apiError{status: status, Code: code, Title: title, Detail: detail, Meta: errorMeta{URL: docsErrorURLPrefix + code}}
}

// at points the error at a body field ("/connection_id").
func (e *apiError) at(pointer string) *apiError {
	e.Source = &errorSource{Pointer: pointer}
	return e
}

// param points the error at a query parameter ("filter[phone_number]").
func (e *apiError) param(name string) *apiError {
	e.Source = &errorSource{Parameter: name}
	return e
}

func errUnauthenticated() *apiError {
	return newAPIError(http.StatusUnauthorized, CodeAuthenticationFailed, "Authentication failed",
		"The required authentication headers were either invalid or not included in the request.")
}

func errForbidden() *apiError {
	return newAPIError(http.StatusForbidden, CodeAuthorizationFailed, "Authorization failed",
		"You do not have permission to perform the requested action on the specified resource or resources.")
}

func errNotFound() *apiError {
	return newAPIError(http.StatusNotFound, CodeNotFound, "Resource not found",
		"The requested resource or URL could not be found.")
}

func errBadRequest(detail string) *apiError {
	return newAPIError(http.StatusBadRequest, CodeBadRequest, "Bad Request", detail)
}

func errInvalid(pointer, detail string) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, CodeBadRequest, "Invalid value", detail).at(pointer)
}

func errMissing(pointer string) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, CodeMissingParameter, "Missing required parameter",
		"A required parameter was missing.").at(pointer)
}

func errInvalidURL(pointer string) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, CodeInvalidURL, "Invalid URL",
		"The URL provided was invalid, malformed, or too long. URLs can be a maximum of 2000 characters.").at(pointer)
}

func errMissingAssociation(pointer string) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, CodeMissingAssociation, "Missing association",
		"One of the associated fields does not exist.").at(pointer)
}

func errUnsupportedMediaType() *apiError {
	return newAPIError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "Unsupported Media Type",
		"The request failed because the server does not support the media type.")
}

func errTooManyRequests() *apiError {
	return newAPIError(http.StatusTooManyRequests, CodeTooManyRequests, "Too many requests",
		"You have exceeded the maximum number of allowed requests.")
}

// errInternal keeps Telnyx's published spelling.
func errInternal() *apiError {
	return newAPIError(http.StatusInternalServerError, CodeUnexpected, "Unexpected error", "An unexpected error occured.")
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, struct {
		Errors []*apiError `json:"errors"`
	}{[]*apiError{e}})
}

// writeTooManyRequests and writeInternal answer the faults the decider
// answers.
func writeTooManyRequests(w http.ResponseWriter) { writeError(w, errTooManyRequests()) }
func writeInternal(w http.ResponseWriter)        { writeError(w, errInternal()) }

// writeJSON writes v compact, without HTML escaping (URLs hold '&') and
// without a trailing newline, so bodies compare byte for byte with
// Telnyx's documented ones.
func writeJSON(w http.ResponseWriter, status int, v any) {
	sim.WriteJSON(w, status, "application/json", v)
}
