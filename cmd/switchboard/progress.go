package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/store"
)

// progress shows an import's progress: progress bars with rate and ETA on
// a terminal (rows read, measured in bytes of the file, then jobs
// completed), plain lines every interval otherwise (a CI log, a pipe).
type progress struct {
	w        io.Writer
	tty      bool
	interval time.Duration
	bar      *progressbar.ProgressBar
	last     time.Time
	start    time.Time
	counts   batch.Progress // the last counts read reported
}

func newProgress(w io.Writer, interval time.Duration) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, tty: ok && isatty.IsTerminal(f.Fd()), interval: interval}
}

func (p *progress) newBar(max int64, desc string, bytes bool) {
	p.start, p.last = time.Now(), time.Now()
	if !p.tty {
		return
	}
	p.bar = progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(bytes),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionFullWidth(),
		progressbar.OptionShowDescriptionAtLineEnd(),
	)
}

// due tells whether a plain line is due (always at the end).
func (p *progress) due(final bool) bool {
	if final || time.Since(p.last) >= p.interval {
		p.last = time.Now()
		return true
	}
	return false
}

func (p *progress) startRead(size int64) { p.newBar(size, "validating", true) }

func (p *progress) read(bytes int64, c batch.Progress) {
	p.counts = c
	if p.bar != nil {
		p.bar.Describe(readDesc(c))
		p.bar.Set64(bytes)
		return
	}
	if p.due(false) {
		p.readLine()
	}
}

func readDesc(c batch.Progress) string {
	return fmt.Sprintf("%d rows read, %d valid, %d refused, %d enqueued", c.Read, c.Valid, c.Refused, c.Enqueued)
}

func (p *progress) readLine() {
	rate := float64(p.counts.Read) / max(time.Since(p.start).Seconds(), 1e-3)
	fmt.Fprintf(p.w, "import: %s (%.0f rows/s)\n", readDesc(p.counts), rate)
}

// doneRead ends the reading's bar, or prints its last plain line.
func (p *progress) doneRead() {
	if p.bar == nil && !p.tty {
		p.readLine()
		return
	}
	p.endBar()
}

func (p *progress) endBar() {
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
		p.bar = nil
	}
}

func (p *progress) startJobs(total int) { p.newBar(int64(total), "jobs", false) }

func (p *progress) jobs(done int, c store.BatchCounts) {
	desc := fmt.Sprintf("%d succeeded, %d failed", c.ByStatus[store.RowSucceeded], c.ByStatus[store.RowFailed])
	if p.bar != nil {
		p.bar.Describe(desc)
		p.bar.Set(done)
		return
	}
	queued := c.ByStatus[store.RowPending] + c.ByStatus[store.RowQueued]
	if p.due(queued == 0) {
		rate := float64(done) / max(time.Since(p.start).Seconds(), 1e-3)
		fmt.Fprintf(p.w, "jobs: %s, %d to go (%.0f jobs/s)\n", desc, queued, rate)
	}
}

func (p *progress) doneJobs() { p.endBar() }
