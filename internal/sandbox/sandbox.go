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
	"fmt"
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

// New returns a sandbox with the documented fixture accounts and numbers,
// and extra more numbers owned by each account (ExtraNumbers), for trying
// imports and load by hand. extra must be within [0, MaxExtraNumbers].
func New(extra int) (*Sandbox, error) {
	if extra < 0 || extra > MaxExtraNumbers {
		return nil, fmt.Errorf("sandbox: %d extra numbers: want 0 to %d", extra, MaxExtraNumbers)
	}
	s := &Sandbox{Twilio: twiliotest.NewSandbox(), Plivo: plivotest.NewSandbox(), Telnyx: telnyxtest.NewSandbox()}
	for i := range extra {
		if _, err := s.Twilio.AddNumber(twiliotest.SandboxAccountSID, ExtraNumber(Twilio, i)); err != nil {
			return nil, err
		}
		if err := s.Plivo.AddNumber(plivotest.SandboxAuthID, ExtraNumber(Plivo, i)); err != nil {
			return nil, err
		}
		if _, err := s.Telnyx.AddNumber(telnyxtest.SandboxAPIKey, ExtraNumber(Telnyx, i)); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// The sandbox's providers.
const (
	Twilio = "twilio"
	Plivo  = "plivo"
	Telnyx = "telnyx"
)

// MaxExtraNumbers bounds the extra numbers of each account: the size of
// each range below.
const MaxExtraNumbers = 10000

// extraBase is the first extra number of each provider's account, as
// digits: Twilio +1 212 600 0000, Plivo +91 80 5000 0000, Telnyx
// +44 20 3000 0000, each the start of a block of MaxExtraNumbers valid
// numbers outside the fixture's.
var extraBase = map[string]int64{Twilio: 12126000000, Plivo: 918050000000, Telnyx: 442030000000}

// ExtraNumber is the i-th extra number (from 0) of provider's sandbox
// account, in E.164: its range's first number plus i.
func ExtraNumber(provider string, i int) string {
	base, ok := extraBase[provider]
	if !ok || i < 0 || i >= MaxExtraNumbers {
		panic(fmt.Sprintf("sandbox: no extra number %d on %q", i, provider))
	}
	return fmt.Sprintf("+%d", base+int64(i))
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
	for name, sim := range map[string]simulator{Twilio: s.Twilio, Plivo: s.Plivo, Telnyx: s.Telnyx} {
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
