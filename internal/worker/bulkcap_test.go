package worker_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/worker"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
)

// TestBulkConcurrencyCapped: with BulkConcurrency k a worker never runs
// more than k bulk tasks at once, however many wait, while interactive
// tasks enqueued behind them still run at once; with NoBulk it runs none.
func TestBulkConcurrencyCapped(t *testing.T) {
	for _, tc := range []struct {
		name string
		bulk int // Params.BulkConcurrency
		want int // the most bulk tasks running at once
	}{{"k=2", 2, 2}, {"default", 0, 2}, {"none", worker.NoBulk, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			env := workertest.Start(t, workertest.Backends()[0].Open(t))
			env.Server.Shutdown() // replaced by one counting its tasks
			p := env.WorkerParams()
			p.Concurrency, p.BulkConcurrency = 8, tc.bulk
			w, err := worker.New(p)
			mustOK(t, err)
			var running, most atomic.Int32
			var interactive sync.WaitGroup
			release := make(chan struct{}) // bulk tasks hold their slot until closed
			srv := w.Server()
			mustOK(t, srv.Start(asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
				if q, _ := asynq.GetQueueName(ctx); q != jobs.QueueBulk {
					interactive.Done()
					return nil
				}
				n := running.Add(1)
				defer running.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				select {
				case <-release:
				case <-time.After(100 * time.Millisecond):
				}
				return nil
			})))
			t.Cleanup(srv.Shutdown)

			c := asynq.NewClientFromRedisClient(env.Redis)
			for range 20 {
				_, err := c.Enqueue(asynq.NewTask("test:bulk", nil), asynq.Queue(jobs.QueueBulk))
				mustOK(t, err)
			}
			interactive.Add(4)
			for _, q := range []string{jobs.QueueCritical, jobs.QueueDefault, jobs.QueueCritical, jobs.QueueDefault} {
				_, err := c.Enqueue(asynq.NewTask("test:interactive", nil), asynq.Queue(q))
				mustOK(t, err)
			}
			done := make(chan struct{})
			go func() { interactive.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("interactive tasks did not run while bulk tasks waited")
			}
			time.Sleep(300 * time.Millisecond) // bulk tasks keep running for a while
			close(release)
			if got := int(most.Load()); got != tc.want {
				t.Errorf("at most %d bulk tasks ran at once, want %d", got, tc.want)
			}
		})
	}
}
