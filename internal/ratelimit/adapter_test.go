package ratelimit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/telnyx"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
	"github.com/switchboardhq/switchboard/providers/twilio"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// These tests run the real adapters, SDKs included, against their
// simulators, with the limiter's Transport in each adapter's
// Options.Transport as the worker wires it.

// rig is one adapter on a fresh simulator.
type rig struct {
	adapter providers.Provider
	creds   providers.Credentials
	number  string
	sent    func() int // requests that reached the simulator
	apps    func() int // applications named route.Name at the simulator
	// rateLimitNext makes the simulator answer the next n requests 429,
	// with Retry-After when retryAfter > 0.
	rateLimitNext func(n int, retryAfter time.Duration)
	// failAll makes the simulator answer every request 500.
	failAll func()
	// ensureRequests is what a fresh EnsureVoiceRoute (the org's first
	// number) sends, after the Lookup.
	ensureRequests int
}

var route = providers.Route{
	Name:           providers.RouteName(1, "default"),
	VoiceURL:       "https://platform.example.com/hooks/voice/inbound",
	StatusCallback: "https://platform.example.com/hooks/voice/status",
	HangupURL:      "https://platform.example.com/hooks/voice/hangup",
}

// rigs builds each adapter with next under the limiter's Transport (nil:
// http.DefaultTransport).
var rigs = map[string]func(t *testing.T, next http.RoundTripper) rig{
	"twilio": func(t *testing.T, next http.RoundTripper) rig {
		sim := twiliotest.NewSandbox()
		srv := serve(t, sim, sim.Close)
		a, err := twilio.New(twilio.Options{BaseURL: srv.URL, Transport: ratelimit.Transport(next), Timeout: 5 * time.Second})
		must(t, err)
		update := func(change func(*twiliotest.Faults)) {
			f := sim.Faults()
			change(&f)
			must(t, sim.SetFaults(f))
		}
		return rig{
			adapter: a,
			creds:   providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: twiliotest.SandboxAuthToken},
			number:  twiliotest.SandboxNumberSF,
			sent:    func() int { return sim.Reads() + sim.Writes() },
			apps:    func() int { return 0 },
			rateLimitNext: func(n int, after time.Duration) {
				update(func(f *twiliotest.Faults) { f.RateLimitNext, f.RetryAfter = n, int(after/time.Second) })
			},
			failAll:        func() { update(func(f *twiliotest.Faults) { f.ErrorRate = 1 }) },
			ensureRequests: 1,
		}
	},
	"plivo": func(t *testing.T, next http.RoundTripper) rig {
		sim := plivotest.NewSandbox()
		srv := serve(t, sim, sim.Close)
		a, err := plivo.New(plivo.Options{BaseURL: srv.URL, Transport: ratelimit.Transport(next), Timeout: 5 * time.Second})
		must(t, err)
		update := func(change func(*plivotest.Faults)) { must(t, sim.UpdateFaults(change)) }
		return rig{
			adapter: a,
			creds:   providers.Credentials{AccountID: plivotest.SandboxAuthID, Secret: plivotest.SandboxAuthToken},
			number:  plivotest.SandboxNumber1,
			sent:    func() int { return sim.Reads() + sim.Writes() },
			apps:    func() int { return sim.Applications(plivotest.SandboxAuthID, route.Name) },
			rateLimitNext: func(n int, after time.Duration) {
				update(func(f *plivotest.Faults) { f.RateLimitNext, f.RetryAfter = n, int(after/time.Second) })
			},
			failAll:        func() { update(func(f *plivotest.Faults) { f.ErrorRate = 1 }) },
			ensureRequests: 3, // list, create, attach
		}
	},
	"telnyx": func(t *testing.T, next http.RoundTripper) rig {
		sim := telnyxtest.NewSandbox()
		srv := serve(t, sim, sim.Close)
		a, err := telnyx.New(telnyx.Options{BaseURL: srv.URL, Transport: ratelimit.Transport(next), Timeout: 5 * time.Second})
		must(t, err)
		update := func(change func(*telnyxtest.Faults)) {
			f := sim.Faults()
			change(&f)
			must(t, sim.SetFaults(f))
		}
		return rig{
			adapter: a,
			creds:   providers.Credentials{Secret: telnyxtest.SandboxAPIKey},
			number:  telnyxtest.SandboxNumberLondon,
			sent:    func() int { return sim.Reads() + sim.Writes() },
			apps:    func() int { return sim.Applications(telnyxtest.SandboxAPIKey, route.Name) },
			rateLimitNext: func(n int, after time.Duration) {
				update(func(f *telnyxtest.Faults) { f.RateLimitNext, f.RetryAfter = n, int(after/time.Second) })
			},
			failAll:        func() { update(func(f *telnyxtest.Faults) { f.ErrorRate = 1 }) },
			ensureRequests: 4, // list, create, read the voice settings (forwarding), assign
		}
	},
}

