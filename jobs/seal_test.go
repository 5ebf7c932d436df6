package jobs_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/jobs"
)

// rawKey is a distinct, recognisable 32-byte key per seed.
func rawKey(seed byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = seed + byte(i)*7
	}
	return k
}

func stdKey(seed byte) string { return base64.StdEncoding.EncodeToString(rawKey(seed)) }

func mustRing(t testing.TB, s string) *jobs.KeyRing {
	t.Helper()
	kr, err := jobs.ParseKeyRing(s)
	if err != nil {
		t.Fatalf("ParseKeyRing: %v", err)
	}
	return kr
}

func TestParseKeyRingAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		primary string
	}{
		{"std base64", "k1:" + stdKey(1), "k1"},
		{"raw url base64", "k1:" + base64.RawURLEncoding.EncodeToString(rawKey(0xf0)), "k1"},
		{"id charset", "Ab_9-z:" + stdKey(1), "Ab_9-z"},
		{"id charset bounds", "aZ0-_zA9:" + stdKey(1), "aZ0-_zA9"},
		{"32 char id", strings.Repeat("x", 32) + ":" + stdKey(1), strings.Repeat("x", 32)},
		{"list, first is primary", "new:" + stdKey(1) + ",old:" + stdKey(2), "new"},
		{"list with spaces", " new:" + stdKey(1) + " , old:" + stdKey(2) + " ", "new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kr, err := jobs.ParseKeyRing(tt.in)
			if err != nil {
				t.Fatalf("ParseKeyRing(%q): %v", tt.in, err)
			}
			if got := kr.PrimaryKeyID(); got != tt.primary {
				t.Errorf("PrimaryKeyID() = %q, want %q", got, tt.primary)
			}
			s, err := kr.Seal([]byte("x"), "p")
			if err != nil {
				t.Fatal(err)
			}
			if got := s.KeyID(); got != tt.primary {
				t.Errorf("Seal KeyID() = %q, want %q", got, tt.primary)
			}
		})
	}
}

func TestParseKeyRingRawURLKeyIsSameKey(t *testing.T) {
	t.Parallel()
	// The same key bytes in either encoding must open each other's values.
	// The key is chosen so its std encoding contains + and /.
	key := bytes.Repeat([]byte{0xfb, 0xff, 0xbf}, 11)[:32]
	std := mustRing(t, "k:"+base64.StdEncoding.EncodeToString(key))
	url := mustRing(t, "k:"+base64.RawURLEncoding.EncodeToString(key))
	s, err := std.Seal([]byte("hello"), "p")
	if err != nil {
		t.Fatal(err)
	}
	got, err := url.Open(s, "p")
	if err != nil || string(got) != "hello" {
		t.Fatalf("Open = %q, %v; want hello", got, err)
	}
}

func TestParseKeyRingRejects(t *testing.T) {
	t.Parallel()
	short := base64.StdEncoding.EncodeToString(rawKey(3)[:31])
	long := base64.StdEncoding.EncodeToString(append(rawKey(4), 0))
	aes128 := base64.StdEncoding.EncodeToString(rawKey(7)[:16])
	aes192 := base64.StdEncoding.EncodeToString(rawKey(8)[:24])
	good := stdKey(5)
	tests := []struct {
		name string
		in   string
		key  string // key material that must not appear in the error
	}{
		{"empty", "", ""},
		{"blank", "   ", ""},
		{"no id", good, good},
		{"empty id", ":" + good, good},
		{"id too long", strings.Repeat("x", 33) + ":" + good, good},
		{"id with dot", "k.1:" + good, good},
		{"id with space", "k 1:" + good, good},
		{"id with unicode", "kä:" + good, good},
		{"short key", "k1:" + short, short},
		{"long key", "k1:" + long, long},
		// AES accepts 16- and 24-byte keys too; the ring promises AES-256.
		{"AES-128 key", "k1:" + aes128, aes128},
		{"AES-192 key", "k1:" + aes192, aes192},
		{"not base64", "k1:" + good[:20] + "!!" + good[22:], good[:20]},
		{"empty key", "k1:", ""},
		{"duplicate id", "k1:" + good + ",k1:" + stdKey(6), stdKey(6)},
		{"duplicate id same key", "k1:" + good + ",k1:" + good, good},
		{"trailing comma", "k1:" + good + ",", good},
		{"bad second key", "k1:" + good + ",k2:" + short, short},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kr, err := jobs.ParseKeyRing(tt.in)
			if err == nil {
				t.Fatalf("ParseKeyRing(%q) = %v, nil; want an error", tt.in, kr)
			}
			if tt.key != "" && strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q contains key material", err)
			}
			if strings.Contains(err.Error(), good) {
				t.Errorf("error %q contains the first key", err)
			}
			if (tt.key == aes128 || tt.key == aes192) && !strings.Contains(err.Error(), "32 bytes") {
				t.Errorf("error %q does not say a key is 32 bytes", err)
			}
		})
	}
}

