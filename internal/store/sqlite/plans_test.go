package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestFinishBatchRowsUsesTheJobIndex: the worker runs FinishBatchRows for
// every finished batch job. SQLite uses a partial index only when the
// statement's WHERE holds the index's own condition, so without its
// second condition (a job id that is not empty) each call scanned the
// whole of batch_rows: quadratic over an import's drain.
func TestFinishBatchRowsUsesTheJobIndex(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "switchboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	rows, err := s.writer.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+finishBatchRowsSQL, "", "", "", "j", 1, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if got := strings.Join(plan, "; "); !strings.Contains(got, "USING INDEX batch_rows_job") {
		t.Errorf("FinishBatchRows's plan is %q, want a search of batch_rows_job", got)
	}
}
