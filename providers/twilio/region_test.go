package twilio_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/internal/openapicheck"
	"github.com/switchboardhq/switchboard/providers/twilio"
	tt "github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// hosts records the host each request was addressed to before it is
// rewritten to the simulator.
type hosts struct {
	mu   sync.Mutex
	seen []string
	next http.RoundTripper
}

func (h *hosts) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.seen = append(h.seen, r.URL.Host)
	h.mu.Unlock()
	return h.next.RoundTrip(r)
}

// TestRegionPicksTheHost: a connection's Twilio Region sends its requests
// to the region's host with the edge Twilio pairs it with
// (api.dublin.ie1.twilio.com); none stays on api.twilio.com (US1), even
// with TWILIO_REGION and TWILIO_EDGE set in the environment, which the SDK
// would otherwise apply to every connection. An unknown region is refused
// before any request.
func TestRegionPicksTheHost(t *testing.T) {
	t.Setenv("TWILIO_REGION", "au1")
	t.Setenv("TWILIO_EDGE", "sydney")
	sim := tt.NewSandbox()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	rec := &hosts{next: &openapicheck.Rewrite{Scheme: u.Scheme, Host: u.Host}}
	a, err := twilio.New(twilio.Options{Transport: rec, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for region, host := range map[string]string{
		"":    "api.twilio.com",
		"ie1": "api.dublin.ie1.twilio.com",
		"au1": "api.sydney.au1.twilio.com",
		"jp1": "api.tokyo.jp1.twilio.com",
	} {
		c := creds
		c.Region = region
		rec.seen = nil
		if _, err := a.Lookup(context.Background(), c, tt.SandboxNumberDC); err != nil {
			t.Fatalf("region %q: %v", region, err)
		}
		if len(rec.seen) != 1 || rec.seen[0] != host {
			t.Errorf("region %q: requests to %v, want %s", region, rec.seen, host)
		}
	}
	rec.seen = nil
	c := creds
	c.Region = "dublin"
	_, err = a.Lookup(context.Background(), c, tt.SandboxNumberDC)
	if k, _ := providers.KindOf(err); k != providers.KindBadRequest || len(rec.seen) != 0 {
		t.Errorf("unknown region: %v after %d requests, want a bad request before any", err, len(rec.seen))
	}
}
