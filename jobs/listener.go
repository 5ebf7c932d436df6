package jobs

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// listener is a Client's one subscription to DoneChannel, shared by all its
// Waits. It subscribes on the first register, and fans each announcement out
// to the waiters of that job id. Announcements are hints: a waiter woken
// reads its task and goes back to waiting if the job is not done.
type listener struct {
	rdb redis.UniversalClient

	mu      sync.Mutex
	waiters map[string]map[chan struct{}]struct{} // by job id
	ps      *redis.PubSub                         // nil until the first register
	closed  bool
	stopped chan struct{} // closed when run returns
}

func newListener(rdb redis.UniversalClient) *listener {
	return &listener{rdb: rdb, waiters: map[string]map[chan struct{}]struct{}{}}
}

// register adds a waiter for jobID. Its channel receives (at most one
// pending value) when the job is announced and after every (re)subscription;
// unregister removes it. After close the channel never receives.
func (l *listener) register(jobID string) (wake <-chan struct{}, unregister func()) {
	ch := make(chan struct{}, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ch, func() {}
	}
	if l.ps == nil {
		// No channel yet, so no network round trip under the lock: run
		// subscribes.
		l.ps = l.rdb.Subscribe(context.Background())
		l.stopped = make(chan struct{})
		go l.run(l.ps)
	}
	set := l.waiters[jobID]
	if set == nil {
		set = map[chan struct{}]struct{}{}
		l.waiters[jobID] = set
	}
	set[ch] = struct{}{}
	return ch, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if _, ok := set[ch]; !ok {
			return // already unregistered
		}
		delete(set, ch)
		if len(set) == 0 {
			delete(l.waiters, jobID) // a set is in the map only while it has waiters
		}
	}
}

// run dispatches messages until the subscription is closed (by close, or by
// closing the Redis client).
func (l *listener) run(ps *redis.PubSub) {
	defer close(l.stopped)
	defer ps.Close() // stops go-redis's health check when the Redis client was closed
	// go-redis records the channel even when this first attempt fails, and
	// the receive loop behind ChannelWithSubscriptions reconnects and
	// resubscribes (pinging to notice a dead connection).
	_ = ps.Subscribe(context.Background(), DoneChannel)
	for msg := range ps.ChannelWithSubscriptions() {
		switch m := msg.(type) {
		case *redis.Message:
			l.wake(m.Payload)
		case *redis.Subscription:
			// (Re)subscribed: whatever was announced while not subscribed
			// is lost, so every waiter reads its task again.
			l.wakeAll()
		}
	}
}

func (l *listener) wake(jobID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.waiters[jobID] {
		notify(ch)
	}
}

func (l *listener) wakeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, set := range l.waiters {
		for ch := range set {
			notify(ch)
		}
	}
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default: // already woken, not yet read
	}
}

// close ends the subscription and waits for run to return. Waiters are left
// to their polling.
func (l *listener) close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	ps, stopped := l.ps, l.stopped
	l.mu.Unlock()
	if ps == nil {
		return
	}
	_ = ps.Close()
	<-stopped
}
