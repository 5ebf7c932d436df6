package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
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

func testListJobs(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	start := now().Add(-time.Hour)
	// Four of a's records share one created_at, so pages of 2 or 3 split
	// them and only the id can order them.
	var saved []store.JobRecord
	for _, spec := range []struct {
		org     int64
		minutes int
		state   jobs.State
		typ     string
	}{
		{a.ID, 1, jobs.StateSucceeded, jobs.TypeAttach},
		{a.ID, 0, jobs.StatePending, jobs.TypeAttach},
		{b.ID, 1, jobs.StateSucceeded, jobs.TypeAttach},
		{a.ID, 3, jobs.StateSucceeded, jobs.TypeAttach},
		{a.ID, 1, jobs.StateFailed, jobs.TypeUnlink},
		{a.ID, 2, jobs.StateActive, jobs.TypeUnlink},
		{b.ID, 4, jobs.StateFailed, jobs.TypeAttach},
		{a.ID, 1, jobs.StateSucceeded, jobs.TypeAddPhone},
		{a.ID, 1, jobs.StatePending, jobs.TypeAttach},
	} {
		at := start.Add(time.Duration(spec.minutes) * time.Minute)
		j := store.JobRecord{
			ID:        "task-" + newID(),
			OrgID:     spec.org,
			Type:      spec.typ,
			Numbers:   []string{"+14155550100"},
			State:     spec.state,
			CreatedAt: at,
			UpdatedAt: at,
		}
		if spec.state == jobs.StateSucceeded {
			j.Result = json.RawMessage(`{"ok":true}`)
		}
		if err := s.SaveJob(ctx, j); err != nil {
			t.Fatalf("SaveJob: %v", err)
		}
		saved = append(saved, j)
	}
	// newestFirst is the records keep accepts, in ListJobs order.
	newestFirst := func(keep func(store.JobRecord) bool) []store.JobRecord {
		var out []store.JobRecord
		for _, j := range saved {
			if keep(j) {
				out = append(out, j)
			}
		}
		slices.SortFunc(out, func(x, y store.JobRecord) int {
			if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(y.ID, x.ID)
		})
		return out
	}

	for _, tc := range []struct {
		name string
		f    store.JobFilter
		keep func(store.JobRecord) bool
	}{
		{"every org", store.JobFilter{},
			func(store.JobRecord) bool { return true }},
		{"one org", store.JobFilter{OrgID: a.ID},
			func(j store.JobRecord) bool { return j.OrgID == a.ID }},
		{"state", store.JobFilter{State: jobs.StateFailed},
			func(j store.JobRecord) bool { return j.State == jobs.StateFailed }},
		{"type", store.JobFilter{Type: jobs.TypeAttach},
			func(j store.JobRecord) bool { return j.Type == jobs.TypeAttach }},
		{"org and state", store.JobFilter{OrgID: a.ID, State: jobs.StateSucceeded},
			func(j store.JobRecord) bool { return j.OrgID == a.ID && j.State == jobs.StateSucceeded }},
		{"org, state and type", store.JobFilter{OrgID: a.ID, State: jobs.StateSucceeded, Type: jobs.TypeAttach},
			func(j store.JobRecord) bool {
				return j.OrgID == a.ID && j.State == jobs.StateSucceeded && j.Type == jobs.TypeAttach
			}},
		{"nothing matches", store.JobFilter{OrgID: b.ID, Type: jobs.TypeUnlink},
			func(store.JobRecord) bool { return false }},
	} {
		want := newestFirst(tc.keep)
		for _, limit := range []int{2, 3, 0} {
			f := tc.f
			f.Limit = limit
			got, pages := listAllJobs(t, s, f)
			name := fmt.Sprintf("%s, limit %d", tc.name, limit)
			if diff := cmp.Diff(want, got, jsonEqual()); diff != "" {
				t.Errorf("ListJobs %s mismatch (-want +got):\n%s", name, diff)
			}
			wantPages := len(want)
			if limit > 0 {
				wantPages = (len(want) + limit - 1) / limit
			} else if wantPages > 0 {
				wantPages = 1
			}
			if pages != wantPages {
				t.Errorf("ListJobs %s: %d pages, want %d", name, pages, wantPages)
			}
		}
	}
	// The cases above include a's seven records in three pages of three,
	// with the shared created_at across the first two.
	if n := len(newestFirst(func(j store.JobRecord) bool { return j.OrgID == a.ID })); n != 7 {
		t.Fatalf("org a has %d records, want 7", n)
	}

	// Without a limit, pages hold 50.
	c := newOrg(t, s)
	for i := range 51 {
		at := start.Add(time.Duration(i) * time.Second)
		j := store.JobRecord{ID: fmt.Sprintf("task-%02d", i), OrgID: c.ID, Type: jobs.TypeAttach,
			State: jobs.StatePending, CreatedAt: at, UpdatedAt: at}
		if err := s.SaveJob(ctx, j); err != nil {
			t.Fatalf("SaveJob: %v", err)
		}
	}
	page, err := s.ListJobs(ctx, store.JobFilter{OrgID: c.ID})
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	if len(page) != 50 || page[0].ID != "task-50" || page[49].ID != "task-01" {
		t.Errorf("ListJobs (no limit) returned %d records, want 50, task-50 to task-01", len(page))
	}
}

// listAllJobs pages through ListJobs from f until an empty page, checking
// each page respects f.Limit.
func listAllJobs(t *testing.T, s store.Store, f store.JobFilter) (all []store.JobRecord, pages int) {
	t.Helper()
	limit := f.Limit
	if limit == 0 {
		limit = 50
	}
	for {
		page, err := s.ListJobs(t.Context(), f)
		if err != nil {
			t.Fatalf("ListJobs(%+v): %v", f, err)
		}
		if len(page) > limit {
			t.Fatalf("ListJobs(%+v) returned %d records, over the limit", f, len(page))
		}
		if len(page) == 0 {
			return all, pages // nil when there are none
		}
		if pages++; pages > 20 {
			t.Fatalf("ListJobs: paging does not end")
		}
		all = append(all, page...)
		last := page[len(page)-1]
		f.Before = &store.JobCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}
