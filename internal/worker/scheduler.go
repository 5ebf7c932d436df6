package worker

import (
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/jobs"
)

// Scheduler returns an asynq scheduler that enqueues the reconcile scan
// every interval. Every worker process may run one: the Unique option
// makes Redis accept one scan per interval, whichever process fires first.
// Run it with Start and stop it with Shutdown.
func Scheduler(rdb redis.UniversalClient, interval time.Duration) (*asynq.Scheduler, error) {
	if interval < time.Minute {
		return nil, fmt.Errorf("reconcile interval %v: want at least a minute", interval)
	}
	s := asynq.NewSchedulerFromRedisClient(rdb, &asynq.SchedulerOpts{LogLevel: asynq.WarnLevel})
	_, err := s.Register(fmt.Sprintf("@every %s", interval), asynq.NewTask(jobs.TypeReconcileScan, nil),
		asynq.Queue(jobs.QueueBulk), asynq.Unique(interval/2), asynq.MaxRetry(3), asynq.Retention(interval))
	if err != nil {
		return nil, err
	}
	return s, nil
}
