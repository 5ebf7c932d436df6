package providertest

import (
	"testing"
	"time"
)

// Calls is what one provisioning step costs at the provider.
type Calls struct{ Reads, Writes int }

// Cost is the measured price of provisioning on one provider.
type Cost struct {
	Fresh            Calls // first number of an org: lookup, application created, number routed
	FreshWithAppHint Calls // another number once the org's application exists and its id is known
	Rerun            Calls // the same number again, with the application id known
}

// Measure provisions numbers on a fresh Env of h and counts the calls.
func Measure(t *testing.T, h Harness) Cost {
	e := start(t, h, 5*time.Second)
	var c Cost
	e.Sim.ResetCalls()
	first := ensure(t, e, e.Owned[0], DefaultRoute)
	c.Fresh = Calls{e.Sim.Reads(), e.Sim.Writes()}

	r := DefaultRoute
	r.ApplicationID = first.After.ApplicationID
	e.Sim.ResetCalls()
	ensure(t, e, e.Owned[1], r)
	c.FreshWithAppHint = Calls{e.Sim.Reads(), e.Sim.Writes()}

	e.Sim.ResetCalls()
	ensure(t, e, e.Owned[1], r)
	c.Rerun = Calls{e.Sim.Reads(), e.Sim.Writes()}
	return c
}
