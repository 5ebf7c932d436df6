package jobs

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// asynq v0.26 has no batch enqueue: each Enqueue is one round trip. A batch
// import sends thousands of tasks a second, so EnqueueAddPhones writes them
// itself, in asynq's Redis format, many to a round trip (a pipeline): the
// tasks are the ones asynq's Client would have written, byte for byte
// (TestEnqueueAddPhonesAsAsynq), and an asynq server, Inspector or Client
// cannot tell them apart.
//
// What asynq's Client does for Enqueue(task, TaskID(id), Queue(q),
// MaxRetry(r), Timeout(t), Retention(k)), from github.com/hibiken/asynq
// v0.26.0 client.go and internal/rdb/rdb.go (RDB.Enqueue):
//
//   - SADD asynq:queues q, once per queue and client;
//   - encode a TaskMessage (internal/proto/asynq.proto) of the type, the
//     payload, the id, the queue, the retries, the timeout and the retention
//     in seconds, with no deadline;
//   - run enqueueScript with KEYS asynq:{q}:t:<id> and asynq:{q}:pending,
//     ARGV the message, the id and the time in ns: 0 when a task with the
//     id already exists (asynq's ErrTaskIDConflict), 1 when enqueued.
//
// asynq's Redis format is not a public interface: go.mod pins asynq, and
// the test fails when an upgrade changes what its Client writes.
const allQueuesKey = "asynq:queues"

// enqueueScript is asynq v0.26's enqueueCmd, verbatim.
var enqueueScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then
	return 0
end
redis.call("HSET", KEYS[1],
           "msg", ARGV[1],
           "state", "pending",
           "pending_since", ARGV[3])
redis.call("LPUSH", KEYS[2], ARGV[2])
return 1
`)

// MaxPipeline is how many tasks EnqueueAddPhones sends in one round trip.
const MaxPipeline = 100

// EnqueueAddPhones is EnqueueAddPhone for many payloads, sent in round
// trips of up to MaxPipeline tasks: the same tasks, the same task ids, the
// same answer for each (Existing when a task with its id is already
// there). It validates every payload before sending any; on a Redis
// failure some of the tasks may have been enqueued, and enqueueing them
// again joins them.
func (c *Client) EnqueueAddPhones(ctx context.Context, ps []AddPhone) ([]Job, error) {
	msgs := make([][]byte, len(ps))
	for i, p := range ps {
		if err := p.Validate(); err != nil {
			return nil, err
		}
		b, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		msgs[i] = taskMessage(TypeAddPhone, b, p.RequestID, c.opts)
	}
	if err := c.publishQueue(ctx); err != nil {
		return nil, fmt.Errorf("jobs: enqueue %s: %w", TypeAddPhone, err)
	}
	jobs := make([]Job, 0, len(ps))
	for start := 0; start < len(ps); start += MaxPipeline {
		end := min(start+MaxPipeline, len(ps))
		added, err := c.pipeline(ctx, ps[start:end], msgs[start:end])
		if err != nil {
			return jobs, fmt.Errorf("jobs: enqueue %s: %w", TypeAddPhone, err)
		}
		for i, p := range ps[start:end] {
			jobs = append(jobs, c.job(TypeAddPhone, p.RequestID, !added[i]))
		}
	}
	return jobs, nil
}

// pipeline runs enqueueScript for each task in one round trip (two when
// Redis has to load the script first) and answers which were enqueued.
func (c *Client) pipeline(ctx context.Context, ps []AddPhone, msgs [][]byte) ([]bool, error) {
	added := make([]bool, len(ps))
	todo := make([]int, len(ps))
	for i := range todo {
		todo[i] = i
	}
	for attempt := 0; len(todo) > 0; attempt++ {
		now := time.Now().UnixNano()
		pipe := c.rdb.Pipeline()
		cmds := make([]*redis.Cmd, len(todo))
		for j, i := range todo {
			keys := []string{"asynq:{" + c.opts.Queue + "}:t:" + ps[i].RequestID, "asynq:{" + c.opts.Queue + "}:pending"}
			cmds[j] = enqueueScript.EvalSha(ctx, pipe, keys, msgs[i], ps[i].RequestID, now)
		}
		_, _ = pipe.Exec(ctx) // each command's own error is read below
		var again []int
		for j, i := range todo {
			n, err := cmds[j].Int64()
			switch {
			case err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") && attempt == 0:
				again = append(again, i)
			case err != nil:
				return nil, err
			default:
				added[i] = n == 1
			}
		}
		if len(again) > 0 {
			if err := enqueueScript.Load(ctx, c.rdb).Err(); err != nil {
				return nil, err
			}
		}
		todo = again
	}
	return added, nil
}

// publishQueue adds the Client's queue to asynq's set of queues, once, as
// asynq's Client does before its first enqueue to a queue.
func (c *Client) publishQueue(ctx context.Context) error {
	if _, ok := c.published.Load(c.opts.Queue); ok {
		return nil
	}
	if err := c.rdb.SAdd(ctx, allQueuesKey, c.opts.Queue).Err(); err != nil {
		return err
	}
	c.published.Store(c.opts.Queue, true)
	return nil
}

// taskMessage is the protobuf encoding of asynq's TaskMessage for a task
// enqueued with the Client's options (the fields asynq's Client sets, in
// field number order, zero values left out, as proto.Marshal writes them):
// type = 1, payload = 2, id = 3, queue = 4, retry = 5, timeout = 8,
// retention = 12.
func taskMessage(typ string, payload []byte, id string, o Options) []byte {
	b := make([]byte, 0, len(payload)+len(typ)+len(id)+len(o.Queue)+32)
	bytesField := func(num int, v []byte) {
		if len(v) > 0 {
			b = binary.AppendUvarint(b, uint64(num)<<3|2)
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		}
	}
	varintField := func(num int, v int64) {
		if v != 0 {
			b = binary.AppendUvarint(b, uint64(num)<<3)
			b = binary.AppendUvarint(b, uint64(v)) // as protobuf writes int32 and int64, negatives too
		}
	}
	bytesField(1, []byte(typ))
	bytesField(2, payload)
	bytesField(3, []byte(id))
	bytesField(4, []byte(o.Queue))
	varintField(5, int64(int32(o.MaxRetry)))
	varintField(8, int64(o.Timeout.Seconds()))
	varintField(12, int64(o.Retention.Seconds()))
	return b
}
