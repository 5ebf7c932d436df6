package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/store"
)

func newBatch(t *testing.T, s store.Store, orgID int64) store.Batch {
	t.Helper()
	b, created, err := s.CreateBatch(t.Context(), store.Batch{ID: "bat_" + newID(), OrgID: orgID, Provider: "twilio", Strict: true})
	if err != nil || !created {
		t.Fatalf("CreateBatch: %v, created %v", err, created)
	}
	return b
}

func batchRow(b store.Batch, line int, status string) store.BatchRow {
	return store.BatchRow{
		OrgID: b.OrgID, BatchID: b.ID, Line: line, PhoneNumber: fmt.Sprintf("+1415555%04d", line), Provider: "twilio",
		UserID: "u1", E164: fmt.Sprintf("+1415555%04d", line), Status: status, JobID: fmt.Sprintf("%s-%d.0", b.ID, line),
	}
}

func testBatch(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, other := newOrg(t, s), newOrg(t, s)
	b := newBatch(t, s, a.ID)
	if b.State != store.BatchImporting || b.Provider != "twilio" || !b.Strict || b.Rows != 0 {
		t.Errorf("CreateBatch = %+v, want importing, twilio, strict, 0 rows", b)
	}
	checkCreated(t, "Batch.CreatedAt", b.CreatedAt)

	// Creating it again (a resumed import) answers the stored batch.
	again, created, err := s.CreateBatch(ctx, store.Batch{ID: b.ID, OrgID: a.ID, Provider: "plivo"})
	if err != nil || created {
		t.Fatalf("CreateBatch again: created %v, %v; want false, nil", created, err)
	}
	if diff := cmp.Diff(b, again); diff != "" {
		t.Errorf("CreateBatch again changed the batch (-want +got):\n%s", diff)
	}
	_, _, err = s.CreateBatch(ctx, store.Batch{ID: b.ID, OrgID: other.ID})
	wantErr(t, "CreateBatch with another org's id", err, store.ErrConflict)
	_, err = s.GetBatch(ctx, other.ID, b.ID)
	wantErr(t, "GetBatch of another org", err, store.ErrNotFound)

	if err := s.SetBatchState(ctx, a.ID, b.ID, store.BatchImported, 42); err != nil {
		t.Fatalf("SetBatchState: %v", err)
	}
	got, err := s.GetBatch(ctx, a.ID, b.ID)
	if err != nil || got.State != store.BatchImported || got.Rows != 42 {
		t.Errorf("GetBatch = %+v, %v; want imported with 42 rows", got, err)
	}
	if err := s.SetBatchState(ctx, a.ID, b.ID, store.BatchCanceled, -1); err != nil {
		t.Fatalf("SetBatchState canceled: %v", err)
	}
	wantErr(t, "SetBatchState after cancel", s.SetBatchState(ctx, a.ID, b.ID, store.BatchImported, -1), store.ErrFinished)
	wantErr(t, "SetBatchState of another org", s.SetBatchState(ctx, other.ID, b.ID, store.BatchImported, -1), store.ErrNotFound)
	if got, _ := s.GetBatch(ctx, a.ID, b.ID); got.State != store.BatchCanceled || got.Rows != 42 {
		t.Errorf("after cancel: %+v, want canceled with 42 rows", got)
	}
}

