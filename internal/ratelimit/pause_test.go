package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestPauseSharedAndOnlyExtends(t *testing.T) {
	ctx := context.Background()
	m := machines(t, 2)
	a, b := New(m[0], Defaults()), New(m[1], Defaults())

	if d, err := b.Paused(ctx, "twilio", "AC1"); err != nil || d != 0 {
		t.Fatalf("Paused before any pause = %v, %v", d, err)
	}
	if d, err := a.Pause(ctx, "twilio", "AC1", 2*time.Second); err != nil || d != 2*time.Second {
		t.Fatalf("Pause = %v, %v", d, err)
	}
	if d, err := b.Paused(ctx, "twilio", "AC1"); err != nil || d <= time.Second || d > 2*time.Second {
		t.Fatalf("the other machine sees a pause of %v (%v), want ~2s", d, err)
	}
	// A shorter pause does not shorten it...
	if d, err := b.Pause(ctx, "twilio", "AC1", 500*time.Millisecond); err != nil || d <= time.Second {
		t.Fatalf("shorter Pause = %v, %v: want the 2s pause kept", d, err)
	}
	if d, _ := a.Paused(ctx, "twilio", "AC1"); d <= time.Second {
		t.Fatalf("pause shortened to %v", d)
	}
	// ...a longer one extends it.
	if d, err := b.Pause(ctx, "twilio", "AC1", 10*time.Second); err != nil || d != 10*time.Second {
		t.Fatalf("longer Pause = %v, %v", d, err)
	}
	if d, _ := a.Paused(ctx, "twilio", "AC1"); d <= 9*time.Second {
		t.Fatalf("pause after extension = %v, want ~10s", d)
	}
	// Other accounts and providers are not paused.
	for _, k := range [][2]string{{"twilio", "AC2"}, {"plivo", "AC1"}} {
		if d, _ := a.Paused(ctx, k[0], k[1]); d != 0 {
			t.Errorf("%s/%s paused for %v", k[0], k[1], d)
		}
	}
}

func TestPauseDefaultAndCap(t *testing.T) {
	ctx := context.Background()
	l := New(machines(t, 1)[0], Defaults(), WithDefaultPause(3*time.Second), WithMaxPause(time.Minute))
	if d, err := l.Pause(ctx, "telnyx", "a", 0); err != nil || d != 3*time.Second {
		t.Fatalf("Pause without Retry-After = %v, %v; want the default 3s", d, err)
	}
	if d, err := l.Pause(ctx, "telnyx", "b", 24*time.Hour); err != nil || d != time.Minute {
		t.Fatalf("Pause of a day = %v, %v; want the 1m cap", d, err)
	}
}

// TestPauseCapDefaultsToFiveMinutes: without WithMaxPause, a provider's
// Retry-After of hours (a garbled header, a misbehaving proxy) stops the
// account for 5 minutes at most. (Mutant: a 5h DefaultMaxPause.)
func TestPauseCapDefaultsToFiveMinutes(t *testing.T) {
	ctx := context.Background()
	l := New(machines(t, 1)[0], Defaults())
	if d, err := l.Pause(ctx, "twilio", "AC1", 5*time.Hour); err != nil || d != 5*time.Minute {
		t.Fatalf("Pause of 5h = %v, %v; want the 5m cap", d, err)
	}
	// Through the transport, from the provider's header.
	f := newFake("twilio")
	f.retryAfter = 5 * time.Hour
	f.rateLimitNext.Store(1)
	_ = Wrap(f, l).ValidateCredentials(ctx, creds)
	if d, err := l.Paused(ctx, "twilio", AccountOf(creds)); err != nil || d > 5*time.Minute || d < 4*time.Minute {
		t.Fatalf("pause after a Retry-After of 5h = %v, %v; want ~5m", d, err)
	}
}

func TestPauseEnds(t *testing.T) {
	ctx := context.Background()
	l := New(machines(t, 1)[0], Defaults())
	if _, err := l.Pause(ctx, "plivo", "MA1", 60*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// The wait is short: Wait sleeps it and proceeds.
	start := time.Now()
	release, err := l.Wait(ctx, "plivo", "MA1", "lookup")
	if err != nil {
		t.Fatalf("Wait during a 60ms pause: %v", err)
	}
	release()
	if el := time.Since(start); el < 40*time.Millisecond {
		t.Fatalf("Wait returned after %v, during the pause", el)
	}
	if d, _ := l.Paused(ctx, "plivo", "MA1"); d != 0 {
		t.Fatalf("Paused after the pause = %v", d)
	}
}