func TestGenerateKeyParses(t *testing.T) {
	t.Parallel()
	a, b := jobs.GenerateKey(), jobs.GenerateKey()
	if a == b {
		t.Fatalf("GenerateKey returned %q twice", a)
	}
	kr := mustRing(t, a)
	id, _, _ := strings.Cut(a, ":")
	if kr.PrimaryKeyID() != id {
		t.Errorf("PrimaryKeyID() = %q, want %q", kr.PrimaryKeyID(), id)
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, "k1:"+stdKey(1))
	for _, plain := range [][]byte{{}, []byte("x"), []byte("a longer secret value"), bytes.Repeat([]byte{0}, 4096)} {
		s, err := kr.Seal(plain, "purpose")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(s), "k1:") {
			t.Errorf("sealed %q does not start with the key id", s)
		}
		got, err := kr.Open(s, "purpose")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("Open = %q, want %q", got, plain)
		}
	}
}

func TestSealIsRandomized(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, "k1:"+stdKey(1))
	a, err := kr.Seal([]byte("same"), "p")
	if err != nil {
		t.Fatal(err)
	}
	b, err := kr.Seal([]byte("same"), "p")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("sealing the same plaintext twice gave %q both times", a)
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := stdKey(1), stdKey(2)
	before := mustRing(t, "old:"+oldKey)
	sealedOld, err := before.Seal([]byte("secret"), "p")
	if err != nil {
		t.Fatal(err)
	}
	if got := sealedOld.KeyID(); got != "old" {
		t.Fatalf("KeyID() = %q, want old", got)
	}

	after := mustRing(t, "new:"+newKey+",old:"+oldKey)
	got, err := after.Open(sealedOld, "p")
	if err != nil || string(got) != "secret" {
		t.Fatalf("Open(old value) after rotation = %q, %v; want secret", got, err)
	}
	sealedNew, err := after.Seal([]byte("secret"), "p")
	if err != nil {
		t.Fatal(err)
	}
	if got := sealedNew.KeyID(); got != "new" {
		t.Errorf("KeyID() of a value sealed after rotation = %q, want new", got)
	}

	// Once the old key is retired, values it sealed no longer open, and the
	// new key's values never opened with the old ring.
	retired := mustRing(t, "new:"+newKey)
	if _, err := retired.Open(sealedOld, "p"); !errors.Is(err, jobs.ErrUnknownKey) {
		t.Errorf("Open(old value) without old key: err = %v, want ErrUnknownKey", err)
	}
	if _, err := before.Open(sealedNew, "p"); !errors.Is(err, jobs.ErrUnknownKey) {
		t.Errorf("Open(new value) with the old ring: err = %v, want ErrUnknownKey", err)
	}
}

