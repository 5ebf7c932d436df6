package twiliotest_test

import (
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/providers/internal/openapicheck"
)

// validatingTransport checks every exchange against Twilio's OpenAPI
// description (see openapicheck).
type validatingTransport = openapicheck.Transport

func newValidatingTransport(t testing.TB, next http.RoundTripper) *validatingTransport {
	t.Helper()
	return openapicheck.NewTransport(t, openapicheck.Twilio, next)
}
