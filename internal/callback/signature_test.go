package callback

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var (
	secret = []byte("whsec_test_secret")
	body   = []byte(`{"id":"evt_1","state":"succeeded"}`)
	sentAt = time.Unix(1_750_000_000, 0)
)

func TestSignVerifyRoundTrip(t *testing.T) {
	h := Sign(secret, sentAt, body)
	if !strings.HasPrefix(h, "t=1750000000,v1=") || len(h) != len("t=1750000000,v1=")+64 {
		t.Fatalf("Sign = %q", h)
	}
	for _, now := range []time.Time{sentAt, sentAt.Add(4 * time.Minute), sentAt.Add(-4 * time.Minute)} {
		if err := Verify(secret, h, body, now, 0); err != nil {
			t.Errorf("Verify at %v: %v", now.Sub(sentAt), err)
		}
	}
	// Spaces after commas, as some receivers' frameworks fold headers.
	if err := Verify(secret, strings.ReplaceAll(h, ",", ", "), body, sentAt, 0); err != nil {
		t.Errorf("Verify with spaces: %v", err)
	}
}

func TestVerifyRejectsTampering(t *testing.T) {
	h := Sign(secret, sentAt, body)
	cases := map[string]struct {
		secret []byte
		header string
		body   []byte
	}{
		"body changed":      {secret, h, []byte(`{"id":"evt_1","state":"failed"}`)},
		"body extended":     {secret, h, append(append([]byte{}, body...), ' ')},
		"wrong secret":      {[]byte("other"), h, body},
		"timestamp moved":   {secret, strings.Replace(h, "t=1750000000", "t=1750000001", 1), body},
		"signature flipped": {secret, h[:len(h)-1] + flip(h[len(h)-1]), body},
	}
	for name, c := range cases {
		if err := Verify(c.secret, c.header, c.body, sentAt, 0); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

func TestVerifyRejectsStale(t *testing.T) {
	h := Sign(secret, sentAt, body)
	for _, now := range []time.Time{sentAt.Add(5*time.Minute + time.Second), sentAt.Add(-6 * time.Minute), sentAt.Add(24 * time.Hour)} {
		if err := Verify(secret, h, body, now, 0); !errors.Is(err, ErrStaleSignature) {
			t.Errorf("Verify %v away: %v, want ErrStaleSignature", now.Sub(sentAt), err)
		}
	}
	if err := Verify(secret, h, body, sentAt.Add(30*time.Second), 10*time.Second); !errors.Is(err, ErrStaleSignature) {
		t.Errorf("tolerance 10s, 30s late: %v", err)
	}
}

func TestVerifyRotation(t *testing.T) {
	old, cur := []byte("old-secret"), []byte("new-secret")
	h := SignAll([][]byte{old, cur}, sentAt, body)
	if strings.Count(h, "v1=") != 2 {
		t.Fatalf("SignAll = %q, want two v1 entries", h)
	}
	for _, s := range [][]byte{old, cur} {
		if err := Verify(s, h, body, sentAt, 0); err != nil {
			t.Errorf("Verify with %s: %v", s, err)
		}
	}
	if err := Verify([]byte("third"), h, body, sentAt, 0); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify with an unrelated secret: %v", err)
	}
	// An entry of an unknown scheme is skipped, not an error.
	if err := Verify(cur, h+",v2=abc", body, sentAt, 0); err != nil {
		t.Errorf("with a v2 entry: %v", err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	sig := strings.TrimPrefix(Sign(secret, sentAt, body), "t=1750000000,")
	for _, h := range []string{
		"",
		"garbage",
		sig,                                // no timestamp
		"t=1750000000",                     // no signature
		"t=1750000000,v1=",                 // empty signature
		"t=1750000000,v1=zz" + sig[5:],     // not hex
		"t=1750000000,v1=abcd",             // too short
		"t=abc," + sig,                     // timestamp not a number
		"t=-1750000000," + sig,             // negative
		"t=+1750000000," + sig,             // not canonical
		"t=01750000000," + sig,             // not canonical
		"t=1750000000,t=1750000000," + sig, // two timestamps
		"t=1750000000,v1",                  // entry without =
	} {
		if err := Verify(secret, h, body, sentAt, 0); !errors.Is(err, ErrMalformedSignature) {
			t.Errorf("Verify(%q) = %v, want ErrMalformedSignature", h, err)
		}
	}
}

func TestVerifyErrorsHoldNoSecret(t *testing.T) {
	h := Sign(secret, sentAt, body)
	for _, err := range []error{
		Verify(secret, h, []byte("x"), sentAt, 0),
		Verify(secret, h, body, sentAt.Add(time.Hour), 0),
		Verify(secret, "t=1", body, sentAt, 0),
	} {
		if err == nil || strings.Contains(fmt.Sprint(err), string(secret)) {
			t.Errorf("err = %v", err)
		}
	}
}
