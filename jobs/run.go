package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// A request is what a caller asks for, named by its request key: a keyed
// fingerprint of the request ("add-<fingerprint>"), the same for every
// identical request. A run is one execution of a request, named by its task
// id "<request key>.<run suffix>". The suffix is random, so a run id is
// never reused: asking again after a run has finished starts a new run under
// a new id, and the finished run's task, result and durable record stay as
// they were.

// RequestOf returns the request key of a job id: the part before the last
// '.', or the whole id when it has none (ids of jobs enqueued before runs
// had their own ids). All runs of one request share it.
func RequestOf(jobID string) string {
	if i := strings.LastIndexByte(jobID, '.'); i >= 0 {
		return jobID[:i]
	}
	return jobID
}

// newRunID returns a fresh task id for a run of request: 48 random bits, so
// two runs of one request never share an id.
func newRunID(request string) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return request + "." + hex.EncodeToString(b)
}

// The current run of a request in a queue is recorded in a pointer key, so
// that every process enqueueing the request finds the same run. Its value is
// the run id with a state:
//
//	claimed <run>   the run id is chosen; its task may not be enqueued yet
//	                (its creator is between the two steps, or died there)
//	enqueued <run>  its task was seen in asynq
//
// The two states tell apart a task that is not there yet from one that is
// gone (deleted by an operator, trimmed from asynq's capped archive,
// expired): the first is enqueued under the claimed id by whoever sees it,
// the second is treated as finished and gets a new run, so a run id is
// never enqueued twice. The pointer expires Retention after the last time a
// request claimed or joined its run; a lost pointer only means the next
// request starts a new run.
type pointer struct {
	key   string
	value string // as read; "" when there is no pointer
	state string // pointerClaimed or pointerEnqueued
	run   string
}

const (
	pointerClaimed  = "claimed"
	pointerEnqueued = "enqueued"
)

func pointerKey(queue, request string) string {
	return "switchboard:jobs:run:" + queue + ":" + request
}

func pointerValue(state, run string) string { return state + " " + run }

// readPointer returns the pointer of request in queue, with an empty run
// when there is none (or its value is not one this package writes).
func readPointer(ctx context.Context, rdb redis.UniversalClient, queue, request string) (pointer, error) {
	p := pointer{key: pointerKey(queue, request)}
	v, err := rdb.Get(ctx, p.key).Result()
	if err == redis.Nil {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	p.value = v
	if state, run, ok := strings.Cut(v, " "); ok && (state == pointerClaimed || state == pointerEnqueued) {
		p.state, p.run = state, run
	}
	return p, nil
}

// swapScript sets KEYS[1] to ARGV[2] with a TTL of ARGV[3] ms if it still
// holds ARGV[1] ("" meaning: does not exist), and returns 1; otherwise it
// returns 0. It is the only way pointers are written, so every change of a
// request's current run is a compare-and-swap against what the writer read:
// of several processes that read the same pointer, exactly one moves it.
var swapScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == false then cur = '' end
if cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)

// swap moves p from the value it was read with to value, and reports
// whether it won.
func (p pointer) swap(ctx context.Context, rdb redis.UniversalClient, value string, ttl time.Duration) (bool, error) {
	n, err := swapScript.Run(ctx, rdb, []string{p.key}, p.value, value, max(ttl.Milliseconds(), 1)).Int()
	return n == 1, err
}
