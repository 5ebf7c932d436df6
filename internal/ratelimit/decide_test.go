package ratelimit

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

// logged returns a Redis client whose commands are logged.
func logged(t *testing.T) (*redis.Client, *testenv.CommandLog) {
	rdb := machines(t, 1)[0]
	log := &testenv.CommandLog{}
	rdb.AddHook(log)
	return rdb, log
}

// TestOneRedisCallPerDecision: a request costs one Redis call (the
// decision script) for a provider without MaxConcurrent, and one more (the
// release) with it; a provider without a Limit costs none.
func TestOneRedisCallPerDecision(t *testing.T) {
	ctx := context.Background()
	rdb, log := logged(t)
	l := New(rdb, map[string]Limit{
		"plivo":  {Rate: 1000, Period: time.Second, Burst: 1000},
		"twilio": {Rate: 1000, Period: time.Second, Burst: 1000, MaxConcurrent: 10},
		"paused": {},
	})
	// The first run of a script is EVALSHA, NOSCRIPT, then EVAL: load it
	// once, as every process does on its first request.
	if err := decideScript.Load(ctx, rdb).Err(); err != nil {
		t.Fatal(err)
	}
	log.Take()
	for _, c := range []struct {
		provider string
		want     []string
	}{
		{"plivo", []string{"evalsha"}},
		{"twilio", []string{"evalsha", "zrem"}},
		{"paused", []string{"evalsha"}}, // a zero Limit: the shared pause alone
		{"unlimited", nil},
	} {
		for range 3 {
			f := newFake(c.provider)
			if err := Wrap(f, l).ValidateCredentials(ctx, creds); err != nil {
				t.Fatal(err)
			}
			if got := log.Take(); !slices.Equal(got, c.want) {
				t.Errorf("%s: one request sent %q, want %q", c.provider, got, c.want)
			}
		}
	}
	// An operation of 3 requests: 3 decisions.
	f := newFake("plivo")
	f.perOp = 3
	if err := Wrap(f, l).ValidateCredentials(ctx, creds); err != nil {
		t.Fatal(err)
	}
	if got := log.Take(); !slices.Equal(got, []string{"evalsha", "evalsha", "evalsha"}) {
		t.Errorf("3 requests sent %q, want 3 EVALSHA", got)
	}
}

// TestNoLimitsCostsNothing: with an empty limits map (worker.Params.Limits
// set to an empty map) nothing is limited and no request costs a Redis
// call, not even a pause check, nor a 429.
func TestNoLimitsCostsNothing(t *testing.T) {
	ctx := context.Background()
	rdb, log := logged(t)
	l := New(rdb, map[string]Limit{})
	for _, name := range []string{"plivo", "twilio", "telnyx"} {
		f := newFake(name)
		f.perOp = 4
		p := Wrap(f, l)
		for range 10 {
			if err := p.ValidateCredentials(ctx, creds); err != nil {
				t.Fatal(err)
			}
		}
		f.rateLimitNext.Store(1)
		if err := p.ValidateCredentials(ctx, creds); err == nil {
			t.Fatal("want the provider's 429")
		}
	}
	if got := log.Take(); len(got) != 0 {
		t.Fatalf("no limits sent %q to Redis", got)
	}
}

// TestGCRAMatchesRedisRate holds the GCRA embedded in the decision script
// to redis_rate's, whose algorithm it copies: for the same limits and the
// same sequence of requests, both allow the same ones and agree on when to
// come back.
func TestGCRAMatchesRedisRate(t *testing.T) {
	ctx := context.Background()
	rdb := machines(t, 1)[0]
	ref := redis_rate.NewLimiter(rdb)
	for i, lim := range []Limit{
		{Rate: 3, Period: 10 * time.Second, Burst: 3},
		{Rate: 5, Period: time.Minute, Burst: 1},
		// Plivo's default shape, slowed down: at 240 per 5 s a token comes
		// back every 21 ms, less than the time between the two limiters'
		// calls on a loaded machine, and the test would compare two
		// moments instead of two algorithms.
		{Rate: 240, Period: 5 * time.Minute, Burst: 10},
		{Rate: 2, Period: time.Hour, Burst: 4},
	} {
		l := New(rdb, map[string]Limit{"p": lim})
		account := string(rune('a' + i))
		for n := range lim.Burst + 3 {
			start := time.Now()
			mine := tryOnce(ctx, l, "p", account)
			theirs, err := ref.Allow(ctx, "ref-"+account, redis_rate.Limit{Rate: lim.Rate, Burst: lim.Burst, Period: lim.Period})
			// redis_rate decides later than ours, by at most gap: its
			// Retry-After is shorter by up to that much.
			gap := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if (mine == nil) != (theirs.Allowed == 1) {
				t.Fatalf("%+v request %d: ours %v, redis_rate allowed %d", lim, n+1, mine, theirs.Allowed)
			}
			if mine != nil {
				got := limiterRefusal(t, mine).RetryAfter
				if d := got - theirs.RetryAfter; d < -50*time.Millisecond || d > gap+50*time.Millisecond {
					t.Errorf("%+v request %d: retry after %v, redis_rate %v", lim, n+1, got, theirs.RetryAfter)
				}
			}
		}
	}
}
