package ratelimit

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// A pause is a key holding its end on the Redis clock (ms since the epoch),
// set to expire then (PX) so it cleans itself up. The scripts read the
// clock from Redis, like the decision script (which is what checks the
// pause before every request), so machines with skewed clocks agree on
// when a pause ends.

// pauseScript extends the pause KEYS[1] to end ARGV[1] ms from now, unless
// it already ends later, and returns the pause in force (ms). Comparing and
// setting in one script keeps two workers reporting 429s at once from
// shortening each other's pause.
var pauseScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local d = tonumber(ARGV[1])
local cur = tonumber(redis.call("GET", KEYS[1]) or "0") or 0
if cur - now >= d then
  return cur - now
end
redis.call("SET", KEYS[1], string.format("%d", now + d), "PX", d)
return d
`)

// pausedScript returns how many ms the pause KEYS[1] has left, 0 when none.
// Only Paused uses it: requests check the pause in decideScript.
var pausedScript = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if not v then
  return 0
end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local left = (tonumber(v) or 0) - now
if left < 0 then
  return 0
end
return left
`)

// Pause stops every worker from calling the provider account for d (the
// provider's Retry-After; the default pause when d <= 0; at most the
// maximum pause). A pause ending later is kept. It returns the pause now
// in force.
func (l *Limiter) Pause(ctx context.Context, provider, account string, d time.Duration) (time.Duration, error) {
	if d <= 0 {
		d = l.defaultPause
	}
	d = min(d, l.maxPause)
	ms := max(d.Milliseconds(), 1)
	got, err := pauseScript.Run(ctx, l.rdb, []string{key(kindPause, provider, account)}, ms).Int64()
	if err != nil {
		return 0, err
	}
	return time.Duration(got) * time.Millisecond, nil
}

// Paused returns how long the provider account stays paused, 0 when it is
// not. It is for inspection: requests check the pause as part of their
// limiter decision.
func (l *Limiter) Paused(ctx context.Context, provider, account string) (time.Duration, error) {
	ms, err := pausedScript.Run(ctx, l.rdb, []string{key(kindPause, provider, account)}).Int64()
	if err != nil {
		return 0, err
	}
	return time.Duration(ms) * time.Millisecond, nil
}
