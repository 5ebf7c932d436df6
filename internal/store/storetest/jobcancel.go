package storetest

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// testJobCancel: a cancel request is set on a run that has not finished,
// inserted with a pending record when the run has none, kept by later
// requests and by SaveJob, and refused (ErrFinished, nothing changed) on a
// finished run and on another org's run.
func testJobCancel(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	other := newOrg(t, s)
	at := now().Add(-time.Minute)

	// A run with no record yet: the request inserts a pending one.
	fresh := store.JobRecord{ID: "task-" + newID(), OrgID: o.ID, Type: jobs.TypeAddPhone, Request: "req-c",
		Numbers: []string{"+14155550100"}, State: jobs.StatePending, Provider: jobs.ProviderTwilio}
	got, err := s.RequestCancel(ctx, fresh, "ops", at)
	if err != nil {
		t.Fatalf("RequestCancel(no record): %v", err)
	}
	if got.State != jobs.StatePending || got.CancelRequestedBy != "ops" || got.CancelRequestedAt == nil || !got.CancelRequestedAt.Equal(at) ||
		got.Type != jobs.TypeAddPhone || got.Request != "req-c" || len(got.Numbers) != 1 || got.Provider != jobs.ProviderTwilio {
		t.Errorf("RequestCancel(no record) = %+v, want a pending record cancelled by ops at %v", got, at)
	}

	// A retrying record: the request is set; the worker's next save keeps it;
	// a second request keeps the first one's who and when.
	run := store.JobRecord{ID: "task-" + newID(), OrgID: o.ID, Type: jobs.TypeAttach, Request: "req-r",
		State: jobs.StateRetrying, Attempts: 2, ErrorCode: jobs.CodeProviderUnavailable, ErrorMessage: "down", CreatedAt: at, UpdatedAt: at}
	if err := s.SaveJob(ctx, run); err != nil {
		t.Fatal(err)
	}
	if got, err = s.RequestCancel(ctx, run, "ops", at); err != nil || got.CancelRequestedBy != "ops" || got.Attempts != 2 || got.State != jobs.StateRetrying {
		t.Fatalf("RequestCancel(retrying) = %+v, %v; want the record with ops's request", got, err)
	}
	run.Attempts = 3
	if err := s.SaveJob(ctx, run); err != nil {
		t.Fatal(err)
	}
	if got, err = s.RequestCancel(ctx, run, "someone-else", at.Add(time.Second)); err != nil || got.CancelRequestedBy != "ops" || !got.CancelRequestedAt.Equal(at) || got.Attempts != 3 {
		t.Errorf("second RequestCancel = %+v, %v; want ops's request kept through SaveJob and the second request", got, err)
	}

	// Another org's run: not found, unchanged.
	if _, err := s.RequestCancel(ctx, store.JobRecord{ID: run.ID, OrgID: other.ID, State: jobs.StatePending}, "intruder", at); err == nil {
		t.Errorf("RequestCancel of another org's run: no error")
	}

	// A finished run: ErrFinished, the record unchanged.
	end := now()
	done := store.JobRecord{ID: "task-" + newID(), OrgID: o.ID, Type: jobs.TypeAddPhone, State: jobs.StateSucceeded, Attempts: 1,
		CreatedAt: at, UpdatedAt: end, FinishedAt: &end}
	if err := s.SaveJob(ctx, done); err != nil {
		t.Fatal(err)
	}
	got, err = s.RequestCancel(ctx, done, "ops", at)
	wantErr(t, "RequestCancel(succeeded)", err, store.ErrFinished)
	if got.State != jobs.StateSucceeded || got.CancelRequestedAt != nil {
		t.Errorf("RequestCancel(succeeded) returned %+v, want the succeeded record without a request", got)
	}
	after, err := s.GetJob(ctx, o.ID, done.ID)
	if err != nil || after.CancelRequestedAt != nil || after.CancelRequestedBy != "" {
		t.Errorf("succeeded record after RequestCancel: %+v, %v; want no request", after, err)
	}
}
