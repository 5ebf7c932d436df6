package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/redis/go-redis/v9"

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

// key is the Redis key of one mechanism for one provider account. The
// account is hashed: keys stay opaque, and when the account is identified
// by a digest of a secret (AccountOf) nothing derived from it in clear
// reaches Redis either.
func key(kind, provider, account string) string {
	sum := sha256.Sum256([]byte(account))
	return KeyPrefix + kind + ":" + provider + ":" + hex.EncodeToString(sum[:16])
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

// rateKeys is the Redis client redis_rate sees. redis_rate prefixes its
// keys with a hard-coded "rate:"; rateKeys strips it so the GCRA state
// lives under KeyPrefix with the rest of the limiter's keys.
type rateKeys struct{ rdb redis.UniversalClient }

const rateLibPrefix = "rate:"

func (r rateKeys) keys(ks []string) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = strings.TrimPrefix(k, rateLibPrefix)
	}
	return out
}

func (r rateKeys) Eval(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return r.rdb.Eval(ctx, script, r.keys(keys), args...)
}

func (r rateKeys) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return r.rdb.EvalSha(ctx, sha1, r.keys(keys), args...)
}

func (r rateKeys) EvalRO(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return r.rdb.EvalRO(ctx, script, r.keys(keys), args...)
}

func (r rateKeys) EvalShaRO(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return r.rdb.EvalShaRO(ctx, sha1, r.keys(keys), args...)
}

func (r rateKeys) ScriptExists(ctx context.Context, hashes ...string) *redis.BoolSliceCmd {
	return r.rdb.ScriptExists(ctx, hashes...)
}

func (r rateKeys) ScriptLoad(ctx context.Context, script string) *redis.StringCmd {
	return r.rdb.ScriptLoad(ctx, script)
}

func (r rateKeys) Del(ctx context.Context, keys ...string) *redis.IntCmd {
	return r.rdb.Del(ctx, r.keys(keys)...)
}
