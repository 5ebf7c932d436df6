package jobs

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sealed is an AES-256-GCM ciphertext prefixed with the id of the key that
// sealed it: "<key id>:<base64url(nonce || ciphertext)>". The prefix lets a
// KeyRing hold old keys for opening while sealing with a new one.
type Sealed string

// ErrUnknownKey means a Sealed value names a key id that the KeyRing does
// not hold (a key was rotated out too early, or the value is foreign).
var ErrUnknownKey = errors.New("jobs: sealed with an unknown key id")

// ErrOpen means a Sealed value could not be authenticated: it was tampered
// with, truncated, or sealed for another purpose.
var ErrOpen = errors.New("jobs: sealed value does not open")

// KeyRing seals and opens secrets with AES-256-GCM. The first key is the
// primary: it seals everything new. The others only open values sealed
// before a rotation. A KeyRing is safe for concurrent use.
type KeyRing struct {
	primary string
	aeads   map[string]cipher.AEAD
	idKey   []byte // HMAC key for deterministic task ids, derived from the primary key
}

// ParseKeyRing reads a key ring from its text form, a comma-separated list
// of "<id>:<base64 32-byte key>" with the primary key first, as found in
// SWITCHBOARD_SECRET_KEY. Ids are 1 to 32 characters of [A-Za-z0-9_-].
// The error never contains key material.
func ParseKeyRing(s string) (*KeyRing, error) {
	kr := &KeyRing{aeads: map[string]cipher.AEAD{}}
	for i, part := range strings.Split(s, ",") {
		id, enc, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || !validKeyID(id) {
			return nil, fmt.Errorf("jobs: key %d: want <id>:<base64 key> with an id of [A-Za-z0-9_-]{1,32}", i+1)
		}
		key, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			key, err = base64.RawURLEncoding.DecodeString(enc)
		}
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("jobs: key %q: want 32 bytes, base64-encoded", id)
		}
		if _, dup := kr.aeads[id]; dup {
			return nil, fmt.Errorf("jobs: key id %q appears twice", id)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("jobs: key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("jobs: key %q: %w", id, err)
		}
		kr.aeads[id] = aead
		if i == 0 {
			kr.primary = id
			mac := hmac.New(sha256.New, key)
			mac.Write([]byte("switchboard task id"))
			kr.idKey = mac.Sum(nil)
		}
	}
	return kr, nil
}

// GenerateKey returns a new random key in the text form ParseKeyRing reads,
// with an id derived from today's date.
func GenerateKey() string {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "k" + time.Now().UTC().Format("20060102") + ":" + base64.StdEncoding.EncodeToString(key)
}

func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > 32 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// PrimaryKeyID is the id of the key new values are sealed with.
func (k *KeyRing) PrimaryKeyID() string { return k.primary }

// Seal encrypts plaintext with the primary key. purpose is authenticated but
// not stored: a value only opens with the purpose it was sealed for, so a
// sealed credential cannot be replayed as another kind of secret.
func (k *KeyRing) Seal(plaintext []byte, purpose string) (Sealed, error) {
	aead := k.aeads[k.primary]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("jobs: seal: %w", err)
	}
	out := aead.Seal(nonce, nonce, plaintext, []byte(purpose))
	return Sealed(k.primary + ":" + base64.RawURLEncoding.EncodeToString(out)), nil
}

// Open decrypts a value sealed by any key of the ring for purpose. It
// returns ErrUnknownKey or ErrOpen.
func (k *KeyRing) Open(s Sealed, purpose string) ([]byte, error) {
	id, enc, ok := strings.Cut(string(s), ":")
	if !ok {
		return nil, ErrOpen
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(raw) < aead.NonceSize() {
		return nil, ErrOpen
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(purpose))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// KeyID reports which key sealed s, so operators can find values still
// sealed with a retired key.
func (s Sealed) KeyID() string {
	id, _, _ := strings.Cut(string(s), ":")
	return id
}

const credentialsPurpose = "switchboard credentials v1"

// SealCredentials seals provider credentials for a payload or the store.
func (k *KeyRing) SealCredentials(c Credentials) (Sealed, error) {
	b, err := json.Marshal(sealedCredentials(c))
	if err != nil {
		return "", err
	}
	return k.Seal(b, credentialsPurpose)
}

// OpenCredentials opens what SealCredentials sealed.
func (k *KeyRing) OpenCredentials(s Sealed) (Credentials, error) {
	b, err := k.Open(s, credentialsPurpose)
	if err != nil {
		return Credentials{}, err
	}
	var c sealedCredentials
	if err := json.Unmarshal(b, &c); err != nil {
		return Credentials{}, ErrOpen
	}
	return Credentials(c), nil
}

// Fingerprint is a keyed hash (HMAC-SHA256, 128 bits, hex) of parts. It
// makes task ids deterministic without revealing what went into them, even
// when a part is a secret.
func (k *KeyRing) Fingerprint(parts ...string) string {
	mac := hmac.New(sha256.New, k.idKey)
	for _, p := range parts {
		fmt.Fprintf(mac, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// ConnectionAccount is the account id an org's connection for c is stored
// under, unique per org and provider. Twilio and Plivo credentials name
// their account (Account SID, Auth ID). A Telnyx API key is the only thing
// that tells one Telnyx account from another, so a Telnyx connection is
// identified by a keyed fingerprint of the key (never the key itself):
// each key of an org gets its own connection, and reconciles and unlinks
// use the key the number was added with (see docs/providers.md). Twilio's
// regions are isolated: the same Account SID's numbers and credentials in
// IE1 are another account's to switchboard ("AC…@ie1").
func (k *KeyRing) ConnectionAccount(provider string, c Credentials) string {
	if provider == ProviderTelnyx {
		return "key-" + k.Fingerprint("telnyx account", c.Secret)
	}
	if c.Region != "" {
		return c.AccountID + "@" + c.Region
	}
	return c.AccountID
}
