package sim

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Decider applies a simulator's faults to its requests. The simulator
// decides each request's Verdict when it arrives, under its own lock, from
// its own Faults: the limits it enforces first, then Draw for the faults
// drawn at random. It then carries the verdict out with Apply, outside the
// lock. A Decider is safe for concurrent use.
type Decider struct {
	done chan struct{} // closed by Close: releases hung requests
	once sync.Once

	mu       sync.Mutex
	rng      *rand.Rand     // *rand.Rand is not safe for concurrent use
	inflight map[string]int // requests in flight per key, for Busy
}

// NewDecider returns a Decider whose random source is seeded with 1.
func NewDecider() *Decider {
	d := &Decider{done: make(chan struct{}), inflight: map[string]int{}}
	d.Seed(1)
	return d
}

// Seed reseeds the random source behind Draw. Deciders with the same seed
// that draw for the same sequence of requests decide the same faults.
func (d *Decider) Seed(seed uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rng = rand.New(rand.NewPCG(seed, seed))
}

// Close releases requests hung by a Verdict's Hang and cuts injected
// latency short; requests that would hang later fail at once. It may be
// called more than once.
func (d *Decider) Close() {
	d.once.Do(func() { close(d.done) })
}

// Odds are the faults drawn at random for every request no limit stopped.
type Odds struct {
	// Latency delays the answer; Jitter adds a uniformly random extra delay
	// in [0, Jitter).
	Latency, Jitter time.Duration
	// TimeoutRate is the fraction (0..1) of requests that hang, ErrorRate
	// the fraction of the others answered 500.
	TimeoutRate, ErrorRate float64
}

// Draw draws the verdict for a request no limit stopped. Random numbers
// are drawn only for faults that are on, in a fixed order, so turning one
// fault on does not reshuffle another's sequence.
func (d *Decider) Draw(o Odds) Verdict {
	d.mu.Lock()
	defer d.mu.Unlock()
	v := Verdict{Delay: o.Latency}
	if o.Jitter > 0 {
		v.Delay += time.Duration(d.rng.Int64N(int64(o.Jitter)))
	}
	if o.TimeoutRate > 0 && d.rng.Float64() < o.TimeoutRate {
		v.Hang = true
		return v
	}
	if o.ErrorRate > 0 && d.rng.Float64() < o.ErrorRate {
		v.Fail = true
	}
	return v
}

// Busy reports whether key already has limit requests in flight (counted
// by Hold); a limit of zero is unlimited. Call Busy and the Hold that
// follows under one lock of the simulator's, so that no other request
// slips in between.
func (d *Decider) Busy(key string, limit int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return limit > 0 && d.inflight[key] >= limit
}

// Hold counts a request of key as in flight until Release.
func (d *Decider) Hold(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inflight[key]++
}

// Release ends a request counted by Hold.
func (d *Decider) Release(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inflight[key]--; d.inflight[key] <= 0 {
		delete(d.inflight, key)
	}
}

// Take counts down a fault that applies to the next n requests (or
// writes), and reports whether one was left.
func Take(n *int) bool {
	if *n > 0 {
		*n--
		return true
	}
	return false
}
