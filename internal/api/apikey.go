package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/switchboardhq/switchboard/internal/store"
)

// API keys look like "sbk_<id>_<secret>": the id finds the row, and only a
// SHA-256 hash of the whole key is stored and compared (in constant time).
const keyPrefix = "sbk_"

// maxAPIKeyLen bounds a presented key; switchboard's are 65 characters.
const maxAPIKeyLen = 256

// NewAPIKey makes a key for org. The plain key is returned once, for
// showing to the operator; the store keeps only k.
func NewAPIKey(orgID int64) (plain string, k store.APIKey) {
	id, secret := make([]byte, 6), make([]byte, 24)
	rand.Read(id)
	rand.Read(secret)
	plain = keyPrefix + hex.EncodeToString(id) + "_" + hex.EncodeToString(secret)
	return plain, APIKeyFor(orgID, plain)
}

// APIKeyFor is the stored form of a given plain key, for keys fixed by
// configuration (SWITCHBOARD_DEV_API_KEY). Keys without switchboard's
// shape get an id derived from their hash.
func APIKeyFor(orgID int64, plain string) store.APIKey {
	sum := sha256.Sum256([]byte(plain))
	return store.APIKey{ID: keyID(plain), OrgID: orgID, Hash: sum[:]}
}

// KeyID is the public id of a plain key: what `switchboard apikey list`
// shows and `apikey revoke` takes.
func KeyID(plain string) string { return keyID(plain) }

func keyID(plain string) string {
	if rest, ok := strings.CutPrefix(plain, keyPrefix); ok {
		if id, _, ok := strings.Cut(rest, "_"); ok && id != "" {
			return id
		}
	}
	sum := sha256.Sum256([]byte("switchboard key id:" + plain))
	return "h" + hex.EncodeToString(sum[:8])
}

// errUnauthorized is any missing, unknown or wrong key: the caller learns
// nothing about which.
var errUnauthorized = errors.New("unauthorized")

// presentedKey returns the key from whichever header the seeds use:
// X-API-Key (apps), Authorization: Bearer (add-phone), token or
// api_access_token (agents).
func presentedKey(r *http.Request) string {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	if k := r.Header.Get("token"); k != "" {
		return k
	}
	return r.Header.Get("api_access_token")
}

// authenticate returns the org the request's key belongs to.
func authenticate(ctx context.Context, st store.Store, r *http.Request) (int64, error) {
	plain := presentedKey(r)
	// A key is printable ASCII: anything else (a NUL, bytes that are not
	// UTF-8, which PostgreSQL refuses outright) cannot be one, and is
	// refused before the database sees it.
	if plain == "" || len(plain) > maxAPIKeyLen || strings.IndexFunc(plain, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
		return 0, errUnauthorized
	}
	k, err := st.GetAPIKey(ctx, keyID(plain))
	if errors.Is(err, store.ErrNotFound) {
		return 0, errUnauthorized
	}
	if err != nil {
		return 0, err
	}
	sum := sha256.Sum256([]byte(plain))
	if subtle.ConstantTimeCompare(sum[:], k.Hash) != 1 {
		return 0, errUnauthorized
	}
	return k.OrgID, nil
}
