package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

func testJob(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	start := now().Add(-time.Minute)
	pending := store.JobRecord{
		ID:        "task-" + newID(),
		OrgID:     a.ID,
		Type:      jobs.TypeAttach,
		Numbers:   []string{"+14155550100", "+14155550101"},
		State:     jobs.StatePending,
		CreatedAt: start,
		UpdatedAt: start,
	}
	if err := s.SaveJob(ctx, pending); err != nil {
		t.Fatalf("SaveJob (insert): %v", err)
	}
	got, err := s.GetJob(ctx, a.ID, pending.ID)
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	if diff := cmp.Diff(pending, got, jsonEqual()); diff != "" {
		t.Errorf("GetJob after insert mismatch (-want +got):\n%s", diff)
	}
	if got.Result != nil || got.Changes != nil {
		t.Errorf("GetJob Result = %q, Changes = %q; want nil", got.Result, got.Changes)
	}

	// Saving again replaces everything but created_at.
	end := now()
	failed := pending
	failed.State = jobs.StateFailed
	failed.Attempts = 3
	failed.ErrorCode = jobs.CodeProviderRejected
	failed.ErrorMessage = "twilio: 21450"
	failed.Changes = json.RawMessage(`{"before":{"voice_url":""},"after":{"voice_url":"https://sb.example/"}}`)
	failed.UpdatedAt = end
	failed.FinishedAt = &end
	failed.CreatedAt = end // ignored on update
	if err := s.SaveJob(ctx, failed); err != nil {
		t.Fatalf("SaveJob (update): %v", err)
	}
	got, err = s.GetJob(ctx, a.ID, pending.ID)
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	want := failed
	want.CreatedAt = start
	if diff := cmp.Diff(want, got, jsonEqual()); diff != "" {
		t.Errorf("GetJob after update mismatch (-want +got):\n%s", diff)
	}
	if got.Result != nil {
		t.Errorf("GetJob Result = %q, want nil", got.Result)
	}

	succeeded := failed
	succeeded.State = jobs.StateSucceeded
	succeeded.ErrorCode, succeeded.ErrorMessage = "", ""
	succeeded.Result = json.RawMessage(`{"added":["+14155550100","+14155550101"]}`)
	succeeded.Changes = nil
	if err := s.SaveJob(ctx, succeeded); err != nil {
		t.Fatalf("SaveJob (update): %v", err)
	}
	got, err = s.GetJob(ctx, a.ID, pending.ID)
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	want = succeeded
	want.CreatedAt = start
	if diff := cmp.Diff(want, got, jsonEqual()); diff != "" {
		t.Errorf("GetJob after second update mismatch (-want +got):\n%s", diff)
	}
	if got.Changes != nil {
		t.Errorf("GetJob Changes = %q, want nil after saving nil", got.Changes)
	}

	_, err = s.GetJob(ctx, b.ID, pending.ID)
	wantErr(t, "GetJob(other org)", err, store.ErrNotFound)
	_, err = s.GetJob(ctx, a.ID, "task-unknown")
	wantErr(t, "GetJob(unknown)", err, store.ErrNotFound)

	// No numbers, no timestamps: an empty list, and times filled in.
	bare := store.JobRecord{ID: "task-" + newID(), OrgID: a.ID, Type: jobs.TypeUnlink, State: jobs.StateActive}
	if err := s.SaveJob(ctx, bare); err != nil {
		t.Fatalf("SaveJob: %v", err)
	}
	got, err = s.GetJob(ctx, a.ID, bare.ID)
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	ignoreTimes := cmpopts.IgnoreFields(store.JobRecord{}, "CreatedAt", "UpdatedAt")
	if diff := cmp.Diff(bare, got, cmpopts.EquateEmpty(), ignoreTimes); diff != "" {
		t.Errorf("GetJob mismatch (-want +got):\n%s", diff)
	}
	checkCreated(t, "CreatedAt", got.CreatedAt)
	checkCreated(t, "UpdatedAt", got.UpdatedAt)
}
