// Package batch imports whole number inventories: it reads a CSV or JSON
// Lines file a row at a time (parse.go), checks every row against the org
// before anything is enqueued (validate.go), records each line with its
// outcome (store.Batches), and enqueues an add-phone job per good row on
// the bulk queue from a bounded pool of goroutines, each pipelining up to
// jobs.MaxPipeline jobs a round trip to Redis (jobs.Client.EnqueueAddPhones).
//
// Every row's job has a deterministic id, "<batch>-<line>.<run>", and a
// row's status only moves forward by conditional updates, so importing a
// file again (or resuming an import that crashed) enqueues nothing that is
// done or in flight, and the counters, counted from the rows, stay exact.
// The worker records a job's outcome on its row in the transaction that
// records the job.
package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// Options are an import's defaults and switches.
type Options struct {
	// Provider, Account and TargetID fill in rows that leave them empty.
	Provider string
	Account  string
	TargetID string
	// Strict enqueues nothing unless every row is valid.
	Strict bool
}

// Importer runs imports for one store and queue.
type Importer struct {
	Store store.Store
	// Jobs enqueues the rows' jobs; give it Options.Queue jobs.QueueBulk.
	Jobs *jobs.Client
	// Workers is how many goroutines enqueue at once, each sending up to
	// jobs.MaxPipeline jobs a round trip. Default 16.
	Workers int
	// Progress, when set, is called after every page of rows with the
	// counts so far (from the goroutine that called Import).
	Progress func(Progress)
	// Refused, when set, is called with every row validation refuses or
	// skips, in line order (from the goroutine that called Import).
	Refused func(store.BatchRow)
	// DryRun validates only: nothing is recorded or enqueued.
	DryRun bool
	// Pace, when set, is called before each page is read and before each
	// page is recorded, and may hold the import back while more urgent
	// work runs in the same process: the API holds it while a synchronous
	// request waits for its job (api.Params.ImportYield). It must return
	// within a bounded time; an import is never stopped by it.
	Pace func(ctx context.Context)
	// Providers and Keys check and seal credentials given once for a file
	// (StoreCredentials); imports that use stored connections need neither.
	Providers []providers.Provider
	Keys      *jobs.KeyRing
}

// Progress counts what one call of Import has done so far.
type Progress struct {
	Read     int // data lines read
	Valid    int // rows that passed validation
	Refused  int // rows refused (invalid) or skipped (duplicates)
	Enqueued int // jobs enqueued (or found already enqueued)
}

// pageSize is how many rows are validated, recorded and marked at a time.
const pageSize = 500

// ErrUnknownTarget is an import whose file target (Options.TargetID) is
// not an app or agent of the org.
var ErrUnknownTarget = errors.New("unknown target")

// ErrCanceled is an import or retry of a canceled batch.
var ErrCanceled = errors.New("the batch is canceled")

