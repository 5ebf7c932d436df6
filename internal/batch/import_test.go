package batch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
)

// TestStrict: one invalid row and nothing is enqueued; the good rows are
// recorded canceled. A valid file goes in whole.
func TestStrict(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		file := "phone_number,user_id\n+12125550001," + e.user + "\nbad," + e.user + "\n+12125550002," + e.user + "\n"
		r, err := batch.NewReader(strings.NewReader(file), batch.CSV)
		must(t, err)
		b, err := e.im.Import(ctx, store.Batch{ID: "bat_strict", OrgID: e.org, Provider: jobs.ProviderTwilio, Strict: true}, r)
		must(t, err)
		c, err := e.store.CountBatchRows(ctx, e.org, b.ID)
		must(t, err)
		if c.ByStatus[store.RowCanceled] != 2 || c.ByStatus[store.RowInvalid] != 1 || c.ByStatus[store.RowQueued]+c.ByStatus[store.RowPending] != 0 {
			t.Errorf("strict with a bad row: counts %v, want 2 canceled, 1 invalid", c.ByStatus)
		}
		if tasks, _ := e.insp.ListPendingTasks(jobs.QueueBulk); len(tasks) != 0 {
			t.Errorf("strict with a bad row enqueued %d tasks", len(tasks))
		}

		good := "phone_number,user_id\n+12125550003," + e.user + "\n+12125550004," + e.user + "\n"
		r, err = batch.NewReader(strings.NewReader(good), batch.CSV)
		must(t, err)
		b, err = e.im.Import(ctx, store.Batch{ID: "bat_strict_ok", OrgID: e.org, Provider: jobs.ProviderTwilio, Strict: true}, r)
		must(t, err)
		if c, _ := e.store.CountBatchRows(ctx, e.org, b.ID); c.ByStatus[store.RowQueued] != 2 {
			t.Errorf("strict valid file: counts %v, want 2 queued", c.ByStatus)
		}
	})
}

// failingReader yields a CSV of n rows, then err instead of the rest.
type failingReader struct {
	r   *genCSV
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return 0, f.err
	}
	return n, err
}

// TestImportReadErrorKeepsPagesBefore: a file that breaks off after 1,200
// rows (a dropped upload) ends the import with the reader's error; the
// pages read before it are recorded and enqueued, and importing the whole
// file again resumes: every row once, counters exact.
func TestImportReadErrorKeepsPagesBefore(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		broken := errors.New("connection reset")
		r, err := batch.NewReader(&failingReader{r: newGenCSV(e.user, 0, 1200), err: broken}, batch.CSV)
		must(t, err)
		bat := store.Batch{ID: "bat_broken", OrgID: e.org, Provider: jobs.ProviderTwilio}
		if _, err := e.im.Import(ctx, bat, r); !errors.Is(err, broken) {
			t.Fatalf("Import of a broken file = %v, want %v", err, broken)
		}
		c, err := e.store.CountBatchRows(ctx, e.org, bat.ID)
		must(t, err)
		if q := c.ByStatus[store.RowQueued]; q < 1000 || q > 1200 {
			t.Errorf("after the break: counts %v, want the whole pages before it (1,000 to 1,200) queued", c.ByStatus)
		}
		r, err = batch.NewReader(newGenCSV(e.user, 0, 1500), batch.CSV)
		must(t, err)
		_, err = e.im.Import(ctx, bat, r)
		must(t, err)
		if c, _ := e.store.CountBatchRows(ctx, e.org, bat.ID); c.ByStatus[store.RowQueued] != 1500 || len(c.ByStatus) != 1 {
			t.Errorf("after the resume: counts %v, want 1,500 queued and nothing else", c.ByStatus)
		}
		if tasks, _ := e.insp.ListPendingTasks(jobs.QueueBulk, asynqPage(2000)); len(tasks) != 1500 {
			t.Errorf("%d tasks enqueued, want 1,500", len(tasks))
		}
	})
}

// failingStore fails AddBatchRows from its nth call on.
type failingStore struct {
	store.Store
	calls, n int
	err      error
}

func (s *failingStore) AddBatchRows(ctx context.Context, rows []store.BatchRow) ([]int, error) {
	if s.calls++; s.calls >= s.n {
		return nil, s.err
	}
	return s.Store.AddBatchRows(ctx, rows)
}

// TestImportStoreErrorEndsImport: the store failing on the third page ends
// the import with its error, with the reader still pages ahead: Import
// returns (the reader stops rather than reading the rest of a 100,000-row
// file), and the two pages recorded before are enqueued.
func TestImportStoreErrorEndsImport(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		down := errors.New("database is down")
		im := *e.im
		fs := &failingStore{Store: e.store, n: 3, err: down}
		im.Store = fs
		src := newGenCSV(e.user, 0, 100000)
		r, err := batch.NewReader(src, batch.CSV)
		must(t, err)
		bat := store.Batch{ID: "bat_down", OrgID: e.org, Provider: jobs.ProviderTwilio}
		if _, err := im.Import(ctx, bat, r); !errors.Is(err, down) {
			t.Fatalf("Import with the store failing = %v, want %v", err, down)
		}
		if src.i > 10000 {
			t.Errorf("the reader read %d rows after the store failed on the third page", src.i)
		}
		c, err := e.store.CountBatchRows(ctx, e.org, bat.ID)
		must(t, err)
		if c.ByStatus[store.RowQueued] != 1000 || len(c.ByStatus) != 1 {
			t.Errorf("counts %v, want the 2 pages before the failure, 1,000 rows, queued and nothing else", c.ByStatus)
		}
	})
}

// statsStore records the RefreshStatistics calls an import makes, and how
// many pages it had recorded at each.
type statsStore struct {
	store.Store
	pages   int
	refresh []int
	err     error
}

func (s *statsStore) AddBatchRows(ctx context.Context, rows []store.BatchRow) ([]int, error) {
	s.pages++
	return s.Store.AddBatchRows(ctx, rows)
}

func (s *statsStore) RefreshStatistics(ctx context.Context, tables ...string) error {
	if !slices.Equal(tables, []string{"batch_rows"}) {
		panic(fmt.Sprintf("RefreshStatistics(%q)", tables))
	}
	s.refresh = append(s.refresh, s.pages)
	return s.err
}

// TestImportRefreshesStatistics: after its second page an import asks a
// store that keeps planner statistics to bring batch_rows' up to date,
// once; that failing does not end the import (postgres.Store.RefreshStatistics
// says why it is needed, TestImportStatementsReadTheirRows what it does).
func TestImportRefreshesStatistics(t *testing.T) {
	e := newEnv(t, workertest.Backends()[0].Open(t))
	for i, failing := range []error{nil, errors.New("must be owner of table batch_rows")} {
		im := *e.im
		ss := &statsStore{Store: e.store, err: failing}
		im.Store = ss
		r, err := batch.NewReader(newGenCSV(e.user, i*10000, 2500), batch.CSV)
		must(t, err)
		if _, err := im.Import(t.Context(), store.Batch{ID: fmt.Sprintf("bat_stats%v", failing != nil), OrgID: e.org, Provider: jobs.ProviderTwilio}, r); err != nil {
			t.Fatalf("Import (RefreshStatistics failing: %v) = %v", failing, err)
		}
		if !slices.Equal(ss.refresh, []int{2}) {
			t.Errorf("RefreshStatistics called after pages %v, want once, after page 2", ss.refresh)
		}
	}
}