func TestOpenSameIDOtherKey(t *testing.T) {
	t.Parallel()
	a := mustRing(t, "k:"+stdKey(1))
	b := mustRing(t, "k:"+stdKey(2))
	s, err := a.Seal([]byte("secret"), "p")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(s, "p"); !errors.Is(err, jobs.ErrOpen) {
		t.Errorf("Open with another key under the same id: err = %v, want ErrOpen", err)
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, "k1:"+stdKey(1))
	s, err := kr.Seal([]byte("a secret value"), "p")
	if err != nil {
		t.Fatal(err)
	}
	id, enc, _ := strings.Cut(string(s), ":")
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		t.Fatalf("sealed body is not raw url base64: %v", err)
	}
	flip := func(i int) jobs.Sealed {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		return jobs.Sealed(id + ":" + base64.RawURLEncoding.EncodeToString(b))
	}
	cut := func(n int) jobs.Sealed {
		return jobs.Sealed(id + ":" + base64.RawURLEncoding.EncodeToString(raw[:n]))
	}
	tests := []struct {
		name    string
		s       jobs.Sealed
		purpose string
	}{
		{"flipped nonce byte", flip(0), "p"},
		{"flipped ciphertext byte", flip(len(raw) / 2), "p"},
		{"flipped tag byte", flip(len(raw) - 1), "p"},
		{"truncated by one byte", cut(len(raw) - 1), "p"},
		{"truncated to the nonce", cut(12), "p"},
		{"truncated inside the nonce", cut(5), "p"},
		{"truncated text", s[:len(s)-1], "p"},
		{"empty body", jobs.Sealed(id + ":"), "p"},
		{"wrong purpose", s, "other"},
		{"empty purpose", s, ""},
		{"no separator", jobs.Sealed("garbage"), "p"},
		{"empty", "", "p"},
		{"not base64", jobs.Sealed(id + ":!!!not base64!!!"), "p"},
		{"std base64 with padding", jobs.Sealed(id + ":" + base64.StdEncoding.EncodeToString(raw[:len(raw)-1])), "p"},
		{"appended bytes", jobs.Sealed(id + ":" + base64.RawURLEncoding.EncodeToString(append(bytes.Clone(raw), 0))), "p"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := kr.Open(tt.s, tt.purpose)
			if !errors.Is(err, jobs.ErrOpen) {
				t.Errorf("Open(%q, %q) = %q, %v; want ErrOpen", tt.s, tt.purpose, got, err)
			}
			if got != nil {
				t.Errorf("Open returned plaintext %q with an error", got)
			}
		})
	}
}

func TestOpenUnknownKey(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, "k1:"+stdKey(1))
	other := mustRing(t, "k2:"+stdKey(1)) // same key bytes, other id
	s, err := other.Seal([]byte("x"), "p")
	if err != nil {
		t.Fatal(err)
	}
	_, err = kr.Open(s, "p")
	if !errors.Is(err, jobs.ErrUnknownKey) {
		t.Fatalf("Open: err = %v, want ErrUnknownKey", err)
	}
	if errors.Is(err, jobs.ErrOpen) {
		t.Errorf("Open: err = %v is also ErrOpen", err)
	}
}

func TestSealCredentials(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, "k1:"+stdKey(1))
	in := jobs.Credentials{AccountID: "AC0123456789abcdef", Secret: "s3cr3t-auth-token"}
	s, err := kr.SealCredentials(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{in.Secret, in.AccountID} {
		if strings.Contains(string(s), part) {
			t.Errorf("sealed credentials %q contain %q", s, part)
		}
	}
	got, err := kr.OpenCredentials(s)
	if err != nil {
		t.Fatalf("OpenCredentials: %v", err)
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("OpenCredentials (-want +got):\n%s", diff)
	}

	// A value sealed for another purpose is not credentials, even if it
	// holds credential-shaped JSON.
	b, _ := json.Marshal(in)
	other, err := kr.Seal(b, "something else")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.OpenCredentials(other); !errors.Is(err, jobs.ErrOpen) {
		t.Errorf("OpenCredentials(other purpose): err = %v, want ErrOpen", err)
	}
	if _, err := kr.Open(s, "something else"); !errors.Is(err, jobs.ErrOpen) {
		t.Errorf("Open(credentials, other purpose): err = %v, want ErrOpen", err)
	}
}

// credentialsPurpose is part of the stored format: credentials sealed into
// the database years ago must still open, so it never changes.
const credentialsPurpose = "switchboard credentials v1"

