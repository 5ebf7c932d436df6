package api

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/config"
)

// TestWaitersYield: an import's pace returns at once while no request
// waits, waits for the last waiting request to finish, and never longer
// than maxWait; a negative maxWait never waits.
func TestWaitersYield(t *testing.T) {
	ctx := context.Background()
	w := newWaiters(time.Hour)
	timed := func(f func()) time.Duration { start := time.Now(); f(); return time.Since(start) }
	if d := timed(func() { w.yield(ctx) }); d > 100*time.Millisecond {
		t.Errorf("yield with no waiter took %v", d)
	}

	done1, done2 := w.wait(), w.wait()
	returned := make(chan time.Duration)
	go func() { returned <- timed(func() { w.yield(ctx) }) }()
	time.Sleep(50 * time.Millisecond)
	done1()
	select {
	case d := <-returned:
		t.Fatalf("yield returned after %v with a request still waiting", d)
	case <-time.After(100 * time.Millisecond):
	}
	done2()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("yield still waiting 5 s after the last request finished")
	}
	if d := timed(func() { w.yield(ctx) }); d > 100*time.Millisecond {
		t.Errorf("yield after every request finished took %v", d)
	}

	short := newWaiters(200 * time.Millisecond)
	defer short.wait()() // a request that never finishes while we look
	if d := timed(func() { short.yield(ctx) }); d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("yield under a request that goes on took %v, want maxWait (200ms)", d)
	}
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(20*time.Millisecond, cancel)
	if d := timed(func() { newWaitersWaiting(time.Hour).yield(cctx) }); d > 5*time.Second {
		t.Errorf("yield went on %v after its context ended", d)
	}
	off := newWaiters(-1)
	defer off.wait()()
	if d := timed(func() { off.yield(ctx) }); d > 100*time.Millisecond {
		t.Errorf("yield with a negative maxWait took %v", d)
	}
}

// newWaitersWaiting is waiters with one request waiting for good.
func newWaitersWaiting(maxWait time.Duration) *waiters {
	w := newWaiters(maxWait)
	w.wait()
	return w
}

// TestDefaultImportYieldAsDocumented: the yield an API gets when
// Params.ImportYield is zero is the default the configuration reference
// gives SWITCHBOARD_IMPORT_YIELD.
func TestDefaultImportYieldAsDocumented(t *testing.T) {
	documented, err := config.Duration("SWITCHBOARD_IMPORT_YIELD", config.Default(func(string) string { return "" }, "SWITCHBOARD_IMPORT_YIELD"))
	if err != nil {
		t.Fatal(err)
	}
	if DefaultImportYield != documented || documented <= 0 {
		t.Errorf("DefaultImportYield = %v, the configuration's default %v; want the same, and more than 0", DefaultImportYield, documented)
	}
}
