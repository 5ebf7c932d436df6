package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/switchboardhq/switchboard/providers"
)

// KeyPrefix starts every Redis key the limiter writes, so operators can
// find them (SCAN switchboard:rl:*) and Redis ACLs can grant them.
const KeyPrefix = "switchboard:rl:"

// Key kinds, one per mechanism.
const (
	kindGCRA  = "gcra"
	kindPause = "pause"
	kindSem   = "sem"
)

// key is the Redis key of one mechanism for one provider account:
// switchboard:rl:<kind>:{<provider>:<digest>}. The braces are a Redis
// Cluster hash tag: the three keys of one account share a hash slot, as
// the decision script, which touches all three, requires. The account is
// hashed: keys stay opaque, and when the account is identified by a
// digest of a secret (AccountOf) nothing derived from it in clear reaches
// Redis either.
func key(kind, provider, account string) string {
	sum := sha256.Sum256([]byte(account))
	return KeyPrefix + kind + ":{" + provider + ":" + hex.EncodeToString(sum[:16]) + "}"
}

// AccountOf is the account identity the limiter keys creds on: the
// AccountID, or, for providers without one (Telnyx authenticates with an
// API key alone), a digest of the secret. It is never the secret itself,
// and is safe to log.
func AccountOf(creds providers.Credentials) string {
	if creds.AccountID != "" {
		return creds.AccountID
	}
	// The "secret:" domain keeps a digest from colliding with an account
	// id; an API key is high-entropy, so the digest does not reveal it.
	sum := sha256.Sum256([]byte("secret:" + creds.Secret))
	return "key-sha256:" + hex.EncodeToString(sum[:16])
}
