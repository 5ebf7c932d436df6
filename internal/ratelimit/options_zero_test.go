package ratelimit

import (
	"context"
	"testing"
	"time"
)

// TestZeroOptionsKeepDefaults: WithDefaultPause, WithMaxPause and
// WithLeaseTTL of 0 keep the defaults, as documented; they never mean "no
// pause", "no cap" or "a lease that ends at once" (which would let every
// request through a MaxConcurrent of 1).
func TestZeroOptionsKeepDefaults(t *testing.T) {
	ctx := context.Background()
	l := New(machines(t, 1)[0], map[string]Limit{"twilio": {MaxConcurrent: 1}},
		WithDefaultPause(0), WithMaxPause(0), WithLeaseTTL(0), WithMaxWait(0))

	// The documented defaults, as literals: 5s and 5m.
	if d, err := l.Pause(ctx, "twilio", "AC1", 0); err != nil || d != 5*time.Second {
		t.Errorf("Pause without Retry-After = %v, %v; want the default 5s", d, err)
	}
	if d, err := l.Pause(ctx, "twilio", "AC2", time.Hour); err != nil || d != 5*time.Minute {
		t.Errorf("Pause of an hour = %v, %v; want the default cap 5m", d, err)
	}

	release, err := l.Wait(ctx, "twilio", "AC3", "lookup")
	if err != nil {
		t.Fatalf("slot: %v", err)
	}
	defer release()
	time.Sleep(20 * time.Millisecond)
	if n, err := l.InFlight(ctx, "twilio", "AC3"); err != nil || n != 1 {
		t.Errorf("InFlight while the slot is held = %d, %v; want 1 (a lease of %v)", n, err, DefaultLeaseTTL)
	}
	if _, err := l.Wait(ctx, "twilio", "AC3", "lookup"); err == nil {
		t.Error("second slot of 1 granted while the first is held")
	}
}
