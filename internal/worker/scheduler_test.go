package worker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/jobs"
)

// TestReconcileSchedulersEnqueueOneScanPerWindow: several worker processes
// each run a scheduler on one Redis, started at different moments, with a
// worker finishing each scan at once (which is what released asynq's
// Unique lock and let every replica enqueue its own). Over several windows
// exactly one scan runs per window, with the window's task id.
func TestReconcileSchedulersEnqueueOneScanPerWindow(t *testing.T) {
	t.Parallel()
	const (
		// 2s is the shortest interval asynq's Unique-based scheduler
		// (which this replaced) accepts: its Unique TTL, interval/2, must
		// be at least a second. The test fails on that scheduler.
		interval = 2 * time.Second
		replicas = 3
		windows  = 2
	)
	ro := testenv.Redis(t)
	r := asynq.RedisClientOpt{Addr: ro.Addr, Username: ro.Username, Password: ro.Password, DB: ro.DB}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	type run struct {
		id string
		at time.Time
	}
	var (
		mu   sync.Mutex
		runs []run
	)
	srv := asynq.NewServer(r, asynq.Config{
		Queues: jobs.Queues(), Concurrency: 4, TaskCheckInterval: 10 * time.Millisecond,
		Logger: asynqLogger{quiet}, LogLevel: asynq.ErrorLevel,
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc(jobs.TypeReconcileScan, func(ctx context.Context, _ *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		mu.Lock()
		runs = append(runs, run{id, time.Now()})
		mu.Unlock()
		return nil
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	scheds := make([]*ReconcileScheduler, replicas)
	for i := range scheds {
		if i > 0 {
			time.Sleep(interval / 2) // out of step with each other
		}
		scheds[i] = newReconcileScheduler(r, interval, quiet)
		if err := scheds[i].Start(); err != nil {
			t.Fatal(err)
		}
		defer scheds[i].Shutdown()
	}
	// Count the windows that start once every replica runs.
	first := scanWindow(time.Now(), interval).Add(interval)
	end := first.Add(windows * interval)
	time.Sleep(time.Until(end) + interval/4) // the last window's scan has run
	for _, s := range scheds {
		s.Shutdown()
	}

	mu.Lock()
	defer mu.Unlock()
	got := map[string][]string{} // window start -> ids of the scans run in it
	for _, r := range runs {
		if w := scanWindow(r.at, interval); !w.Before(first) && w.Before(end) {
			got[w.Format(time.TimeOnly)] = append(got[w.Format(time.TimeOnly)], r.id)
		}
	}
	want := map[string][]string{}
	for w := first; w.Before(end); w = w.Add(interval) {
		want[w.Format(time.TimeOnly)] = []string{scanTaskID(w)}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("scans run per window by %d schedulers (-want +got):\n%s", replicas, diff)
	}
}

// TestReconcileSchedulerShutdown: Shutdown stops a scheduler for good,
// started or not, and may be called again.
func TestReconcileSchedulerShutdown(t *testing.T) {
	t.Parallel()
	ro := testenv.Redis(t)
	r := asynq.RedisClientOpt{Addr: ro.Addr, DB: ro.DB}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	s := newReconcileScheduler(r, time.Second, quiet)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err == nil {
		t.Error("second Start: no error")
	}
	s.Shutdown()
	s.Shutdown()
	if err := s.Start(); err == nil {
		t.Error("Start after Shutdown: no error")
	}
	newReconcileScheduler(r, time.Second, quiet).Shutdown() // never started
}

// TestSchedulerInterval: production intervals are at least a minute.
func TestSchedulerInterval(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := asynq.RedisClientOpt{Addr: "127.0.0.1:0"} // never dialled
	if _, err := Scheduler(r, 59*time.Second, quiet); err == nil {
		t.Error("Scheduler(59s): no error, want at least a minute")
	}
	s, err := Scheduler(r, time.Minute, quiet)
	if err != nil {
		t.Fatalf("Scheduler(1m): %v", err)
	}
	s.Shutdown()
}

// TestScanWindow: windows are aligned on the Unix epoch, so processes
// started at different times agree on them and on their scans' ids.
func TestScanWindow(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tt := range []struct {
		t        string
		interval time.Duration
		want     string
	}{
		{"2025-03-04T10:00:00Z", time.Hour, "2025-03-04T10:00:00Z"},
		{"2025-03-04T10:59:59.999Z", time.Hour, "2025-03-04T10:00:00Z"},
		{"2025-03-04T11:00:00Z", time.Hour, "2025-03-04T11:00:00Z"},
		{"2025-03-04T10:59:59+02:00", time.Hour, "2025-03-04T08:00:00Z"},
		{"2025-03-04T10:07:00Z", 15 * time.Minute, "2025-03-04T10:00:00Z"},
		{"2025-03-04T10:07:00Z", 7 * time.Minute, "2025-03-04T10:05:00Z"}, // 7m does not divide an hour
	} {
		t.Run(fmt.Sprint(tt.t, "/", tt.interval), func(t *testing.T) {
			t.Parallel()
			got := scanWindow(at(tt.t), tt.interval)
			if !got.Equal(at(tt.want)) {
				t.Errorf("scanWindow(%s, %v) = %v, want %s", tt.t, tt.interval, got.UTC(), tt.want)
			}
			if id, want := scanTaskID(got), fmt.Sprintf("reconcile-scan-%d", at(tt.want).Unix()); id != want {
				t.Errorf("scanTaskID = %q, want %q", id, want)
			}
		})
	}
}
