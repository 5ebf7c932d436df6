// Package providertest is the conformance suite every provider adapter
// passes, run against the adapter and its wire simulator (the
// riverdrivertest pattern): ownership and credential checks, idempotent
// read-diff-write, refusal of foreign wiring, and the typed errors of rate
// limits, outages, timeouts and ambiguous creates.
package providertest

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// Sim is the control surface of a provider simulator that the suite needs.
type Sim interface {
	// Reads and Writes count the requests the simulator received since the
	// last ResetCalls; a write is any request that may change state.
	Reads() int
	Writes() int
	ResetCalls()
	// VoiceURL is where the simulated provider would send an inbound call
	// to e164 right now ("" when nowhere).
	VoiceURL(e164 string) string
	// Applications counts the account's applications named name.
	Applications(name string) int

	// Fault injection. ClearFaults turns all of it off.
	FailRate(rate float64)                         // answer 500 to this fraction of requests
	HangRate(rate float64)                         // leave this fraction unanswered until the client gives up
	RateLimitNext(n int, retryAfter time.Duration) // answer 429 to the next n requests; Retry-After when > 0
	AmbiguousCreatesNext(n int)                    // apply the next n creating writes, then answer 500
	ClearFaults()
}

// Env is an adapter pointed at a simulator loaded with a fixture.
type Env struct {
	Provider providers.Provider
	Sim      Sim
	Creds    providers.Credentials
	// BadCreds are refused by the provider.
	BadCreds providers.Credentials
	// Owned are at least two numbers the account owns, with no voice
	// configuration.
	Owned []string
	// NotOwned is a number the account does not own.
	NotOwned string
	// Foreign is owned but wired elsewhere (a Twilio trunk, a Telnyx
	// connection switchboard did not create); "" when the provider has no
	// such notion.
	Foreign string
	// AlsoForeign are more owned numbers configured elsewhere, each in
	// another way the adapter must refuse (a Twilio voice application,
	// fallback URL or fax mode; a Telnyx application named like
	// switchboard's that switchboard has no record of).
	AlsoForeign []string

	// ours records the applications routes ended up on, as the worker's
	// store does, for Route.Ours (see start).
	ours *[]string
}

// start starts h's Env with an empty record of applications.
func start(t *testing.T, h Harness, timeout time.Duration) Env {
	e := h.New(t, timeout)
	e.ours = new([]string)
	return e
}

// withOurs is r with the applications recorded so far, as the worker
// passes them.
func (e Env) withOurs(r providers.Route) providers.Route {
	r.Ours = append([]string(nil), *e.ours...)
	return r
}

// record keeps the application a change ended on, as the worker records
// it.
func (e Env) record(ch providers.Change) {
	if id := ch.After.ApplicationID; id != "" {
		*e.ours = append(*e.ours, id)
	}
}

// Harness starts one provider's Env.
type Harness struct {
	Name string
	// New starts a fresh simulator and an adapter on it whose requests time
	// out after timeout. Everything stops when t ends.
	New func(t *testing.T, timeout time.Duration) Env
}

// Routes used by the suite.
var (
	DefaultRoute = providers.Route{
		Name:           providers.RouteName(1, "default"),
		VoiceURL:       "https://platform.example.com/hooks/voice/inbound",
		StatusCallback: "https://platform.example.com/hooks/voice/status",
		HangupURL:      "https://platform.example.com/hooks/voice/hangup",
	}
	TargetRoute = providers.Route{
		Name:           providers.RouteName(1, "agent-7f3a"),
		VoiceURL:       "https://agents.example.com/answer/7f3a",
		StatusCallback: "https://platform.example.com/hooks/voice/status",
		HangupURL:      "https://platform.example.com/hooks/voice/hangup",
	}
)
