package providertest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/switchboardhq/switchboard/providers/internal/openapicheck"
)

// validating returns a transport that holds every request the adapter
// sends and every response the simulator at srvURL gives to the
// provider's OpenAPI description, failing t on any violation, and then
// sends the request on to the simulator. The adapter keeps its real base
// URL, so requests are validated as addressed to the provider.
func validating(t *testing.T, spec func() (*openapicheck.Spec, error), srvURL string) http.RoundTripper {
	t.Helper()
	u, err := url.Parse(srvURL)
	if err != nil {
		t.Fatal(err)
	}
	return openapicheck.NewTransport(t, spec, &openapicheck.Rewrite{Scheme: u.Scheme, Host: u.Host})
}
