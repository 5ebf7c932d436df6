package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/internal/telemetry"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestProvidersGoThroughLimiter: the adapters the commands build send
// every request through the rate limiter's transport, and only the
// requests that reach the provider are counted in the HTTP metrics.
func TestProvidersGoThroughLimiter(t *testing.T) {
	tw, pl, tx := twiliotest.NewSandbox(), plivotest.NewSandbox(), telnyxtest.NewSandbox()
	serve := func(h http.Handler) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	s := &settings{twilioBaseURL: serve(tw), plivoBaseURL: serve(pl), telnyxBaseURL: serve(tx)}
	m := telemetry.New()
	ps, err := newProviders(s, providers.DefaultTimeout, m)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(testenv.Redis(t))
	t.Cleanup(func() { rdb.Close() })

	cases := map[string]struct {
		creds  providers.Credentials
		number string
		sent   func() int
	}{
		"twilio": {providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: twiliotest.SandboxAuthToken}, twiliotest.SandboxNumberSF, tw.Reads},
		"plivo":  {providers.Credentials{AccountID: plivotest.SandboxAuthID, Secret: plivotest.SandboxAuthToken}, plivotest.SandboxNumber1, pl.Reads},
		"telnyx": {providers.Credentials{Secret: telnyxtest.SandboxAPIKey}, telnyxtest.SandboxNumberLondon, tx.Reads},
	}
	for _, p := range ps {
		c := cases[p.Name()]
		// One request per hour.
		l := ratelimit.New(rdb, map[string]ratelimit.Limit{p.Name(): {Rate: 1, Period: time.Hour}}, ratelimit.WithMaxWait(0))
		wrapped := ratelimit.Wrap(p, l)
		if _, err := wrapped.Lookup(context.Background(), c.creds, c.number); err != nil {
			t.Fatalf("%s: first lookup: %v", p.Name(), err)
		}
		_, err := wrapped.Lookup(context.Background(), c.creds, c.number)
		if !errors.Is(err, ratelimit.ErrLimited) {
			t.Fatalf("%s: second lookup: %v, want refused by the limiter", p.Name(), err)
		}
		if n := c.sent(); n != 1 {
			t.Errorf("%s: the simulator got %d requests, want 1", p.Name(), n)
		}
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	counted := regexp.MustCompile(`(?m)^switchboard_provider_http_requests_total\{.*provider="(\w+)",status="(\d+)"\} (\d+)$`)
	got := map[string]string{}
	for _, m := range counted.FindAllStringSubmatch(string(body), -1) {
		got[m[1]] += m[2] + ":" + m[3] + " "
	}
	for name := range cases {
		if strings.TrimSpace(got[name]) != "200:1" {
			t.Errorf("%s: HTTP metrics %q, want one request answered 200 (the refusal never reached the provider)", name, got[name])
		}
	}
}

// TestProviderTimeout: SWITCHBOARD_PROVIDER_TIMEOUT bounds every adapter's
// requests. Against simulators that never answer, each lookup gives up
// after the configured timeout with a transient error (retried like an
// outage), not after the 15 s default.
func TestProviderTimeout(t *testing.T) {
	tw, pl, tx := twiliotest.NewSandbox(), plivotest.NewSandbox(), telnyxtest.NewSandbox()
	for _, err := range []error{tw.SetFaults(twiliotest.Faults{TimeoutRate: 1}), pl.SetFaults(plivotest.Faults{TimeoutRate: 1}), tx.SetFaults(telnyxtest.Faults{TimeoutRate: 1})} {
		if err != nil {
			t.Fatal(err)
		}
	}
	serve := func(h http.Handler, close func()) string {
		srv := httptest.NewServer(h)
		t.Cleanup(func() { close(); srv.Close() })
		return srv.URL
	}
	s := &settings{twilioBaseURL: serve(tw, tw.Close), plivoBaseURL: serve(pl, pl.Close), telnyxBaseURL: serve(tx, tx.Close), providerTimeout: "300ms"}
	tune, err := s.tuning()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := newProviders(s, tune.providerTimeout, telemetry.New())
	if err != nil {
		t.Fatal(err)
	}
	creds := map[string]providers.Credentials{
		"twilio": {AccountID: twiliotest.SandboxAccountSID, Secret: twiliotest.SandboxAuthToken},
		"plivo":  {AccountID: plivotest.SandboxAuthID, Secret: plivotest.SandboxAuthToken},
		"telnyx": {Secret: telnyxtest.SandboxAPIKey},
	}
	for _, p := range ps {
		start := time.Now()
		_, err := p.Lookup(context.Background(), creds[p.Name()], "+12125551234")
		took := time.Since(start)
		if k, ok := providers.KindOf(err); !ok || k != providers.KindTransient {
			t.Errorf("%s: %v, want a transient provider error", p.Name(), err)
		}
		if took > 5*time.Second {
			t.Errorf("%s: gave up after %v, want about 300ms", p.Name(), took)
		}
	}
	for _, bad := range []string{"0s", "-1s", "soon"} {
		if _, err := (&settings{providerTimeout: bad}).tuning(); err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_PROVIDER_TIMEOUT") {
			t.Errorf("SWITCHBOARD_PROVIDER_TIMEOUT=%s: %v, want refused naming the variable", bad, err)
		}
	}
}
