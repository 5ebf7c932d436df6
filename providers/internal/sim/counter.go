package sim

import (
	"maps"
	"slices"
	"sync"
)

// Counter counts the requests that reach a simulator, per endpoint and as
// reads or writes, and the writes that changed state. It is safe for
// concurrent use, so a simulator's accessors need not take its own lock.
type Counter struct {
	readMethods []string // set by NewCounter, then only read

	mu      sync.Mutex
	calls   map[string]int
	reads   int
	writes  int
	applied int
}

// NewCounter returns a Counter that counts requests with one of
// readMethods as reads and every other request as a write.
func NewCounter(readMethods ...string) *Counter {
	return &Counter{readMethods: readMethods, calls: map[string]int{}}
}

// Count records a request to endpoint.
func (c *Counter) Count(method, endpoint string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[endpoint]++
	if slices.Contains(c.readMethods, method) {
		c.reads++
	} else {
		c.writes++
	}
}

// CountApplied records a write that changed state.
func (c *Counter) CountApplied() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applied++
}

// Calls returns the requests counted per endpoint.
func (c *Counter) Calls() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.calls)
}

// Reads returns the requests counted as reads.
func (c *Counter) Reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// Writes returns the requests counted as writes.
func (c *Counter) Writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// AppliedWrites returns the writes that changed state.
func (c *Counter) AppliedWrites() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.applied
}

// Reset zeroes every count.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.calls)
	c.reads, c.writes, c.applied = 0, 0, 0
}
