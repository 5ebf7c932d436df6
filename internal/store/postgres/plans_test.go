package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/store/postgres"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// TestImportStatementsReadTheirRows: an import's page update (pending to
// queued) and a finished batch job's row update must read the rows they
// name, not every open row of the org, however many the org has. They
// run while the import's rows arrive: here into a new database, on one
// connection (one plan cache, as a pooled connection keeps its plans), up
// to 20,000 open rows. Without RefreshStatistics after the first pages
// the page update reads every row of the batch (the planner thinks a
// batch has a few dozen); before migration 00011 it read every open row
// of the org through batch_rows_open; before FinishBatchRows repeated the
// partial index's predicate, its generic plan could not use
// batch_rows_job.
func TestImportStatementsReadTheirRows(t *testing.T) {
	url := testenv.PostgresURL(t)
	s, err := postgres.Open(t.Context(), url, postgres.WithMaxConns(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	org, err := s.CreateOrg(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := s.CreateBatch(ctx, store.Batch{ID: "bat_plans", OrgID: org.ID, Provider: "twilio"})
	if err != nil {
		t.Fatal(err)
	}
	const page, pages = 500, 40
	job := func(line int) string { return fmt.Sprintf("bat_plans.%d.0", line) }
	record := func(p int) []int {
		rows := make([]store.BatchRow, page)
		lines := make([]int, page)
		for i := range rows {
			line := 2 + p*page + i
			lines[i] = line
			rows[i] = store.BatchRow{OrgID: org.ID, BatchID: b.ID, Line: line, PhoneNumber: fmt.Sprint(line),
				Provider: "twilio", E164: fmt.Sprintf("+1646%07d", line), Status: store.RowPending, JobID: job(line)}
		}
		if _, err := s.AddBatchRows(ctx, rows); err != nil {
			t.Fatal(err)
		}
		if n, err := s.SetBatchRowsStatus(ctx, org.ID, b.ID, lines, []string{store.RowPending}, store.RowQueued); err != nil || n != page {
			t.Fatalf("SetBatchRowsStatus = %d, %v", n, err)
		}
		return lines
	}
	finish := func(line int) {
		if n, err := s.FinishBatchRows(ctx, org.ID, job(line), store.RowSucceeded, "", ""); err != nil || n != 1 {
			t.Fatalf("FinishBatchRows = %d, %v", n, err)
		}
	}
	// The first pages and finished jobs, on the new table: the plans are
	// made and cached now. Then, as batch.Importer does after its second
	// page, the statistics are refreshed.
	for p := range 2 {
		for _, line := range record(p)[:10] {
			finish(line)
		}
	}
	if err := s.RefreshStatistics(ctx, "batch_rows"); err != nil {
		t.Fatal(err)
	}
	for p := 2; p < pages-1; p++ {
		record(p)
	}

	stats, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer stats.Close(ctx)
	read := rowsRead(t, s, stats, "batch_rows")
	before := read()
	lines := record(pages - 1)
	if got := read() - before; got > 3*page {
		t.Errorf("recording and queueing a page of %d rows, with %d open rows in the org, read %d rows", page, pages*page, got)
	}
	before = read()
	for _, line := range lines[:20] {
		finish(line)
	}
	if got := read() - before; got > 3*20 {
		t.Errorf("finishing 20 batch jobs, with %d open rows in the org, read %d rows", pages*page, got)
	}
}

// rowsRead returns a func reading how many rows the statements on table
// have read so far, by index or by scan. A backend reports its counters
// when it goes idle, at most once a second: after a second's pause, a ping
// makes s's one backend report before they are read.
func rowsRead(t *testing.T, s *postgres.Store, stats *pgx.Conn, table string) func() int64 {
	return func() int64 {
		time.Sleep(1100 * time.Millisecond)
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		var n int64
		if err := stats.QueryRow(context.Background(), `SELECT COALESCE(idx_tup_fetch, 0) + COALESCE(seq_tup_read, 0)
			FROM pg_stat_user_tables WHERE relname = $1`, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
}
