package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/jobs"
)

// Scheduler returns the scheduler of the reconcile scan: one
// jobs.TypeReconcileScan per interval, however many worker processes run
// one. interval must be at least a minute. Run it with Start and stop it
// with Shutdown. It opens its own connection from r, closed by Shutdown.
func Scheduler(r asynq.RedisConnOpt, interval time.Duration, log *slog.Logger) (*ReconcileScheduler, error) {
	if interval < time.Minute {
		return nil, fmt.Errorf("reconcile interval %v: want at least a minute", interval)
	}
	return newReconcileScheduler(r, interval, log), nil
}

// ReconcileScheduler enqueues the reconcile scan at the start of every
// interval window. Windows are aligned on the Unix epoch, so every process
// computes the same ones, and each window's scan has a task id derived
// from the window's start (scanTaskID): the first process to enqueue it
// wins, the others get asynq.ErrTaskIDConflict. The task is retained for
// an interval after it finishes, so the id stays taken to the end of its
// window, even when the scan finishes at once.
//
// asynq's Scheduler cannot do this: it enqueues a fixed task, and the
// Unique lock that was to keep replicas from doubling it is released as
// soon as the task completes, so every replica got its own scan in.
//
// Nothing is enqueued at start-up: a process started mid-window leaves
// that window to the processes already running.
type ReconcileScheduler struct {
	client *asynq.Client
	loop   *scanScheduler
	wg     sync.WaitGroup

	mu      sync.Mutex
	started bool
	stopped bool
}

// newReconcileScheduler is Scheduler without the check on interval, so
// tests can use windows of a second. interval must be a whole number of
// seconds: task ids carry the window start in seconds.
func newReconcileScheduler(r asynq.RedisConnOpt, interval time.Duration, log *slog.Logger) *ReconcileScheduler {
	c := asynq.NewClient(r)
	return &ReconcileScheduler{
		client: c,
		loop:   newScanScheduler(scanSchedulerParams{logger: log, client: c, interval: interval}),
	}
}

// Start starts enqueueing. It returns an error if the scheduler is already
// running or has been shut down.
func (s *ReconcileScheduler) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopped:
		return errors.New("reconcile scheduler: already shut down")
	case s.started:
		return errors.New("reconcile scheduler: already running")
	}
	s.started = true
	s.loop.start(&s.wg)
	return nil
}

// Shutdown stops enqueueing, waits for an enqueue in progress, and closes
// the scheduler's Redis connection. Calls after the first do nothing.
func (s *ReconcileScheduler) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	s.stopped = true
	if s.started {
		s.loop.shutdown()
		s.wg.Wait()
	}
	if err := s.client.Close(); err != nil {
		s.loop.logger.Warn("close the reconcile scheduler's Redis connection", "error", err)
	}
}

// scanScheduler is ReconcileScheduler's loop: it sleeps to the next window
// start and enqueues that window's scan.
type scanScheduler struct {
	logger   *slog.Logger
	client   *asynq.Client
	interval time.Duration

	// ctx ends on shutdown, cutting short a sleep or an enqueue.
	ctx  context.Context
	stop context.CancelFunc
}

type scanSchedulerParams struct {
	logger   *slog.Logger
	client   *asynq.Client
	interval time.Duration
}

func newScanScheduler(p scanSchedulerParams) *scanScheduler {
	ctx, stop := context.WithCancel(context.Background())
	return &scanScheduler{logger: p.logger, client: p.client, interval: p.interval, ctx: ctx, stop: stop}
}

func (s *scanScheduler) shutdown() { s.stop() }

// start starts the loop goroutine.
func (s *scanScheduler) start(wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		var last time.Time
		for {
			next := scanWindow(time.Now(), s.interval).Add(s.interval)
			if !next.After(last) {
				// The wall clock went back: last's scan is done already.
				next = last.Add(s.interval)
			}
			timer := time.NewTimer(time.Until(next))
			select {
			case <-s.ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
				s.exec(next)
				last = next
			}
		}
	}()
}

// Enqueue attempts of one window's scan, a retryWait apart, ride out a
// short Redis outage; past them the window is left to the other processes.
const (
	scanAttempts  = 3
	scanRetryWait = time.Second
	// scanTimeout bounds one enqueue.
	scanTimeout = 10 * time.Second
)

// exec enqueues the scan of the window starting at window, unless another
// process already has.
func (s *scanScheduler) exec(window time.Time) {
	id := scanTaskID(window)
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(s.ctx, scanTimeout)
		_, err := s.client.EnqueueContext(ctx, asynq.NewTask(jobs.TypeReconcileScan, nil),
			asynq.TaskID(id), asynq.Queue(jobs.QueueBulk), asynq.MaxRetry(3), asynq.Retention(s.interval))
		cancel()
		switch {
		case err == nil:
			s.logger.Info("enqueued the reconcile scan", "task_id", id)
			return
		case errors.Is(err, asynq.ErrTaskIDConflict):
			s.logger.Debug("reconcile scan already enqueued by another worker", "task_id", id)
			return
		case s.ctx.Err() != nil:
			return
		case attempt == scanAttempts:
			s.logger.Error("enqueue the reconcile scan; leaving this window to the other workers", "task_id", id, "error", err)
			return
		}
		s.logger.Warn("enqueue the reconcile scan; retrying", "task_id", id, "error", err)
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(scanRetryWait):
		}
	}
}

// scanWindow is the start of the interval window holding t. Windows are
// aligned on the Unix epoch, not on when a process started.
func scanWindow(t time.Time, interval time.Duration) time.Time {
	ns := t.UnixNano()
	return time.Unix(0, ns-ns%int64(interval))
}

// scanTaskID is the task id of the scan of the window starting at window.
func scanTaskID(window time.Time) string {
	return fmt.Sprintf("reconcile-scan-%d", window.Unix())
}
