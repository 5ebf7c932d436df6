package sim_test

import (
	"maps"
	"testing"

	"github.com/switchboardhq/switchboard/providers/internal/sim"
)

func TestCounter(t *testing.T) {
	c := sim.NewCounter("GET", "HEAD")
	for _, m := range []string{"GET", "HEAD", "POST", "PATCH"} {
		c.Count(m, m+" /x")
	}
	c.Count("GET", "GET /x")
	c.CountApplied()
	want := map[string]int{"GET /x": 2, "HEAD /x": 1, "POST /x": 1, "PATCH /x": 1}
	if got := c.Calls(); !maps.Equal(got, want) || c.Reads() != 3 || c.Writes() != 2 || c.AppliedWrites() != 1 {
		t.Errorf("calls %v, reads %d, writes %d, applied %d", got, c.Reads(), c.Writes(), c.AppliedWrites())
	}
	c.Calls()["GET /x"] = 99
	if n := c.Calls()["GET /x"]; n != 2 {
		t.Errorf("Calls is not a copy: changing it made %d", n)
	}
	c.Reset()
	if len(c.Calls()) != 0 || c.Reads() != 0 || c.Writes() != 0 || c.AppliedWrites() != 0 {
		t.Error("Reset left counts")
	}
}
