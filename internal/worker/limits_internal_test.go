package worker

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/internal/store/sqlite"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

// TestLimitsNilIsDefaultsEmptyIsNone: Params.Limits nil applies
// ratelimit.Defaults() to every provider request (one Redis call each for
// Plivo: the limiter's decision); an empty map applies none and costs no
// Redis call at all.
func TestLimitsNilIsDefaultsEmptyIsNone(t *testing.T) {
	ctx := context.Background()
	sim := plivotest.NewSandbox()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	pl, err := plivo.New(plivo.Options{BaseURL: srv.URL, Transport: ratelimit.Transport(nil), Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := jobs.ParseKeyRing(jobs.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	creds := providers.Credentials{AccountID: plivotest.SandboxAuthID, Secret: plivotest.SandboxAuthToken}

	for _, c := range []struct {
		name   string
		limits map[string]ratelimit.Limit
		want   []string
	}{
		{"nil", nil, []string{"evalsha"}},
		{"empty", map[string]ratelimit.Limit{}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			rdb := redis.NewClient(testenv.Redis(t))
			t.Cleanup(func() { rdb.Close() })
			w, err := New(Params{Store: st, Redis: rdb, Keys: keys, Providers: []providers.Provider{pl},
				WebhookBaseURL: "https://platform.example.com/hooks", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Limits: c.limits})
			if err != nil {
				t.Fatal(err)
			}
			p := w.providers[plivo.Name]
			if _, err := p.Lookup(ctx, creds, plivotest.SandboxNumber1); err != nil { // loads the limiter's script
				t.Fatal(err)
			}
			log := &testenv.CommandLog{}
			rdb.AddHook(log)
			if _, err := p.Lookup(ctx, creds, plivotest.SandboxNumber1); err != nil {
				t.Fatal(err)
			}
			if got := log.Take(); !slices.Equal(got, c.want) {
				t.Fatalf("one Plivo request sent %q to Redis, want %q", got, c.want)
			}
		})
	}
}

// TestCallbackTimeoutAsDocumented: docs/callbacks.md promises receivers 10
// seconds a delivery; without a timeout (a mutant made it 0) a receiver
// that never answers would hold a worker slot until the task's deadline.
func TestCallbackTimeoutAsDocumented(t *testing.T) {
	if callbackTimeout != 10*time.Second {
		t.Errorf("callbackTimeout = %v, want 10s as docs/callbacks.md says", callbackTimeout)
	}
}
