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
		f := &fakeProvider{name: c.provider, retryAfter: time.Minute}
		f.rateLimitOnce.Store(true)
		_ = Wrap(f, l).ValidateCredentials(ctx, c.creds) // 429: pause key
		_ = Wrap(f, l).ValidateCredentials(ctx, c.creds) // refused
	}
	if _, ok, err := l.Acquire(ctx, "twilio", AccountOf(twilio), 5); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _, err := l.Allow(ctx, "twilio", AccountOf(twilio)); !ok || err != nil {
		t.Fatal(ok, err)
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
