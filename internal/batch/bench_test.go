package batch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
)

// genCSV is a CSV file of n rows made up as it is read, so the benchmark
// itself holds no file in memory: numbers +1212<7 digits> from first on.
type genCSV struct {
	user        string
	first, n, i int
	buf         []byte
}

func newGenCSV(user string, first, n int) *genCSV {
	return &genCSV{user: user, first: first, n: n, buf: []byte("phone_number,user_id\n")}
}

func (g *genCSV) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i < g.n {
		g.buf = fmt.Appendf(g.buf, "+1212%07d,%s\n", g.first+g.i, g.user)
		g.i++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[n:])]
	return n, nil
}

// heapPeak samples the live heap every few milliseconds until stop.
func heapPeak(stop <-chan struct{}) *atomic.Uint64 {
	var peak atomic.Uint64
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return &peak
}

// TestReaderMemoryFlat: reading 500,000 rows keeps the heap as small as
// reading a few: the reader holds one line at a time.
func TestReaderMemoryFlat(t *testing.T) {
	runtime.GC()
	stop := make(chan struct{})
	peak := heapPeak(stop)
	r, err := batch.NewReader(newGenCSV(workertest.UserID, 0, 500000), batch.CSV)
	must(t, err)
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		must(t, err)
		n++
	}
	close(stop)
	if n != 500000 {
		t.Fatalf("read %d rows", n)
	}
	if p := peak.Load(); p > 32<<20 {
		t.Errorf("peak heap %d MiB reading 500,000 rows, want under 32 MiB", p>>20)
	}
}

// BenchmarkImport100k measures validation + recording + enqueueing of
// 100,000 generated rows (Importer.Import, 16 goroutines enqueueing) and,
// in the same run, a plain sequential loop of asynq Enqueue of 100,000
// add-phone tasks of the same shape: the ratio is what the bounded pool
// buys over the simplest enqueue loop, with all the validation and the
// store writes on top. It reports the peak live heap of the import.
// Run with real Redis and PostgreSQL (docs/benchmarks.md).
func BenchmarkImport100k(b *testing.B) {
	const rows = 100000
	for _, be := range workertest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			e := newEnv(b, be.Open(b))
			ctx := context.Background()
			var importSecs, loopSecs float64
			var peakHeap uint64
			for i := range b.N {
				first := i * rows * 2
				runtime.GC()
				stop := make(chan struct{})
				peak := heapPeak(stop)
				start := time.Now()
				r, err := batch.NewReader(newGenCSV(e.user, first, rows), batch.CSV)
				must(b, err)
				bat, err := e.im.Import(ctx, store.Batch{ID: fmt.Sprintf("bat_bench%d", i), OrgID: e.org, Provider: jobs.ProviderTwilio}, r)
				must(b, err)
				importSecs += time.Since(start).Seconds()
				close(stop)
				peakHeap = max(peakHeap, peak.Load())
				c, err := e.store.CountBatchRows(ctx, e.org, bat.ID)
				must(b, err)
				if c.ByStatus[store.RowQueued] != rows {
					b.Fatalf("counts = %v, want %d queued", c.ByStatus, rows)
				}

				// The baseline: the same number of tasks, one Enqueue after another.
				q := asynq.NewClientFromRedisClient(e.rdb)
				start = time.Now()
				for j := range rows {
					p, _ := json.Marshal(jobs.AddPhone{OrgID: e.org, UserID: e.user, PhoneNumber: fmt.Sprintf("+1212%07d", first+rows+j),
						Provider: jobs.ProviderTwilio, Credentials: e.conn.Credentials, RequestID: fmt.Sprintf("base%d-%d.0", i, j)})
					if _, err := q.EnqueueContext(ctx, asynq.NewTask(jobs.TypeAddPhone, p), asynq.TaskID(fmt.Sprintf("base%d-%d.0", i, j)),
						asynq.Queue(jobs.QueueDefault), asynq.Retention(time.Hour)); err != nil {
						b.Fatal(err)
					}
				}
				loopSecs += time.Since(start).Seconds()
			}
			b.ReportMetric(float64(rows*b.N)/importSecs, "rows/s")
			b.ReportMetric(float64(rows*b.N)/loopSecs, "loop_tasks/s")
			b.ReportMetric(loopSecs/importSecs, "ratio")
			b.ReportMetric(float64(peakHeap)/(1<<20), "peak_heap_MiB")
		})
	}
}
