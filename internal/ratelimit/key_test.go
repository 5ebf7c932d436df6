package ratelimit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

func TestKeysAreOpaque(t *testing.T) {
	ctx := context.Background()
	rdb := machines(t, 1)[0]
	l := New(rdb, Defaults())
	twilio := providers.Credentials{AccountID: "ACdeadbeefcafe0123456789", Secret: "twilio-auth-token-42"}
	telnyx := providers.Credentials{Secret: "KEY017F-telnyx-api-key"}
	for _, c := range []struct {
		provider string
		creds    providers.Credentials
	}{{"twilio", twilio}, {"telnyx", telnyx}, {"plivo", providers.Credentials{AccountID: "MAZJKYMDKWNGRLODBKNT", Secret: "plivo-token-99"}}} {
		f := newFake(c.provider)
		f.retryAfter = time.Minute
		f.rateLimitNext.Store(1)
		_ = Wrap(f, l).ValidateCredentials(ctx, c.creds) // 429: pause key
		_ = Wrap(f, l).ValidateCredentials(ctx, c.creds) // refused
	}
	// A slot held (semaphore key) and a token taken (GCRA key).
	if _, err := l.Wait(ctx, "twilio", AccountOf(providers.Credentials{AccountID: "ACdeadbeefcafe0123456789"}), "lookup"); err == nil {
		t.Fatal("paused account: want a refusal")
	}
	other := providers.Credentials{AccountID: "ACdeadbeefcafe9999", Secret: "twilio-auth-token-43"}
	if _, err := l.Wait(ctx, "twilio", AccountOf(other), "lookup"); err != nil {
		t.Fatal(err)
	}

	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, KeyPrefix) {
			t.Errorf("key %q outside %s", k, KeyPrefix)
		}
		kinds[strings.Split(strings.TrimPrefix(k, KeyPrefix), ":")[0]] = true
		for _, clear := range []string{"ACdeadbeef", "twilio-auth", "KEY017F", "telnyx-api", "MAZJKY", "plivo-token"} {
			if strings.Contains(k, clear) {
				t.Errorf("key %q holds %q in clear", k, clear)
			}
		}
		v, _ := rdb.Type(ctx, k).Result()
		if v == "string" {
			val, _ := rdb.Get(ctx, k).Result()
			if strings.Contains(val, "AC") || strings.Contains(val, "KEY") {
				t.Errorf("key %q value %q", k, val)
			}
		}
	}
	for _, want := range []string{kindGCRA, kindPause, kindSem} {
		if !kinds[want] {
			t.Errorf("no %s key among %q", want, keys)
		}
	}
}

// TestAccountKeysShareHashSlot: the decision script touches an account's
// pause, semaphore and GCRA keys at once, which Redis Cluster allows only
// within one hash slot: the keys share their {hash tag}, and accounts do
// not.
func TestAccountKeysShareHashSlot(t *testing.T) {
	tag := func(k string) string {
		i, j := strings.IndexByte(k, '{'), strings.IndexByte(k, '}')
		if i < 0 || j < i+2 {
			t.Fatalf("key %q has no hash tag", k)
		}
		return k[i+1 : j]
	}
	a := tag(key(kindPause, "twilio", "AC1"))
	for _, kind := range []string{kindSem, kindGCRA} {
		if got := tag(key(kind, "twilio", "AC1")); got != a {
			t.Errorf("%s key tagged %q, pause key %q", kind, got, a)
		}
	}
	if tag(key(kindPause, "twilio", "AC2")) == a || tag(key(kindPause, "plivo", "AC1")) == a {
		t.Error("accounts share a hash tag: one slot would hold every account")
	}
}

func TestAccountOf(t *testing.T) {
	if got := AccountOf(providers.Credentials{AccountID: "AC1", Secret: "s"}); got != "AC1" {
		t.Errorf("AccountOf with an AccountID = %q", got)
	}
	a := AccountOf(providers.Credentials{Secret: "KEY-one"})
	b := AccountOf(providers.Credentials{Secret: "KEY-two"})
	if a == b || strings.Contains(a, "KEY") || a != AccountOf(providers.Credentials{Secret: "KEY-one"}) {
		t.Errorf("AccountOf by secret: %q, %q", a, b)
	}
}