// Import reads the file r into batch b (created, or resumed when it exists)
// and enqueues its good rows; see the package comment. It returns when
// every good row is enqueued, not when the jobs finish. A LineError-free
// reader error, or a store or queue failure, ends it: what is recorded
// stays, and importing again resumes.
func (im *Importer) Import(ctx context.Context, b store.Batch, r *Reader) (store.Batch, error) {
	if b.TargetID != "" {
		// The file's target names the target of every row: an unknown one
		// is refused before anything is recorded.
		if _, err := im.Store.GetTarget(ctx, b.OrgID, b.TargetID); errors.Is(err, store.ErrNotFound) {
			return b, fmt.Errorf("%w %q (not an app or agent of this organization)", ErrUnknownTarget, b.TargetID)
		} else if err != nil {
			return b, err
		}
	}
	if !im.DryRun {
		var err error
		if b, _, err = im.Store.CreateBatch(ctx, b); err != nil {
			return b, err
		}
	}
	if b.State == store.BatchCanceled {
		return b, ErrCanceled
	}
	opts := Options{Provider: b.Provider, Account: b.Account, TargetID: b.TargetID, Strict: b.Strict}
	v, err := newValidator(ctx, im.Store, b, opts)
	if err != nil {
		return b, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	e := im.startEnqueuer(ctx, cancel, b)
	var p Progress
	recorded := 0
	flush := func(page []store.BatchRow) error {
		if err := v.checkInUse(ctx, page); err != nil {
			return err
		}
		var inserted []int
		if !im.DryRun {
			var err error
			if inserted, err = im.Store.AddBatchRows(ctx, page); err != nil {
				return err
			}
			if recorded++; recorded == refreshAfterPages {
				refreshStatistics(ctx, im.Store)
			}
		}
		for _, row := range page {
			if row.Status != store.RowPending {
				p.Refused++
				if im.Refused != nil {
					im.Refused(row)
				}
				continue
			}
			p.Valid++
			if _, ok := slices.BinarySearch(inserted, row.Line); ok && !opts.Strict {
				e.rows <- row
			}
		}
		p.Enqueued = int(e.enqueued.Load())
		im.report(p)
		return nil
	}
	// One goroutine reads and validates the file, in its order, a page
	// ahead of this one, which records each page and hands its rows to the
	// enqueuer: a page's statements overlap the parsing of the next.
	pages := make(chan readPage, 1)
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	go im.read(readCtx, b, r, v, pages)
	var readErr error
	for pg := range pages {
		if readErr != nil {
			continue // drain: the reader stops at its next page
		}
		p.Read = pg.read
		if readErr = pg.err; readErr == nil {
			im.pace(ctx)
			readErr = flush(pg.rows)
		}
		if readErr != nil {
			stopReading()
		}
	}
	if err := e.wait(); readErr == nil {
		readErr = err
	}
	p.Enqueued = int(e.enqueued.Load())
	if readErr != nil || im.DryRun {
		im.report(p)
		return b, readErr
	}
	if err := im.Store.SetBatchState(ctx, b.OrgID, b.ID, store.BatchImporting, p.Read); err != nil {
		return b, batchStateError(err)
	}
	if opts.Strict {
		counts, err := im.Store.CountBatchRows(ctx, b.OrgID, b.ID)
		if err != nil {
			return b, err
		}
		if counts.ByStatus[store.RowInvalid] > 0 {
			if err := im.cancelPending(ctx, b); err != nil {
				return b, err
			}
			return im.finish(ctx, b, p)
		}
	}
	n, err := im.EnqueuePending(ctx, b)
	p.Enqueued += n
	if err != nil {
		return b, err
	}
	return im.finish(ctx, b, p)
}

// refreshAfterPages is the page after which an import brings the store's
// planner statistics of batch_rows up to date, where the store keeps any:
// a new deployment's first import would otherwise run its page updates
// with plans made for an empty table (postgres.Store.RefreshStatistics).
const refreshAfterPages = 2

// refreshStatistics asks st to refresh its statistics of batch_rows if it
// can. Failing to (the database gone for a moment; a role that does not own
// the table only gets a warning from PostgreSQL and analyzes nothing) only
// leaves the import slower, so the error does not end the import; the
// page's next statement meets a database that is really down.
func refreshStatistics(ctx context.Context, st store.Store) {
	if r, ok := st.(interface {
		RefreshStatistics(ctx context.Context, tables ...string) error
	}); ok {
		_ = r.RefreshStatistics(ctx, "batch_rows")
	}
}

// pace calls Pace when there is one.
func (im *Importer) pace(ctx context.Context) {
	if im.Pace != nil {
		im.Pace(ctx)
	}
}

// readPage is a page of checked rows (up to pageSize), with the count of
// data lines read so far, or the error that ended reading.
type readPage struct {
	rows []store.BatchRow
	read int
	err  error
}

// read reads r to its end, checking each row with v, and sends the rows
// a page at a time on pages, then a last page holding the error that
// ended it (if any), and closes pages. It stops when ctx ends.
func (im *Importer) read(ctx context.Context, b store.Batch, r *Reader, v *validator, pages chan<- readPage) {
	defer close(pages)
	read := 0
	page := make([]store.BatchRow, 0, pageSize)
	send := func(pg readPage) bool {
		select {
		case pages <- pg:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		row, err := r.Next()
		var le *LineError
		switch {
		case err == io.EOF:
			send(readPage{rows: page, read: read})
			return
		case errors.As(err, &le):
			page = append(page, store.BatchRow{OrgID: b.OrgID, BatchID: b.ID, Line: le.Line, Status: store.RowInvalid,
				Code: CodeMalformed, Reason: le.Reason})
		case err != nil:
			send(readPage{rows: page, read: read, err: err})
			return
		default:
			br, err := v.check(ctx, row)
			if err != nil {
				send(readPage{read: read, err: err})
				return
			}
			if br.Status == store.RowPending {
				br.JobID = JobID(b.ID, br.Line, 0)
			}
			page = append(page, br)
		}
		read++
		if len(page) == pageSize {
			if !send(readPage{rows: page, read: read}) {
				return
			}
			page = make([]store.BatchRow, 0, pageSize)
			im.pace(ctx)
		}
	}
}

func (im *Importer) finish(ctx context.Context, b store.Batch, p Progress) (store.Batch, error) {
	im.report(p)
	if err := im.Store.SetBatchState(ctx, b.OrgID, b.ID, store.BatchImported, -1); err != nil {
		return b, batchStateError(err)
	}
	// The workers may have finished every row already: then no row's
	// finish saw the batch imported, and the completion is this call's.
	completed, err := Complete(ctx, im.Store, b, im.Jobs.EnqueueTask)
	if err != nil {
		return b, err
	}
	if !completed {
		// An earlier import of the file may have completed the round and
		// failed to enqueue its callback (this call's error, then):
		// importing again enqueues it again, a no-op if it is queued or
		// was delivered (the same task id).
		if err := Redeliver(ctx, im.Store, b.OrgID, b.ID, im.Jobs.EnqueueTask); err != nil {
			return b, err
		}
	}
	return im.Store.GetBatch(ctx, b.OrgID, b.ID)
}

func batchStateError(err error) error {
	if errors.Is(err, store.ErrFinished) {
		return ErrCanceled
	}
	return err
}

func (im *Importer) report(p Progress) {
	if im.Progress != nil {
		im.Progress(p)
	}
}

// JobID is the task id of a batch row's run: deterministic, so a row's run
// is enqueued once however often its file is imported.
func JobID(batchID string, line, run int) string {
	return fmt.Sprintf("%s-%d.%d", batchID, line, run)
}

// EnqueuePending enqueues every row of b still RowPending (left by an
// import that stopped half-way, or given a new run by Retry) and answers
// how many it enqueued.
func (im *Importer) EnqueuePending(ctx context.Context, b store.Batch) (int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	e := im.startEnqueuer(ctx, cancel, b)
	err := im.eachPending(ctx, b, func(row store.BatchRow) { e.rows <- row })
	if werr := e.wait(); err == nil {
		err = werr
	}
	return int(e.enqueued.Load()), err
}

// eachPending calls fn for the batch's pending rows, a page at a time.
func (im *Importer) eachPending(ctx context.Context, b store.Batch, fn func(store.BatchRow)) error {
	after := 0
	for {
		got, err := im.Store.GetBatch(ctx, b.OrgID, b.ID)
		if err != nil {
			return err
		}
		if got.State == store.BatchCanceled {
			return ErrCanceled
		}
		rows, err := im.Store.ListBatchRows(ctx, store.BatchRowFilter{OrgID: b.OrgID, BatchID: b.ID,
			Statuses: []string{store.RowPending}, AfterLine: after, Limit: pageSize})
		if err != nil || len(rows) == 0 {
			return err
		}
		for _, row := range rows {
			fn(row)
		}
		after = rows[len(rows)-1].Line
	}
}

// cancelPending marks the batch's pending rows canceled (a strict import
// with invalid rows).
func (im *Importer) cancelPending(ctx context.Context, b store.Batch) error {
	var lines []int
	err := im.eachPending(ctx, b, func(row store.BatchRow) { lines = append(lines, row.Line) })
	for len(lines) > 0 && err == nil {
		n := min(len(lines), pageSize)
		_, err = im.Store.SetBatchRowsStatus(ctx, b.OrgID, b.ID, lines[:n], []string{store.RowPending}, store.RowCanceled)
		lines = lines[n:]
	}
	return err
}

// enqueuer is a bounded pool of goroutines enqueueing rows' jobs, and one
// that marks enqueued rows RowQueued a page at a time.
type enqueuer struct {
	rows     chan store.BatchRow
	enqueued atomic.Int64
	wg       sync.WaitGroup
	marked   chan struct{}
	cancel   context.CancelCauseFunc
	ctx      context.Context
}

func (im *Importer) startEnqueuer(ctx context.Context, cancel context.CancelCauseFunc, b store.Batch) *enqueuer {
	workers := im.Workers
	if workers <= 0 {
		workers = 16
	}
	e := &enqueuer{rows: make(chan store.BatchRow, pageSize), marked: make(chan struct{}), cancel: cancel, ctx: ctx}
	done := make(chan int, pageSize)
	conns := &connections{st: im.Store, orgID: b.OrgID, byID: map[string]store.Connection{}}
	for range workers {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			rows := make([]store.BatchRow, 0, jobs.MaxPipeline)
			for row := range e.rows {
				rows = append(rows[:0], row)
			more: // and the rows already waiting, up to a pipeline's worth
				for len(rows) < jobs.MaxPipeline {
					select {
					case row, ok := <-e.rows:
						if !ok {
							break more
						}
						rows = append(rows, row)
					default:
						break more
					}
				}
				if ctx.Err() != nil {
					continue // drain: the import is ending
				}
				if err := im.enqueue(ctx, conns, rows); err != nil {
					cancel(err)
					continue
				}
				e.enqueued.Add(int64(len(rows)))
				for _, row := range rows {
					done <- row.Line
				}
			}
		}()
	}
	go func() {
		e.wg.Wait()
		close(done)
	}()
	go func() {
		defer close(e.marked)
		lines := make([]int, 0, pageSize)
		mark := func() {
			if len(lines) == 0 {
				return
			}
			// Without cancellation: an enqueued job's row must say so.
			if _, err := im.Store.SetBatchRowsStatus(context.WithoutCancel(ctx), b.OrgID, b.ID, lines,
				[]string{store.RowPending}, store.RowQueued); err != nil {
				cancel(err)
			}
			lines = lines[:0]
		}
		for line := range done {
			if lines = append(lines, line); len(lines) == pageSize {
				mark()
			}
		}
		mark()
	}()
	return e
}

// wait closes the pool's input and waits for every row to be enqueued and
// marked; it answers the first failure.
func (e *enqueuer) wait() error {
	close(e.rows)
	<-e.marked
	return context.Cause(e.ctx)
}

// enqueue enqueues the rows' jobs in one call of EnqueueAddPhones (one
// round trip for up to jobs.MaxPipeline rows).
func (im *Importer) enqueue(ctx context.Context, conns *connections, rows []store.BatchRow) error {
	ps := make([]jobs.AddPhone, len(rows))
	for i, row := range rows {
		conn, err := conns.get(ctx, row.ConnectionID)
		if err != nil {
			return err
		}
		ps[i] = jobs.AddPhone{OrgID: row.OrgID, UserID: row.UserID, PhoneNumber: row.E164, Provider: row.Provider,
			Credentials: conn.Credentials, RequestID: row.JobID, BatchID: row.BatchID, TargetID: row.TargetID}
	}
	_, err := im.Jobs.EnqueueAddPhones(ctx, ps)
	return err
}

// connections caches the sealed credentials of the org's connections.
type connections struct {
	st    store.Store
	orgID int64
	mu    sync.Mutex
	byID  map[string]store.Connection
}

func (c *connections) get(ctx context.Context, id string) (store.Connection, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if conn, ok := c.byID[id]; ok {
		return conn, nil
	}
	conn, err := c.st.GetConnection(ctx, c.orgID, id)
	if err != nil {
		return conn, fmt.Errorf("connection %s: %w", id, err)
	}
	c.byID[id] = conn
	return conn, nil
}