func serve(t *testing.T, h http.Handler, closeSim func()) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(closeSim) // runs first: releases requests held by a hang fault
	return srv
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func forEachAdapter(t *testing.T, test func(t *testing.T, name string, newRig func(next http.RoundTripper) rig)) {
	for _, name := range []string{"twilio", "plivo", "telnyx"} {
		t.Run(name, func(t *testing.T) {
			test(t, name, func(next http.RoundTripper) rig { return rigs[name](t, next) })
		})
	}
}

func newRedis(t *testing.T) *redis.Client {
	rdb := redis.NewClient(testenv.Redis(t))
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// budget is a limiter letting n requests through per account, then
// refusing for about an hour, without sleeping.
func budget(rdb *redis.Client, provider string, n int) *ratelimit.Limiter {
	return ratelimit.New(rdb, map[string]ratelimit.Limit{provider: {Rate: 1, Period: time.Hour, Burst: max(n, 1)}}, ratelimit.WithMaxWait(0))
}

// spend takes n tokens of the account's budget.
func spend(t *testing.T, l *ratelimit.Limiter, provider string, creds providers.Credentials, n int) {
	for range n {
		release, err := l.Wait(context.Background(), provider, ratelimit.AccountOf(creds), "test")
		must(t, err)
		release()
	}
}

// TestAdaptersReadRefusalAsRateLimited: a request the limiter refuses
// never reaches the provider, and each adapter, reading the synthetic 429
// with its own error handling (the Twilio and Plivo SDKs included), reports
// a KindRateLimited error with the Retry-After, saying who refused. Wrap
// turns it into the limiter's exact refusal; neither pauses the account.
func TestAdaptersReadRefusalAsRateLimited(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, name string, newRig func(http.RoundTripper) rig) {
		ctx := context.Background()
		rdb := newRedis(t)
		r := newRig(nil)
		l := budget(rdb, name, 1)
		account := ratelimit.AccountOf(r.creds)
		spend(t, l, name, r.creds, 1)

		// The adapter alone, with the context Wrap would give it.
		_, err := r.adapter.Lookup(ratelimit.Bind(ctx, l, name, account, "lookup"), r.creds, r.number)
		var pe *providers.Error
		if !errors.As(err, &pe) || pe.Kind != providers.KindRateLimited || pe.Status != 429 {
			t.Fatalf("adapter's error = %v, want KindRateLimited with status 429", err)
		}
		if pe.RetryAfter < 59*time.Minute || pe.RetryAfter > time.Hour+time.Second {
			t.Errorf("adapter's RetryAfter = %v, want ~1h from the Retry-After header", pe.RetryAfter)
		}
		if !strings.Contains(pe.Message, "switchboard's limiter") {
			t.Errorf("adapter's message %q does not say switchboard refused", pe.Message)
		}

		// Behind Wrap: the limiter's own refusal, exact.
		_, err = ratelimit.Wrap(r.adapter, l).Lookup(ctx, r.creds, r.number)
		if !errors.As(err, &pe) || pe.Kind != providers.KindRateLimited || !errors.Is(err, ratelimit.ErrLimited) {
			t.Fatalf("Wrap's error = %v, want the limiter's refusal", err)
		}
		if pe.RetryAfter < 59*time.Minute || pe.RetryAfter > time.Hour || pe.Provider != name || pe.Op != "lookup" {
			t.Errorf("Wrap's refusal = %+v, want %s lookup, RetryAfter ~1h", pe, name)
		}

		if n := r.sent(); n != 0 {
			t.Errorf("the simulator got %d requests, want none", n)
		}
		if d, err := l.Paused(ctx, name, account); err != nil || d != 0 {
			t.Errorf("the limiter's refusals paused the account for %v (%v)", d, err)
		}
	})
}

