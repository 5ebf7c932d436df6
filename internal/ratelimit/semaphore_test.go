package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestConcurrencyCapAcrossMachines(t *testing.T) {
	ctx := context.Background()
	m := machines(t, 2)
	limits := map[string]Limit{"twilio": {MaxConcurrent: 2}}
	a, b := New(m[0], limits, WithMaxWait(0)), New(m[1], limits, WithMaxWait(0))
	r1, err := a.Wait(ctx, "twilio", "AC1", "lookup")
	if err != nil {
		t.Fatalf("1st slot: %v", err)
	}
	r2, err := b.Wait(ctx, "twilio", "AC1", "lookup")
	if err != nil {
		t.Fatalf("2nd slot: %v", err)
	}
	if _, err := a.Wait(ctx, "twilio", "AC1", "lookup"); err == nil {
		t.Fatal("3rd slot of 2 granted")
	}
	if n, err := b.InFlight(ctx, "twilio", "AC1"); err != nil || n != 2 {
		t.Fatalf("InFlight = %d, %v", n, err)
	}
	r1()
	r1() // releasing twice frees one slot only
	r3, err := b.Wait(ctx, "twilio", "AC1", "lookup")
	if err != nil {
		t.Fatalf("slot after a release: %v", err)
	}
	if _, err := a.Wait(ctx, "twilio", "AC1", "lookup"); err == nil {
		t.Fatal("double release freed two slots")
	}
	r2()
	r3()
	if n, _ := a.InFlight(ctx, "twilio", "AC1"); n != 0 {
		t.Fatalf("InFlight after releases = %d", n)
	}
}

func TestCrashedHolderLeaseExpires(t *testing.T) {
	ctx := context.Background()
	l := New(machines(t, 1)[0], map[string]Limit{"twilio": {MaxConcurrent: 1}}, WithLeaseTTL(50*time.Millisecond), WithMaxWait(0))
	// The holder "crashes": it never releases.
	if _, err := l.Wait(ctx, "twilio", "AC1", "lookup"); err != nil {
		t.Fatalf("slot: %v", err)
	}
	if _, err := l.Wait(ctx, "twilio", "AC1", "lookup"); err == nil {
		t.Fatal("second slot of 1 granted")
	}
	time.Sleep(80 * time.Millisecond)
	if _, err := l.Wait(ctx, "twilio", "AC1", "lookup"); err != nil {
		t.Fatalf("slot after the crashed holder's lease ended: %v", err)
	}
}

// TestRateRefusalTakesNoSlot: a request the GCRA refuses holds no
// concurrency slot, neither while it sleeps nor after its refusal.
func TestRateRefusalTakesNoSlot(t *testing.T) {
	ctx := context.Background()
	l := New(machines(t, 1)[0], map[string]Limit{"twilio": {Rate: 1, Period: time.Hour, Burst: 1, MaxConcurrent: 1}}, WithMaxWait(0))
	release, err := l.Wait(ctx, "twilio", "AC1", "lookup")
	if err != nil {
		t.Fatal(err)
	}
	release()
	limiterRefusal(t, tryOnce(ctx, l, "twilio", "AC1"))
	if n, err := l.InFlight(ctx, "twilio", "AC1"); err != nil || n != 0 {
		t.Fatalf("InFlight after a rate refusal = %d, %v", n, err)
	}
}

func TestWaitCapsConcurrency(t *testing.T) {
	ctx := context.Background()
	m := machines(t, 3)
	limits := map[string]Limit{"twilio": {Rate: 1000, Period: time.Second, Burst: 1000, MaxConcurrent: 2}}
	var inFlight, peak atomic.Int32
	var wg sync.WaitGroup
	for i := range 12 {
		l := New(m[i%len(m)], limits, WithMaxWait(5*time.Second))
		wg.Go(func() {
			release, err := l.Wait(ctx, "twilio", "AC1", "lookup")
			if err != nil {
				t.Error(err)
				return
			}
			n := inFlight.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(15 * time.Millisecond)
			inFlight.Add(-1)
			release()
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Fatalf("peak concurrency %d, want at most 2", p)
	}

	// With every slot held and no time to wait, the call is refused.
	l := New(m[0], limits, WithMaxWait(0))
	for range 2 {
		if _, err := l.Wait(ctx, "twilio", "AC9", "lookup"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := l.Wait(ctx, "twilio", "AC9", "lookup")
	limiterRefusal(t, err)
}
