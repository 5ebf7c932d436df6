package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/providers"
)

// machines returns n clients on one test Redis: each stands for a worker
// process on its own machine.
func machines(t testing.TB, n int) []*redis.Client {
	t.Helper()
	opt := testenv.Redis(t)
	out := make([]*redis.Client, n)
	for i := range out {
		c := redis.NewClient(opt)
		t.Cleanup(func() { c.Close() })
		out[i] = c
	}
	return out
}

// tryOnce is one limiter decision that never sleeps: nil when the request
// may go, else the refusal.
func tryOnce(ctx context.Context, l *Limiter, provider, account string) error {
	waited := l.maxWait // nothing left to sleep
	release, err := l.wait(ctx, provider, account, "lookup", &waited)
	if err == nil {
		release()
	}
	return err
}

func TestWaitRateThenRefuse(t *testing.T) {
	ctx := context.Background()
	rdb := machines(t, 1)[0]
	l := New(rdb, map[string]Limit{"plivo": {Rate: 3, Period: 10 * time.Second, Burst: 3}})
	for i := range 3 {
		if err := tryOnce(ctx, l, "plivo", "MA123"); err != nil {
			t.Fatalf("call %d: %v, want allowed", i+1, err)
		}
	}
	pe := limiterRefusal(t, tryOnce(ctx, l, "plivo", "MA123"))
	// One token comes back every Period/Rate = 3.33s.
	if pe.RetryAfter <= 2*time.Second || pe.RetryAfter > 4*time.Second {
		t.Fatalf("4th call: RetryAfter %v, want ~3.3s", pe.RetryAfter)
	}
	// Another account has its own budget.
	if err := tryOnce(ctx, l, "plivo", "MA456"); err != nil {
		t.Fatalf("other account: %v", err)
	}
	// A provider without a Limit is not rate limited.
	for range 10 {
		if err := tryOnce(ctx, l, "unlimited", "x"); err != nil {
			t.Fatalf("unlimited provider: %v", err)
		}
	}
}

func TestLimitersShareBudget(t *testing.T) {
	ctx := context.Background()
	m := machines(t, 2)
	limits := map[string]Limit{"plivo": {Rate: 4, Period: 10 * time.Second, Burst: 4}}
	a, b := New(m[0], limits), New(m[1], limits)
	for i, l := range []*Limiter{a, b, a, b} {
		if err := tryOnce(ctx, l, "plivo", "MA1"); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	for name, l := range map[string]*Limiter{"a": a, "b": b} {
		if err := tryOnce(ctx, l, "plivo", "MA1"); err == nil {
			t.Fatalf("machine %s after the shared budget is spent: allowed", name)
		}
	}
}

// TestBurstZeroMeansOne: a Limit without Burst still lets requests
// through, evenly spaced. (Mutant: without New's Burst floor the GCRA
// never allows anything with Burst 0.)
func TestBurstZeroMeansOne(t *testing.T) {
	ctx := context.Background()
	l := New(machines(t, 1)[0], map[string]Limit{"telnyx": {Rate: 10, Period: time.Second}})
	if err := tryOnce(ctx, l, "telnyx", "k"); err != nil {
		t.Fatalf("first request with Burst 0: %v, want allowed", err)
	}
	pe := limiterRefusal(t, tryOnce(ctx, l, "telnyx", "k"))
	if pe.RetryAfter > 100*time.Millisecond {
		t.Fatalf("second request: RetryAfter %v, want <= 100ms (10/s)", pe.RetryAfter)
	}
}

func TestWaitSleepsShortWaits(t *testing.T) {
	ctx := context.Background()
	rdb := machines(t, 1)[0]
	// One token every 50ms, no burst: the second call waits ~50ms.
	l := New(rdb, map[string]Limit{"telnyx": {Rate: 20, Period: time.Second, Burst: 1}})
	start := time.Now()
	for i := range 3 {
		release, err := l.Wait(ctx, "telnyx", "k", "lookup")
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		release()
	}
	if el := time.Since(start); el < 80*time.Millisecond {
		t.Fatalf("3 calls at 20/s took %v, want them paced (>= ~100ms)", el)
	}
}

func TestWaitRefusesLongWaits(t *testing.T) {
	ctx := context.Background()
	rdb := machines(t, 1)[0]
	l := New(rdb, map[string]Limit{"plivo": {Rate: 1, Period: 10 * time.Second, Burst: 1}}, WithMaxWait(100*time.Millisecond))
	release, err := l.Wait(ctx, "plivo", "MA1", "lookup")
	if err != nil {
		t.Fatal(err)
	}
	release()
	_, err = l.Wait(ctx, "plivo", "MA1", "lookup")
	pe := limiterRefusal(t, err)
	if pe.RetryAfter < 5*time.Second || pe.Provider != "plivo" || pe.Op != "lookup" {
		t.Fatalf("refusal = %+v, want ~10s for plivo lookup", pe)
	}
}

// TestMaxWaitIsTotalAcrossSleeps: MaxWait bounds the sum of the sleeps,
// not each one. Every slot is taken, so Wait polls every 20ms; with
// MaxWait 50ms it gives up after two polls. (Mutant: comparing each sleep
// with MaxWait, Wait polls until the context's deadline, 2s here.)
func TestMaxWaitIsTotalAcrossSleeps(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	l := New(machines(t, 1)[0], map[string]Limit{"twilio": {MaxConcurrent: 1}}, WithMaxWait(50*time.Millisecond))
	hold, err := l.Wait(ctx, "twilio", "AC1", "lookup")
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	start := time.Now()
	_, err = l.Wait(ctx, "twilio", "AC1", "lookup")
	limiterRefusal(t, err)
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Fatalf("refused after %v, want ~40ms: MaxWait is the total", el)
	}

	// And across the requests of one operation: each request's sleeps
	// count against the same MaxWait.
	b := &binding{l: l, provider: "twilio", account: "AC1", op: "lookup", waited: 40 * time.Millisecond}
	start = time.Now()
	_, err = b.wait(ctx)
	limiterRefusal(t, err)
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Fatalf("an operation that already slept 40ms of 50ms slept %v more", el)
	}
}