// TestAdaptersRefusedAtEveryRequest: an EnsureVoiceRoute refused at any of
// its requests (the list, the create, the attach) fails as the limiter's
// refusal, creates no duplicate application, and a retry with budget
// completes it.
func TestAdaptersRefusedAtEveryRequest(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, name string, newRig func(http.RoundTripper) rig) {
		ctx := context.Background()
		rdb := newRedis(t)
		for allowed := range newRig(nil).ensureRequests {
			r := newRig(nil)
			num, err := r.adapter.Lookup(ctx, r.creds, r.number) // not limited
			must(t, err)
			must(t, rdb.FlushDB(ctx).Err())
			l := budget(rdb, name, allowed)
			if allowed == 0 {
				spend(t, l, name, r.creds, 1)
			}
			_, err = ratelimit.Wrap(r.adapter, l).EnsureVoiceRoute(ctx, r.creds, num, route)
			if !errors.Is(err, ratelimit.ErrLimited) {
				t.Fatalf("refused after %d requests: %v, want the limiter's refusal", allowed, err)
			}
			if k, _ := providers.KindOf(err); k != providers.KindRateLimited {
				t.Fatalf("refused after %d requests: kind %v", allowed, k)
			}
			must(t, rdb.FlushDB(ctx).Err())
			if _, err := ratelimit.Wrap(r.adapter, ratelimit.New(rdb, ratelimit.Defaults())).EnsureVoiceRoute(ctx, r.creds, num, route); err != nil {
				t.Fatalf("retry after a refusal at request %d: %v", allowed+1, err)
			}
			if n := r.apps(); n > 1 {
				t.Fatalf("refusal at request %d: %d applications named %s", allowed+1, n, route.Name)
			}
		}
	})
}

// recorder is a transport under the limiter's: it counts the requests the
// limiter let through, and those of them whose context carried the
// operation's binding.
type recorder struct {
	sent, bound atomic.Int32
}

func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	rec.sent.Add(1)
	if ratelimit.Bound(r.Context()) {
		rec.bound.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestAdaptersCountEveryRequest: every HTTP request an operation sends
// carries the operation's context to the limiter's Transport, and takes a
// token: Lookup 1, a fresh EnsureVoiceRoute 1 (Twilio), 3 (Plivo's list,
// create and attach) or 4 (Telnyx's list, create, voice settings read and
// assign), and each of plivo-go's own resends
// of an application request after a 5xx, which it builds without a
// context (providers.Exchange gives them the operation's).
func TestAdaptersCountEveryRequest(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, name string, newRig func(http.RoundTripper) rig) {
		ctx := context.Background()
		rdb := newRedis(t)
		rec := &recorder{}
		r := newRig(rec)
		want := 1 + r.ensureRequests
		// Exactly the budget the flow needs: one request more is refused.
		p := ratelimit.Wrap(r.adapter, budget(rdb, name, want))
		num, err := p.Lookup(ctx, r.creds, r.number)
		must(t, err)
		_, err = p.EnsureVoiceRoute(ctx, r.creds, num, route)
		must(t, err)
		if _, err := p.Lookup(ctx, r.creds, r.number); !errors.Is(err, ratelimit.ErrLimited) {
			t.Fatalf("request %d of a budget of %d: %v, want refused", want+1, want, err)
		}
		if got, bound, atSim := rec.sent.Load(), rec.bound.Load(), r.sent(); got != int32(want) || bound != got || atSim != want {
			t.Fatalf("sent %d requests, %d with the operation's context, %d at the simulator; want %d of each", got, bound, atSim, want)
		}

		// Resends after 5xx (plivo-go resends application requests twice).
		must(t, rdb.FlushDB(ctx).Err())
		r.failAll()
		before := r.sent()
		_, _ = ratelimit.Wrap(r.adapter, ratelimit.New(rdb, ratelimit.Defaults())).EnsureVoiceRoute(ctx, r.creds, num, providers.Route{
			Name: providers.RouteName(2, "default"), VoiceURL: route.VoiceURL, HangupURL: route.HangupURL, StatusCallback: route.StatusCallback,
		})
		if n := r.sent() - before; int32(n) != rec.bound.Load()-int32(want) || n == 0 {
			t.Fatalf("failing EnsureVoiceRoute: %d requests at the simulator, %d through the limiter", n, rec.bound.Load()-int32(want))
		}
		if name == "plivo" && r.sent()-before < 3 {
			t.Fatalf("plivo: %d requests, want the SDK's resends too", r.sent()-before)
		}
	})
}