func TestCredentialsFormatIsStable(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, "k1:"+stdKey(1))
	s, err := kr.Seal([]byte(`{"account_id":"AC1","secret":"tok"}`), credentialsPurpose)
	if err != nil {
		t.Fatal(err)
	}
	got, err := kr.OpenCredentials(s)
	if err != nil {
		t.Fatalf("OpenCredentials: %v", err)
	}
	if diff := cmp.Diff(jobs.Credentials{AccountID: "AC1", Secret: "tok"}, got); diff != "" {
		t.Errorf("OpenCredentials (-want +got):\n%s", diff)
	}
	sealed, err := kr.SealCredentials(got)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Open(sealed, credentialsPurpose); err != nil {
		t.Errorf("SealCredentials no longer seals for %q: %v", credentialsPurpose, err)
	}
}

func TestOpenCredentialsRejectsGarbage(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, "k1:"+stdKey(1))
	notJSON, err := kr.Seal([]byte("not json"), credentialsPurpose)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := kr.OpenCredentials(notJSON); !errors.Is(err, jobs.ErrOpen) || c != (jobs.Credentials{}) {
		t.Errorf("OpenCredentials(sealed non-JSON) = %v, %v; want zero, ErrOpen", c, err)
	}
	if c, err := kr.OpenCredentials("k1:AAAA"); !errors.Is(err, jobs.ErrOpen) || c != (jobs.Credentials{}) {
		t.Errorf("OpenCredentials(garbage) = %v, %v; want zero, ErrOpen", c, err)
	}
	if _, err := kr.OpenCredentials("k9:AAAA"); !errors.Is(err, jobs.ErrUnknownKey) {
		t.Errorf("OpenCredentials(unknown key): err = %v, want ErrUnknownKey", err)
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	a := mustRing(t, "a:"+stdKey(1))
	a2 := mustRing(t, "other-id:"+stdKey(1))
	b := mustRing(t, "a:"+stdKey(2))

	fp := a.Fingerprint("x", "y")
	if len(fp) != 32 || strings.Trim(fp, "0123456789abcdef") != "" {
		t.Errorf("Fingerprint = %q, want 32 lowercase hex digits", fp)
	}
	if got := a.Fingerprint("x", "y"); got != fp {
		t.Errorf("Fingerprint not deterministic: %q then %q", fp, got)
	}
	if got := a2.Fingerprint("x", "y"); got != fp {
		t.Errorf("Fingerprint depends on the key id, not only the key: %q vs %q", fp, got)
	}
	if got := b.Fingerprint("x", "y"); got == fp {
		t.Errorf("Fingerprint is the same under two keys: %q", got)
	}
	// The primary key decides; rotation keeps old keys only for opening.
	rot := mustRing(t, "b:"+stdKey(2)+",a:"+stdKey(1))
	if got, want := rot.Fingerprint("x", "y"), b.Fingerprint("x", "y"); got != want {
		t.Errorf("Fingerprint after rotation = %q, want the primary key's %q", got, want)
	}

	distinct := [][]string{
		{"ab", "c"}, {"a", "bc"}, {"abc"}, {"a", "b", "c"},
		{"a;", "b"}, {"a", ";b"}, {"1:a;", ""}, {"", "1:a;"},
		{}, {""}, {"", ""},
		{"y", "x"},
	}
	seen := map[string][]string{}
	for _, parts := range append(distinct, []string{"x", "y"}) {
		got := a.Fingerprint(parts...)
		if prev, ok := seen[got]; ok {
			t.Errorf("Fingerprint(%q) == Fingerprint(%q) = %q", parts, prev, got)
		}
		seen[got] = parts
	}
}

func TestFingerprintDoesNotRevealParts(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, "a:"+stdKey(1))
	fp := kr.Fingerprint("s3cr3t")
	if strings.Contains(fp, "s3cr3t") || strings.Contains(fp, fmt.Sprintf("%x", "s3cr3t")) {
		t.Errorf("Fingerprint %q reveals its input", fp)
	}
}

