package worker

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// Route locks serialize, across every worker, the provider operations that
// may create an application for one route of one provider account. Adapters
// list an application by name before creating it, but two workers doing so
// at the same moment would both find nothing and both create one; holding
// the route's lock around lookup-and-ensure makes the second worker find
// the first one's application.
//
// The lock is a Redis key with a random token and an expiry longer than
// any operation it guards can take (every provider request has its own
// timeout and an operation makes at most four), released only by its
// holder.
const (
	routeLockTTL  = 90 * time.Second
	routeLockWait = 20 * time.Second
)

// releaseScript deletes the lock only if it still holds our token.
var releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// withRouteLock runs fn holding the lock of route on creds' account. When
// the lock stays taken for routeLockWait, the job is retried later.
func (w *Worker) withRouteLock(ctx context.Context, provider string, creds providers.Credentials, route string, fn func() error) error {
	sum := sha256.Sum256([]byte(provider + "\x00" + ratelimit.AccountOf(creds) + "\x00" + route))
	key := "switchboard:lock:route:" + hex.EncodeToString(sum[:16])
	b := make([]byte, 16)
	rand.Read(b)
	token := hex.EncodeToString(b)

	wait := time.NewTimer(routeLockWait)
	defer wait.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := w.rdb.SetNX(ctx, key, token, routeLockTTL).Result()
		if err != nil {
			return internalError(err)
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wait.C:
			return &jobError{Code: jobs.CodeProviderUnavailable, Message: "another worker is configuring this route; retrying"}
		case <-tick.C:
		}
	}
	defer releaseScript.Run(context.WithoutCancel(ctx), w.rdb, []string{key}, token)
	return fn()
}
