package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// acquireScript takes one of ARGV[1] slots of the semaphore KEYS[1] for
// ARGV[2] ms under the lease id ARGV[3]. The semaphore is a sorted set of
// lease ids scored by their expiry on the Redis clock (one clock for every
// machine). Expired leases, those of holders that crashed or hung, are
// dropped before counting, so a dead worker frees its slot when its lease
// runs out. Returns 1 when the slot was taken, else 0.
var acquireScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now)
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call("ZADD", KEYS[1], string.format("%d", now + lease), ARGV[3])
-- The set outlives its longest lease, then disappears with the last holder.
if redis.call("PTTL", KEYS[1]) < lease then
  redis.call("PEXPIRE", KEYS[1], lease)
end
return 1
`)

// Acquire takes one of slots concurrency slots of the provider account. On
// success release gives the slot back (call it once the provider call is
// done; it is safe to call more than once); ok is false when every slot is
// taken. A slot whose holder never releases it (a crash) frees itself when
// its lease ends: the lease is LeaseTTL, or shorter when ctx's deadline is
// nearer, since the call cannot outlive it.
func (l *Limiter) Acquire(ctx context.Context, provider, account string, slots int) (release func(), ok bool, err error) {
	lease := l.leaseTTL
	if dl, has := ctx.Deadline(); has {
		// A second of slack covers the gap between the deadline firing
		// and the release reaching Redis.
		lease = min(lease, time.Until(dl)+time.Second)
	}
	id := leaseID()
	k := key(kindSem, provider, account)
	got, err := acquireScript.Run(ctx, l.rdb, []string{k}, slots, max(lease.Milliseconds(), 1), id).Int()
	if err != nil || got != 1 {
		return nil, false, err
	}
	var once sync.Once
	return func() {
		once.Do(func() { l.release(ctx, k, id) })
	}, true, nil
}

func (l *Limiter) release(ctx context.Context, k, id string) {
	// The call's ctx may be done by now; the release must still reach
	// Redis, or the slot stays taken until the lease expires.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	l.rdb.ZRem(rctx, k, id)
}

// InFlight counts the provider account's unexpired leases.
func (l *Limiter) InFlight(ctx context.Context, provider, account string) (int, error) {
	now, err := l.rdb.Time(ctx).Result()
	if err != nil {
		return 0, err
	}
	n, err := l.rdb.ZCount(ctx, key(kindSem, provider, account), "("+strconv.FormatInt(now.UnixMilli(), 10), "+inf").Result()
	return int(n), err
}

func leaseID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
