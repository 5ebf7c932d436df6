// Package sandbox is the provider sandbox of `switchboard dev`: the
// providers' simulators, mounted on the dev server under /sandbox/<provider>
// with each provider's own paths beneath, so the real adapters provision
// simulated numbers and anyone can inspect the simulated state with the
// provider's own API shapes (and the sandbox credentials).
//
// Fault injection is exposed at /sandbox/_faults/<provider> (GET to read,
// PUT a JSON body to change), to see retries and rate limits at work.
package sandbox

import (
	"net/http"
	"strings"

	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// Sandbox holds one simulator per provider, with the default fixture.
type Sandbox struct {
	Twilio *twiliotest.Server
	Plivo  *plivotest.Server
	Telnyx *telnyxtest.Server
}

// New returns a sandbox with the documented fixture accounts and numbers.
func New() *Sandbox {
	return &Sandbox{Twilio: twiliotest.NewSandbox(), Plivo: plivotest.NewSandbox(), Telnyx: telnyxtest.NewSandbox()}
}

// Prefix is where the sandbox is mounted.
const Prefix = "/sandbox"

// simulator is what each provider's simulator offers the sandbox.
type simulator interface {
	http.Handler
	FaultsHandler() http.Handler
}

// Handler serves the simulators under Prefix; mount it at Prefix + "/".
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	for name, sim := range map[string]simulator{"twilio": s.Twilio, "plivo": s.Plivo, "telnyx": s.Telnyx} {
		mux.Handle(Prefix+"/"+name+"/", http.StripPrefix(Prefix+"/"+name, sim))
		mux.Handle(Prefix+"/_faults/"+name, sim.FaultsHandler())
	}
	return mux
}

// Close releases requests the simulators hold (hang faults).
func (s *Sandbox) Close() {
	s.Twilio.Close()
	s.Plivo.Close()
	s.Telnyx.Close()
}

// BaseURL is where an adapter finds provider's simulator when the dev
// server listens at serverURL.
func BaseURL(serverURL, provider string) string {
	return strings.TrimSuffix(serverURL, "/") + Prefix + "/" + provider
}
