package api

import (
	"context"
	"sync"
	"time"
)

// DefaultImportYield is how long, at most, a batch import posted to this
// API holds back a page while a synchronous request waits for its job
// (Params.ImportYield).
const DefaultImportYield = 25 * time.Millisecond

// waiters counts the requests of this process waiting for their jobs, and
// lets a batch import in the same process yield to them: the import's
// reading, validating and recording take both cores of a small machine
// for as long as they run, and a synchronous request's job, handled by a
// worker on the same machine, would wait for CPU behind them. An import
// holds back at most maxWait a page (500 rows), so under a steady stream
// of synchronous requests it slows down but goes on.
type waiters struct {
	maxWait time.Duration

	mu   sync.Mutex
	n    int
	none chan struct{} // closed while n is 0
}

func newWaiters(maxWait time.Duration) *waiters {
	none := make(chan struct{})
	close(none)
	return &waiters{maxWait: maxWait, none: none}
}

// wait counts a request waiting for its job until the returned func is
// called.
func (w *waiters) wait() (done func()) {
	w.mu.Lock()
	if w.n == 0 {
		w.none = make(chan struct{})
	}
	w.n++
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		if w.n--; w.n == 0 {
			close(w.none)
		}
		w.mu.Unlock()
	}
}

// yield returns once no request waits, after maxWait at most, or when ctx
// ends: batch.Importer.Pace.
func (w *waiters) yield(ctx context.Context) {
	if w.maxWait <= 0 {
		return
	}
	w.mu.Lock()
	none := w.none
	w.mu.Unlock()
	select {
	case <-none:
		return
	default:
	}
	t := time.NewTimer(w.maxWait)
	defer t.Stop()
	select {
	case <-none:
	case <-t.C:
	case <-ctx.Done():
	}
}