func TestWaitHonoursContext(t *testing.T) {
	rdb := machines(t, 1)[0]
	l := New(rdb, map[string]Limit{"telnyx": {Rate: 2, Period: time.Second, Burst: 1}})
	release, err := l.Wait(context.Background(), "telnyx", "k", "lookup")
	if err != nil {
		t.Fatal(err)
	}
	release()
	// The next token is 500ms away, within MaxWait, but past the deadline:
	// refuse now rather than sleep into it.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = l.Wait(ctx, "telnyx", "k", "lookup")
	limiterRefusal(t, err)

	// Canceled while sleeping: ctx's error, not a rate-limit refusal.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = l.Wait(ctx, "telnyx", "k", "lookup")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled wait: %v, want context.Canceled", err)
	}
}

func TestRedisDownIsTransient(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	defer rdb.Close()
	l := New(rdb, Defaults())
	_, err := l.Wait(context.Background(), "plivo", "MA1", "lookup")
	if k, ok := providers.KindOf(err); !ok || k != providers.KindTransient {
		t.Fatalf("Wait without Redis: %v, want a transient *providers.Error", err)
	}
	// Through Wrap and Transport: the request is not sent, and the error
	// is the limiter's.
	f := newFake("plivo")
	err = Wrap(f, l).ValidateCredentials(context.Background(), creds)
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Kind != providers.KindTransient || pe.Message != "rate limiter unavailable (Redis)" {
		t.Fatalf("call without Redis: %v, want the limiter's transient error", err)
	}
	if f.sent.Load() != 0 {
		t.Fatal("the request was sent without the limiter's say")
	}
}

// TestDefaults holds the defaults to the providers' published limits,
// with some headroom (see
// docs/providers.md for the figures and their sources).
func TestDefaults(t *testing.T) {
	d := Defaults()
	for _, name := range []string{"plivo", "twilio", "telnyx"} {
		lim, ok := d[name]
		if !ok || lim.Rate <= 0 || lim.Period <= 0 || lim.Burst <= 0 {
			t.Errorf("Defaults()[%q] = %+v", name, lim)
		}
	}
	// Plivo: 300 requests per 5 s per account. A GCRA lets Burst + Rate
	// through in any window of one Period; keep that at most 95%, with room
	// for requests that reach Plivo late. An import must finish within 1.15x
	// of its requests at Plivo's rate (BenchmarkRateLimit), so the rate
	// itself is at least 300 / 1.15 = 261 per 5 s.
	if p := d["plivo"]; p.Period != 5*time.Second || p.Rate+p.Burst > 285 || p.Rate*115 < 300*100 {
		t.Errorf("plivo = %+v, want 261 to 285 of Plivo's 300 per 5s in any window", p)
	}
	// Twilio limits concurrency (error 20429), with no published figure.
	if tw := d["twilio"]; tw.MaxConcurrent <= 0 || tw.MaxConcurrent > 25 {
		t.Errorf("twilio = %+v, want a conservative MaxConcurrent", tw)
	}
	d["plivo"] = Limit{} // callers own the map they get
	if Defaults()["plivo"].Rate == 0 {
		t.Error("Defaults shares state between calls")
	}
}

// limiterRefusal asserts err is the limiter's own KindRateLimited refusal.
func limiterRefusal(t *testing.T, err error) *providers.Error {
	t.Helper()
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Kind != providers.KindRateLimited || !errors.Is(err, ErrLimited) {
		t.Fatalf("err = %v, want a KindRateLimited refusal wrapping ErrLimited", err)
	}
	if pe.RetryAfter <= 0 {
		t.Fatalf("refusal without RetryAfter: %+v", pe)
	}
	return pe
}

func BenchmarkWait(b *testing.B) {
	ctx := context.Background()
	rdb := machines(b, 1)[0]
	for _, c := range []struct {
		name string
		lim  Limit
	}{{"rate", Limit{Rate: 1 << 30, Burst: 1 << 30}}, {"rate+concurrency", Limit{Rate: 1 << 30, Burst: 1 << 30, MaxConcurrent: 1 << 20}}} {
		b.Run(c.name, func(b *testing.B) {
			l := New(rdb, map[string]Limit{"twilio": c.lim})
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					release, err := l.Wait(ctx, "twilio", "AC1", "lookup")
					if err != nil {
						b.Fatal(err)
					}
					release()
				}
			})
		})
	}
}
