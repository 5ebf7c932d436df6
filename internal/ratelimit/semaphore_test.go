package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAcquireCapsAcrossMachines(t *testing.T) {
	ctx := context.Background()
	m := machines(t, 2)
	a, b := New(m[0], nil), New(m[1], nil)
	r1, ok, err := a.Acquire(ctx, "twilio", "AC1", 2)
	if err != nil || !ok {
		t.Fatalf("1st slot: %v %v", ok, err)
	}
	r2, ok, err := b.Acquire(ctx, "twilio", "AC1", 2)
	if err != nil || !ok {
		t.Fatalf("2nd slot: %v %v", ok, err)
	}
	if _, ok, err := a.Acquire(ctx, "twilio", "AC1", 2); err != nil || ok {
		t.Fatalf("3rd slot of 2: ok=%v err=%v", ok, err)
	}
	if n, err := b.InFlight(ctx, "twilio", "AC1"); err != nil || n != 2 {
		t.Fatalf("InFlight = %d, %v", n, err)
	}
	r1()
	r1() // releasing twice frees one slot only
	r3, ok, err := b.Acquire(ctx, "twilio", "AC1", 2)
	if err != nil || !ok {
		t.Fatalf("slot after a release: %v %v", ok, err)
	}
	if _, ok, _ := a.Acquire(ctx, "twilio", "AC1", 2); ok {
		t.Fatal("double release freed two slots")
	}
	r2()
	r3()
	if n, _ := a.InFlight(ctx, "twilio", "AC1"); n != 0 {
		t.Fatalf("InFlight after releases = %d", n)
	}
}

func TestAcquireCrashedHolderLeaseExpires(t *testing.T) {
	ctx := context.Background()
	l := New(machines(t, 1)[0], nil, WithLeaseTTL(50*time.Millisecond))
	// The holder "crashes": it never releases.
	if _, ok, err := l.Acquire(ctx, "twilio", "AC1", 1); err != nil || !ok {
		t.Fatalf("slot: %v %v", ok, err)
	}
	if _, ok, _ := l.Acquire(ctx, "twilio", "AC1", 1); ok {
		t.Fatal("second slot of 1 granted")
	}
	time.Sleep(80 * time.Millisecond)
	if _, ok, err := l.Acquire(ctx, "twilio", "AC1", 1); err != nil || !ok {
		t.Fatalf("slot after the crashed holder's lease ended: %v %v", ok, err)
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
		if _, ok, err := l.Acquire(ctx, "twilio", "AC9", 2); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	_, err := l.Wait(ctx, "twilio", "AC9", "lookup")
	limiterRefusal(t, err)
}