// testListBatches: ListBatches answers the newest batches of every org,
// newest first, at most n. The batches are dated far ahead so that other
// tests' batches, on a shared database, are older.
func testListBatches(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, other := newOrg(t, s), newOrg(t, s)
	at := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rand.IntN(3600)) * time.Second)
	var want []store.Batch
	for i, org := range []int64{a.ID, other.ID, a.ID} {
		b, _, err := s.CreateBatch(ctx, store.Batch{ID: "bat_" + newID(), OrgID: org, Provider: "twilio", CreatedAt: at.Add(time.Duration(i) * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		want = append([]store.Batch{b}, want...)
	}
	got, err := s.ListBatches(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListBatches(3) (-want +got):\n%s", diff)
	}
	if got, err := s.ListBatches(ctx, 1); err != nil || len(got) != 1 || got[0].ID != want[0].ID {
		t.Errorf("ListBatches(1) = %+v, %v; want only %s", got, err, want[0].ID)
	}
}

func testBatchRows(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newOrg(t, s)
	b := newBatch(t, s, a.ID)
	rows := []store.BatchRow{
		batchRow(b, 2, store.RowPending), batchRow(b, 3, store.RowPending), batchRow(b, 4, store.RowPending),
		{OrgID: a.ID, BatchID: b.ID, Line: 5, PhoneNumber: "12", Status: store.RowInvalid, Column: "phone_number",
			Code: "invalid_number", Reason: "not a phone number"},
	}
	if lines, err := s.AddBatchRows(ctx, rows); err != nil || !slices.Equal(lines, []int{2, 3, 4, 5}) {
		t.Fatalf("AddBatchRows = %v, %v; want lines 2-5", lines, err)
	}
	// Adding a line again keeps what is stored.
	changed := batchRow(b, 2, store.RowInvalid)
	if lines, err := s.AddBatchRows(ctx, []store.BatchRow{batchRow(b, 6, store.RowSkipped), changed}); err != nil || !slices.Equal(lines, []int{6}) {
		t.Fatalf("AddBatchRows again = %v, %v; want only line 6 inserted", lines, err)
	}
	all, err := s.ListBatchRows(ctx, store.BatchRowFilter{OrgID: a.ID, BatchID: b.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := append(rows, batchRow(b, 6, store.RowSkipped))
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("ListBatchRows (-want +got):\n%s", diff)
	}
	page, err := s.ListBatchRows(ctx, store.BatchRowFilter{OrgID: a.ID, BatchID: b.ID, Statuses: []string{store.RowPending}, AfterLine: 2, Limit: 1})
	if err != nil || len(page) != 1 || page[0].Line != 3 {
		t.Errorf("ListBatchRows pending after 2, limit 1 = %+v, %v; want line 3", page, err)
	}
	if rs, _ := s.ListBatchRows(ctx, store.BatchRowFilter{OrgID: a.ID + 1000, BatchID: b.ID}); len(rs) != 0 {
		t.Errorf("ListBatchRows of another org = %d rows, want 0", len(rs))
	}

	n, err := s.SetBatchRowsStatus(ctx, a.ID, b.ID, []int{2, 3, 5}, []string{store.RowPending}, store.RowQueued)
	if err != nil || n != 2 {
		t.Errorf("SetBatchRowsStatus = %d, %v; want 2 (the invalid row stays)", n, err)
	}

	// The worker finishes runs; a finished row is not finished again.
	if n, err := s.FinishBatchRows(ctx, a.ID, rows[0].JobID, store.RowSucceeded, "", ""); err != nil || n != 1 {
		t.Errorf("FinishBatchRows = %d, %v; want 1", n, err)
	}
	if n, err := s.FinishBatchRows(ctx, a.ID, rows[0].JobID, store.RowFailed, "duplicate", "again"); err != nil || n != 0 {
		t.Errorf("FinishBatchRows of a finished row = %d, %v; want 0", n, err)
	}
	if n, err := s.FinishBatchRows(ctx, a.ID, rows[1].JobID, store.RowFailed, "duplicate", "already there"); err != nil || n != 1 {
		t.Errorf("FinishBatchRows failed = %d, %v; want 1", n, err)
	}
	// Line 4 was never marked queued: a run that finishes first still counts.
	if n, err := s.FinishBatchRows(ctx, a.ID, rows[2].JobID, store.RowFailed, "user_not_found", "no user"); err != nil || n != 1 {
		t.Errorf("FinishBatchRows of a pending row = %d, %v; want 1", n, err)
	}
	if n, _ := s.FinishBatchRows(ctx, a.ID, "unknown.0", store.RowSucceeded, "", ""); n != 0 {
		t.Errorf("FinishBatchRows of a job no row runs = %d, want 0", n)
	}

	counts, err := s.CountBatchRows(ctx, a.ID, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts := store.BatchCounts{
		ByStatus: map[string]int{store.RowSucceeded: 1, store.RowFailed: 2, store.RowInvalid: 1, store.RowSkipped: 1},
		ByCode:   map[string]int{"duplicate": 1, "user_not_found": 1, "invalid_number": 1},
	}
	if diff := cmp.Diff(wantCounts, counts); diff != "" {
		t.Errorf("CountBatchRows (-want +got):\n%s", diff)
	}

	// Retry: a failed row gets its next run, once.
	if err := s.RetryBatchRow(ctx, a.ID, b.ID, 3, 1, b.ID+"-3.1"); err != nil {
		t.Fatalf("RetryBatchRow: %v", err)
	}
	wantErr(t, "RetryBatchRow twice", s.RetryBatchRow(ctx, a.ID, b.ID, 3, 1, b.ID+"-3.1"), store.ErrNotFound)
	wantErr(t, "RetryBatchRow of a succeeded row", s.RetryBatchRow(ctx, a.ID, b.ID, 2, 1, b.ID+"-2.1"), store.ErrNotFound)
	retried, _ := s.ListBatchRows(ctx, store.BatchRowFilter{OrgID: a.ID, BatchID: b.ID, AfterLine: 2, Limit: 1})
	if len(retried) != 1 || retried[0].Status != store.RowPending || retried[0].Run != 1 || retried[0].JobID != b.ID+"-3.1" || retried[0].Reason != "" {
		t.Errorf("retried row = %+v, want pending, run 1, its new job id, no reason", retried)
	}
	// The old run finishing late changes nothing.
	if n, _ := s.FinishBatchRows(ctx, a.ID, rows[1].JobID, store.RowSucceeded, "", ""); n != 0 {
		t.Errorf("FinishBatchRows of the row's previous run = %d, want 0", n)
	}
}

func testNumbersInUse(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newOrg(t, s)
	u := newUser(t, s, a.ID)
	newNumber(t, s, u, "+14155550001")
	b1, b2 := newBatch(t, s, a.ID), newBatch(t, s, a.ID)
	r := batchRow(b1, 7, store.RowQueued)
	r.E164 = "+14155550002"
	done := batchRow(b1, 8, store.RowSucceeded)
	done.E164 = "+14155550003"
	pending := batchRow(b1, 9, store.RowPending)
	pending.E164 = "+14155550005"
	// The inventory wins over a batch adding the same number.
	both := batchRow(b1, 10, store.RowQueued)
	both.E164 = "+14155550001"
	if _, err := s.AddBatchRows(ctx, []store.BatchRow{r, done, pending, both}); err != nil {
		t.Fatal(err)
	}
	// Another org's numbers and batches are not this org's business.
	other := newOrg(t, s)
	newNumber(t, s, newUser(t, s, other.ID), "+14155550004")
	ob := newBatch(t, s, other.ID)
	or := batchRow(ob, 1, store.RowQueued)
	or.E164 = "+14155550006"
	if _, err := s.AddBatchRows(ctx, []store.BatchRow{or}); err != nil {
		t.Fatal(err)
	}
	got, err := s.NumbersInUse(ctx, a.ID, b2.ID, []string{"+14155550001", "+14155550002", "+14155550003", "+14155550004",
		"+14155550005", "+14155550006", "+14155550002"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.NumberUse{"+14155550001": {}, "+14155550002": {BatchID: b1.ID, Line: 7},
		"+14155550005": {BatchID: b1.ID, Line: 9}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NumbersInUse (-want +got):\n%s", diff)
	}
	// The batch's own rows do not count against it (a resumed import).
	got, _ = s.NumbersInUse(ctx, a.ID, b1.ID, []string{"+14155550002"})
	if len(got) != 0 {
		t.Errorf("NumbersInUse of the batch's own row = %v, want none", got)
	}
	if got, err := s.NumbersInUse(ctx, a.ID, b2.ID, nil); err != nil || len(got) != 0 {
		t.Errorf("NumbersInUse(nil) = %v, %v", got, err)
	}
	if err := s.InTx(ctx, func(tx store.Store) error {
		_, err := tx.FinishBatchRows(ctx, a.ID, r.JobID, store.RowSucceeded, "", "")
		return errors.Join(err, errors.New("roll back"))
	}); err == nil {
		t.Fatal("InTx: want the rollback error")
	}
	if got, _ := s.NumbersInUse(ctx, a.ID, b2.ID, []string{"+14155550002"}); len(got) != 1 {
		t.Errorf("a rolled back FinishBatchRows finished the row: %v", got)
	}
}