func TestCredentialsRedacted(t *testing.T) {
	t.Parallel()
	const secret = "tok-9f8e7d6c5b4a"
	c := jobs.Credentials{AccountID: "AC42", Secret: secret}
	req := jobs.AddPhoneRequest{OrgID: 1, UserID: "u", PhoneNumber: "+12125551234", Provider: jobs.ProviderTwilio, Credentials: c}

	outputs := map[string]string{
		"String":   c.String(),
		"GoString": c.GoString(),
		"%v":       fmt.Sprintf("%v", c),
		"%+v":      fmt.Sprintf("%+v", c),
		"%#v":      fmt.Sprintf("%#v", c),
		"%s":       fmt.Sprintf("%s", c),
		"%q":       fmt.Sprintf("%q", c),
		"Sprint":   fmt.Sprint(c),
		"Sprintln": fmt.Sprintln(c),
		"%v ptr":   fmt.Sprintf("%v", &c),
		"%+v ptr":  fmt.Sprintf("%+v", &c),
		"%#v ptr":  fmt.Sprintf("%#v", &c),
		"%v req":   fmt.Sprintf("%v", req),
		"%+v req":  fmt.Sprintf("%+v", req),
		"%#v req":  fmt.Sprintf("%#v", req),
	}

	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("creds", "credentials", c)
	log.Info("creds", slog.Any("credentials", c), slog.Any("ptr", &c))
	log.Info("group", slog.Group("g", "credentials", c))
	outputs["slog JSON"] = buf.String()

	var text bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("creds", "credentials", c)
	outputs["slog text"] = text.String()

	for name, out := range outputs {
		if strings.Contains(out, secret) {
			t.Errorf("%s prints the secret: %s", name, out)
		}
		if !strings.Contains(out, "AC42") {
			t.Errorf("%s drops the account id: %s", name, out)
		}
	}

	// The JSON log keeps a readable shape.
	var rec struct {
		Credentials map[string]string `json:"credentials"`
	}
	line, _, _ := strings.Cut(outputs["slog JSON"], "\n")
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("slog JSON: %v", err)
	}
	want := map[string]string{"account_id": "AC42", "secret": "[redacted]"}
	if diff := cmp.Diff(want, rec.Credentials); diff != "" {
		t.Errorf("slog JSON credentials (-want +got):\n%s", diff)
	}
}

// TestConnectionAccount: the account a connection is stored under. Twilio
// and Plivo name their account; a Twilio region is another account; a
// Telnyx key is known only by a keyed fingerprint, one per key, never the
// key itself.
func TestConnectionAccount(t *testing.T) {
	t.Parallel()
	kr := mustRing(t, "k1:"+stdKey(1))
	for _, c := range []struct {
		provider string
		creds    jobs.Credentials
		want     string
	}{
		{jobs.ProviderTwilio, jobs.Credentials{AccountID: "AC0123456789", Secret: testSecret}, "AC0123456789"},
		{jobs.ProviderTwilio, jobs.Credentials{AccountID: "AC0123456789", Secret: testSecret, Region: "ie1"}, "AC0123456789@ie1"},
		{jobs.ProviderPlivo, jobs.Credentials{AccountID: "MA0123456789", Secret: testSecret}, "MA0123456789"},
	} {
		if got := kr.ConnectionAccount(c.provider, c.creds); got != c.want {
			t.Errorf("ConnectionAccount(%s, %s region %q) = %q, want %q", c.provider, c.creds.AccountID, c.creds.Region, got, c.want)
		}
	}
	one := kr.ConnectionAccount(jobs.ProviderTelnyx, jobs.Credentials{Secret: "KEY0123456789ABCDEF"})
	again := kr.ConnectionAccount(jobs.ProviderTelnyx, jobs.Credentials{Secret: "KEY0123456789ABCDEF", Region: "ie1"})
	other := kr.ConnectionAccount(jobs.ProviderTelnyx, jobs.Credentials{Secret: "KEY0123456789ABCDEG"})
	if !strings.HasPrefix(one, "key-") || len(one) != len("key-")+32 || strings.Contains(one, "KEY0123456789") {
		t.Errorf("Telnyx connection account %q, want key- and a 128-bit hex fingerprint, without the key", one)
	}
	if one != again || one == other {
		t.Errorf("Telnyx accounts: %q, same key %q, other key %q; want one per key", one, again, other)
	}
}
