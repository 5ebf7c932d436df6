package worker

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/jobs"
)

// Scheduler returns an asynq scheduler that enqueues the reconcile scan
// every interval. Every worker process may run one: the Unique option
// makes Redis accept one scan per interval, whichever process fires first.
// Run it with Start and stop it with Shutdown. It opens its own connection
// from r (a scheduler on a shared client fails to close it on Shutdown).
func Scheduler(r asynq.RedisConnOpt, interval time.Duration, log *slog.Logger) (*asynq.Scheduler, error) {
	if interval < time.Minute {
		return nil, fmt.Errorf("reconcile interval %v: want at least a minute", interval)
	}
	s := asynq.NewScheduler(r, &asynq.SchedulerOpts{Logger: asynqLogger{log}, LogLevel: asynq.WarnLevel})
	_, err := s.Register(fmt.Sprintf("@every %s", interval), asynq.NewTask(jobs.TypeReconcileScan, nil),
		asynq.Queue(jobs.QueueBulk), asynq.Unique(interval/2), asynq.MaxRetry(3), asynq.Retention(interval))
	if err != nil {
		return nil, err
	}
	return s, nil
}
