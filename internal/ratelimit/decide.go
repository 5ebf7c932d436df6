package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// verdict is the outcome of one limiter decision.
type verdict int

const (
	allowed   verdict = iota // go ahead (a concurrency lease is held when the Limit has MaxConcurrent)
	paused                   // the account is paused; wait is what is left of the pause
	busy                     // every concurrency slot is taken; nothing tells for how long
	rateSpent                // the rate limit is spent; wait is the time until the next token
)

// decideScript makes one limiter decision for one request to a provider
// account, in one round trip: the shared pause (KEYS[1]), then the
// concurrency semaphore (KEYS[2]), then the GCRA (KEYS[3]), and only when
// all three let the request through does it take a token and a lease.
// Nothing is taken on a refusal, so a refused caller holds nothing while
// it sleeps, and nothing needs giving back.
//
// ARGV: [1] concurrency slots (0: no cap), [2] lease ms, [3] lease id,
// [4] burst, [5] rate (0: no rate limit), [6] period in seconds.
// Returns {verdict, wait ms}.
//
// One script rather than redis_rate plus two scripts of our own: the
// decision was four round trips (pause check, semaphore acquire, GCRA,
// and the release of the slot when the GCRA refused), made for every
// request, and the steps could interleave with other workers' between
// round trips: a slot taken, then given back because the GCRA refused.
// Here the decision is atomic and costs one EVALSHA; a request that took a
// lease costs one more call (ZREM) to give it back.
//
// The GCRA is redis_rate v10's (github.com/go-redis/redis_rate/v10,
// lua.go, allowN with cost 1, itself from rwz/redis-gcra): the same
// arithmetic and the same state (the theoretical arrival time in seconds
// since 2017-01-01, as a float), so its key is readable by either.
// TestGCRAMatchesRedisRate holds the two to the same answers.
//
// Times come from the Redis clock (TIME), one clock for every worker, so
// machines with skewed clocks agree. The semaphore is a sorted set of
// lease ids scored by their expiry: expired leases, those of holders that
// crashed or hung, are dropped before counting, so a dead worker frees its
// slot when its lease runs out. The pause key holds its end (ms since the
// epoch), see pause.go.
var decideScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call("TIME")
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local pause_end = tonumber(redis.call("GET", KEYS[1]) or "0") or 0
if pause_end > now_ms then
  return {1, pause_end - now_ms}
end

local slots = tonumber(ARGV[1])
if slots > 0 then
  redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", now_ms)
  if redis.call("ZCARD", KEYS[2]) >= slots then
    return {2, 0}
  end
end

local rate = tonumber(ARGV[5])
if rate > 0 then
  local burst = tonumber(ARGV[4])
  local emission_interval = tonumber(ARGV[6]) / rate
  local burst_offset = emission_interval * burst
  -- Seconds since 2017-01-01, as redis_rate counts, to keep the float's
  -- digits for the fraction.
  local now = (tonumber(t[1]) - 1483228800) + (tonumber(t[2]) / 1000000)
  local tat = tonumber(redis.call("GET", KEYS[3]) or "")
  if not tat then
    tat = now
  end
  tat = math.max(tat, now)
  local new_tat = tat + emission_interval
  local diff = now - (new_tat - burst_offset)
  if diff < 0 then
    return {3, math.ceil(-diff * 1000)}
  end
  local reset_after = new_tat - now
  if reset_after > 0 then
    redis.call("SET", KEYS[3], new_tat, "EX", math.ceil(reset_after))
  end
end

if slots > 0 then
  local lease = tonumber(ARGV[2])
  redis.call("ZADD", KEYS[2], string.format("%d", now_ms + lease), ARGV[3])
  -- The set outlives its longest lease, then disappears with the last holder.
  if redis.call("PTTL", KEYS[2]) < lease then
    redis.call("PEXPIRE", KEYS[2], lease)
  end
end
return {0, 0}
`)

// decision is what one decideScript run answered.
type decision struct {
	verdict verdict
	wait    time.Duration
}

// decide runs decideScript for one request to the provider account under
// lim, taking a lease named leaseID for lease when lim has MaxConcurrent.
// It is exactly one Redis call.
func (l *Limiter) decide(ctx context.Context, provider, account string, lim Limit, leaseID string, lease time.Duration) (decision, error) {
	keys := []string{key(kindPause, provider, account), key(kindSem, provider, account), key(kindGCRA, provider, account)}
	res, err := decideScript.Run(ctx, l.rdb, keys,
		lim.MaxConcurrent, max(lease.Milliseconds(), 1), leaseID,
		lim.Burst, lim.Rate, lim.Period.Seconds()).Int64Slice()
	if err != nil {
		return decision{}, err
	}
	if len(res) != 2 || res[0] < int64(allowed) || res[0] > int64(rateSpent) {
		return decision{}, fmt.Errorf("ratelimit: unexpected decision %v", res)
	}
	return decision{verdict: verdict(res[0]), wait: time.Duration(res[1]) * time.Millisecond}, nil
}
