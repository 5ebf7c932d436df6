package storetest

import (
	"encoding/json"
	"errors"
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
		Request:   "req-" + newID(),
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

	// Saving again replaces everything but created_at while the record
	// is not finished.
	end := now()
	retrying := pending
	retrying.State = jobs.StateRetrying
	retrying.Attempts = 2
	retrying.ErrorCode = jobs.CodeProviderUnavailable
	retrying.ErrorMessage = "twilio: 503"
	retrying.Reason, retrying.Provider = store.ReasonOutage, jobs.ProviderTwilio
	retrying.Changes = json.RawMessage(`{"before":{"voice_url":""},"after":{"voice_url":"https://sb.example/"}}`)
	retrying.AttemptLog = []store.JobAttempt{
		{N: 1, StartedAt: start, EndedAt: start.Add(time.Second), Code: jobs.CodeProviderUnavailable, Message: "twilio: 500"},
		{N: 2, StartedAt: end.Add(-time.Second), EndedAt: end, Code: jobs.CodeProviderUnavailable, Message: "twilio: 503"},
	}
	retrying.UpdatedAt = end
	retrying.CreatedAt = end // ignored on update
	if err := s.SaveJob(ctx, retrying); err != nil {
		t.Fatalf("SaveJob (update): %v", err)
	}
	got, err = s.GetJob(ctx, a.ID, pending.ID)
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	want := retrying
	want.CreatedAt = start
	if diff := cmp.Diff(want, got, jsonEqual()); diff != "" {
		t.Errorf("GetJob after update mismatch (-want +got):\n%s", diff)
	}
	if got.Result != nil {
		t.Errorf("GetJob Result = %q, want nil", got.Result)
	}

	succeeded := retrying
	succeeded.State = jobs.StateSucceeded
	succeeded.Attempts = 3
	succeeded.ErrorCode, succeeded.ErrorMessage = "", ""
	succeeded.Result = json.RawMessage(`{"added":["+14155550100","+14155550101"]}`)
	succeeded.Changes = nil
	succeeded.FinishedAt = &end
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

// testJobFinished saves over finished records, succeeded and failed, with
// every state: each save answers ErrFinished and changes nothing.
func testJobFinished(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	start := now().Add(-time.Minute)
	for _, final := range []jobs.State{jobs.StateSucceeded, jobs.StateFailed} {
		j := store.JobRecord{ID: "task-" + newID(), OrgID: o.ID, Type: jobs.TypeAddPhone, Request: "req-1",
			State: jobs.StateActive, Attempts: 1, CreatedAt: start, UpdatedAt: start}
		if err := s.SaveJob(ctx, j); err != nil {
			t.Fatalf("SaveJob: %v", err)
		}
		end := now()
		j.State, j.Attempts, j.UpdatedAt, j.FinishedAt = final, 2, end, &end
		if final == jobs.StateFailed {
			j.ErrorCode, j.ErrorMessage = jobs.CodeNotOwned, "not owned"
		} else {
			j.Result = json.RawMessage(`{"number_id":"n1"}`)
		}
		if err := s.SaveJob(ctx, j); err != nil {
			t.Fatalf("SaveJob (%s): %v", final, err)
		}
		for _, state := range []jobs.State{jobs.StatePending, jobs.StateActive, jobs.StateRetrying, jobs.StateSucceeded, jobs.StateFailed} {
			late := j
			late.State = state
			late.Request = "req-2"
			late.Attempts = 9
			late.ErrorCode, late.ErrorMessage = jobs.CodeInternal, "late"
			late.Result = json.RawMessage(`{"late":true}`)
			late.UpdatedAt = end.Add(time.Minute)
			late.FinishedAt = nil
			err := s.SaveJob(ctx, late)
			wantErr(t, fmt.Sprintf("SaveJob(%s over %s)", state, final), err, store.ErrFinished)
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
				t.Errorf("SaveJob(%s over %s): %v is another store error too", state, final, err)
			}
		}
		// The same outcome again is refused too: the record is final.
		err := s.SaveJob(ctx, j)
		wantErr(t, fmt.Sprintf("SaveJob(%s again)", final), err, store.ErrFinished)
		got, err := s.GetJob(ctx, o.ID, j.ID)
		if err != nil {
			t.Fatalf("GetJob: %v", err)
		}
		if diff := cmp.Diff(j, got, jsonEqual()); diff != "" {
			t.Errorf("GetJob after saves over a %s record mismatch (-want +got):\n%s", final, diff)
		}
	}
}

func testListJobs(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	start := now().Add(-time.Hour)
	// Four of a's records share one created_at, so pages of 2 or 3 split
	// them and only the id can order them.
	var saved []store.JobRecord
	// Runs of request r1 (three in a, one in b, which shares the request
	// id by chance) and of r2.
	for _, spec := range []struct {
		org     int64
		minutes int
		state   jobs.State
		typ     string
		request string
	}{
		{a.ID, 1, jobs.StateSucceeded, jobs.TypeAttach, "r1"},
		{a.ID, 0, jobs.StatePending, jobs.TypeAttach, ""},
		{b.ID, 1, jobs.StateSucceeded, jobs.TypeAttach, "r1"},
		{a.ID, 3, jobs.StateSucceeded, jobs.TypeAttach, "r1"},
		{a.ID, 1, jobs.StateFailed, jobs.TypeUnlink, "r2"},
		{a.ID, 2, jobs.StateActive, jobs.TypeUnlink, ""},
		{b.ID, 4, jobs.StateFailed, jobs.TypeAttach, ""},
		{a.ID, 1, jobs.StateSucceeded, jobs.TypeAddPhone, ""},
		{a.ID, 1, jobs.StatePending, jobs.TypeAttach, "r1"},
	} {
		at := start.Add(time.Duration(spec.minutes) * time.Minute)
		j := store.JobRecord{
			ID:        "task-" + newID(),
			OrgID:     spec.org,
			Type:      spec.typ,
			Request:   spec.request,
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
		{"a request's runs", store.JobFilter{OrgID: a.ID, Request: "r1"},
			func(j store.JobRecord) bool { return j.OrgID == a.ID && j.Request == "r1" }},
		{"a request, every org", store.JobFilter{Request: "r1"},
			func(j store.JobRecord) bool { return j.Request == "r1" }},
		{"request and state", store.JobFilter{OrgID: a.ID, Request: "r1", State: jobs.StateSucceeded},
			func(j store.JobRecord) bool {
				return j.OrgID == a.ID && j.Request == "r1" && j.State == jobs.StateSucceeded
			}},
		{"unknown request", store.JobFilter{OrgID: a.ID, Request: "r9"},
			func(store.JobRecord) bool { return false }},
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