// TestAdaptersProvider429PausesAccount: the provider's own 429 reaches
// the caller as the provider's (not the limiter's), and pauses the
// account for every worker, for Retry-After or the default pause.
func TestAdaptersProvider429PausesAccount(t *testing.T) {
	forEachAdapter(t, func(t *testing.T, name string, newRig func(http.RoundTripper) rig) {
		ctx := context.Background()
		rdb := newRedis(t)
		r := newRig(nil)
		l := ratelimit.New(rdb, ratelimit.Defaults(), ratelimit.WithDefaultPause(7*time.Second))
		account := ratelimit.AccountOf(r.creds)
		p := ratelimit.Wrap(r.adapter, l)

		r.rateLimitNext(1, 3*time.Second)
		_, err := p.Lookup(ctx, r.creds, r.number)
		if k, _ := providers.KindOf(err); k != providers.KindRateLimited || errors.Is(err, ratelimit.ErrLimited) {
			t.Fatalf("Lookup = %v, want the provider's 429", err)
		}
		if d, err := l.Paused(ctx, name, account); err != nil || d < 2*time.Second || d > 3*time.Second {
			t.Fatalf("pause = %v, %v; want the provider's 3s", d, err)
		}
		// Another worker is held off without a request.
		before := r.sent()
		_, err = ratelimit.Wrap(r.adapter, ratelimit.New(newRedisSame(t, rdb), ratelimit.Defaults())).Lookup(ctx, r.creds, r.number)
		if !errors.Is(err, ratelimit.ErrLimited) || r.sent() != before {
			t.Fatalf("another worker during the pause: %v, %d requests sent", err, r.sent()-before)
		}

		must(t, rdb.FlushDB(ctx).Err())
		r.rateLimitNext(1, 0)
		_, _ = p.Lookup(ctx, r.creds, r.number)
		if d, err := l.Paused(ctx, name, account); err != nil || d < 6*time.Second || d > 7*time.Second {
			t.Fatalf("pause without Retry-After = %v, %v; want the 7s default", d, err)
		}
	})
}

// newRedisSame is another client (another worker's) on rdb's database.
func newRedisSame(t *testing.T, rdb *redis.Client) *redis.Client {
	c := redis.NewClient(rdb.Options())
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRedisCommandsPerProviderCall counts the Redis commands of one
// Lookup, one HTTP request, under the default limits: the decision
// script, and the release of the concurrency slot for Twilio.
func TestRedisCommandsPerProviderCall(t *testing.T) {
	want := map[string][]string{
		"twilio": {"evalsha", "zrem"},
		"plivo":  {"evalsha"},
		"telnyx": {"evalsha"},
	}
	forEachAdapter(t, func(t *testing.T, name string, newRig func(http.RoundTripper) rig) {
		ctx := context.Background()
		rdb := newRedis(t)
		r := newRig(nil)
		p := ratelimit.Wrap(r.adapter, ratelimit.New(rdb, ratelimit.Defaults()))
		_, err := p.Lookup(ctx, r.creds, r.number) // loads the script
		must(t, err)
		log := &testenv.CommandLog{}
		rdb.AddHook(log)
		for range 3 {
			_, err := p.Lookup(ctx, r.creds, r.number)
			must(t, err)
			if got := log.Take(); !slices.Equal(got, want[name]) {
				t.Errorf("one Lookup sent %q to Redis, want %q", got, want[name])
			}
		}
	})
}

// TestTwilioConcurrencyKeptUnderAccountLimit: workers sharing a Twilio
// account stay within its concurrency, so Twilio never answers 20429: the
// simulator enforces a concurrency of 3, the limiter allows 3.
func TestTwilioConcurrencyKeptUnderAccountLimit(t *testing.T) {
	ctx := context.Background()
	rdb := newRedis(t)
	sim := twiliotest.NewSandbox()
	srv := serve(t, sim, sim.Close)
	f := sim.Faults()
	f.MaxConcurrent, f.Latency = 3, 20*time.Millisecond
	must(t, sim.SetFaults(f))
	a, err := twilio.New(twilio.Options{BaseURL: srv.URL, Transport: ratelimit.Transport(nil), Timeout: 5 * time.Second})
	must(t, err)
	limits := map[string]ratelimit.Limit{"twilio": {MaxConcurrent: 3}}
	creds := providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: twiliotest.SandboxAuthToken}
	var wg sync.WaitGroup
	var refused, limited atomic.Int32
	for i := range 4 { // four workers
		p := ratelimit.Wrap(a, ratelimit.New(newRedisSame(t, rdb), limits, ratelimit.WithMaxWait(10*time.Second)))
		for range 5 { // five jobs each at once
			wg.Go(func() {
				_, err := p.Lookup(ctx, creds, twiliotest.SandboxNumberSF)
				switch {
				case errors.Is(err, ratelimit.ErrLimited):
					refused.Add(1)
				case err != nil:
					limited.Add(1)
					t.Errorf("worker %d: %v", i, err)
				}
			})
		}
	}
	wg.Wait()
	if refused.Load() != 0 || limited.Load() != 0 {
		t.Fatalf("%d refused by the limiter, %d failed at Twilio; want all 20 through", refused.Load(), limited.Load())
	}
}
