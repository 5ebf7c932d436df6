package worker_test

import (
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/jobs"
)

// TestIdleWorkerPicksUpJobsAtOnce: a worker with the default poll interval
// (worker.DefaultPollInterval) starts a job enqueued while it is idle
// within a few tens of milliseconds, not after asynq's own one-second poll:
// an API request that waits for its job sees the job's time, not the
// poll's. Each job is enqueued just after the previous one finished, when
// the worker has just found its queues empty and gone to sleep.
func TestIdleWorkerPicksUpJobsAtOnce(t *testing.T) {
	backends(t, func(t *testing.T, h *harness) {
		h.target(t, "agent_1", "https://agents.example.com/answer/1")
		// A job that fails at once (the number is not in the inventory)
		// costs no provider call: its time is the pickup's.
		run := func() time.Duration {
			start := time.Now()
			if _, out, _ := h.attach(t, "agent_1", "+14155550100"); out.State != jobs.StateFailed {
				t.Fatalf("attach: %+v, want failed", out)
			}
			return time.Since(start)
		}
		run() // the worker's first poll
		var took []time.Duration
		for range 3 {
			took = append(took, run())
		}
		// asynq sleeps 0.5 to 1.5 times the interval when the queues are
		// empty; the fastest of three tolerates a slow machine.
		if fastest := slices.Min(took); fastest > 250*time.Millisecond {
			t.Errorf("jobs enqueued on an idle worker took %v to finish, want the fastest under 250ms", took)
		}
	})
}
