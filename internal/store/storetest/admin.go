package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// saveJobs saves each record, failing the test on an error.
func saveJobs(t *testing.T, s store.Store, recs ...store.JobRecord) {
	t.Helper()
	for _, r := range recs {
		if err := s.SaveJob(t.Context(), r); err != nil {
			t.Fatalf("SaveJob %s: %v", r.ID, err)
		}
	}
}

// failedJob is a record of org that failed for reason on provider at at.
func failedJob(org int64, reason, provider string, at time.Time, numbers ...string) store.JobRecord {
	return store.JobRecord{ID: "task-" + newID(), OrgID: org, Type: jobs.TypeAddPhone, Numbers: numbers,
		State: jobs.StateFailed, Attempts: 1, ErrorCode: jobs.CodeProviderUnavailable, ErrorMessage: "down",
		Reason: reason, Provider: provider, CreatedAt: at, UpdatedAt: at, FinishedAt: &at}
}

func jobIDs(recs []store.JobRecord) []string {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids
}

func testListJobsAdminFilters(t *testing.T, s store.Store) {
	a, b := newOrg(t, s), newOrg(t, s)
	t0 := now().Add(-2 * time.Hour)
	old := failedJob(a.ID, store.ReasonOutage, jobs.ProviderTwilio, t0, "+14155550100")
	outage := failedJob(a.ID, store.ReasonOutage, jobs.ProviderTwilio, t0.Add(time.Hour), "+14155550101", "+14155550102")
	plivo := failedJob(b.ID, store.ReasonOutage, jobs.ProviderPlivo, t0.Add(time.Hour+time.Minute), "+14155550102")
	creds := failedJob(a.ID, store.ReasonBadCredentials, jobs.ProviderTwilio, t0.Add(time.Hour+2*time.Minute), "+14155550103")
	saveJobs(t, s, old, outage, plivo, creds)

	for _, tc := range []struct {
		name string
		f    store.JobFilter
		want []store.JobRecord
	}{
		{"reason", store.JobFilter{Reason: store.ReasonOutage}, []store.JobRecord{plivo, outage, old}},
		{"reason and provider", store.JobFilter{Reason: store.ReasonOutage, Provider: jobs.ProviderTwilio}, []store.JobRecord{outage, old}},
		{"reason and org", store.JobFilter{Reason: store.ReasonOutage, OrgID: b.ID}, []store.JobRecord{plivo}},
		{"number among several", store.JobFilter{Number: "+14155550102"}, []store.JobRecord{plivo, outage}},
		{"number nowhere", store.JobFilter{Number: "+14155550199"}, nil},
		{"number is not a prefix", store.JobFilter{Number: "+1415555010"}, nil},
		{"since is inclusive", store.JobFilter{Since: outage.UpdatedAt, Provider: jobs.ProviderTwilio}, []store.JobRecord{creds, outage}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListJobs(t.Context(), tc.f)
			if err != nil {
				t.Fatalf("ListJobs: %v", err)
			}
			if diff := cmp.Diff(jobIDs(tc.want), jobIDs(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ListJobs(%+v) ids mismatch (-want +got):\n%s", tc.f, diff)
			}
		})
	}
}

func testCountFailures(t *testing.T, s store.Store) {
	a, b := newOrg(t, s), newOrg(t, s)
	t0 := now()
	hourAgo := t0.Add(-time.Hour)
	retrying := failedJob(a.ID, store.ReasonOutage, jobs.ProviderTwilio, t0)
	retrying.State, retrying.FinishedAt = jobs.StateRetrying, nil
	saveJobs(t, s,
		failedJob(a.ID, store.ReasonOutage, jobs.ProviderTwilio, t0),
		failedJob(a.ID, store.ReasonOutage, jobs.ProviderTwilio, hourAgo), // at since: counted
		failedJob(a.ID, store.ReasonOutage, jobs.ProviderTwilio, hourAgo.Add(-time.Second)),
		failedJob(b.ID, store.ReasonOutage, jobs.ProviderTwilio, t0),
		failedJob(a.ID, store.ReasonRateLimited, jobs.ProviderPlivo, t0),
		retrying, // not failed for good
	)
	got, err := s.CountFailures(t.Context(), hourAgo)
	if err != nil {
		t.Fatalf("CountFailures: %v", err)
	}
	// Other tests' orgs may share the store: keep this test's.
	var mine []store.FailureCount
	for _, c := range got {
		if c.OrgID == a.ID || c.OrgID == b.ID {
			mine = append(mine, c)
		}
	}
	want := []store.FailureCount{
		{Reason: store.ReasonOutage, Provider: jobs.ProviderTwilio, OrgID: a.ID, Count: 2},
		{Reason: store.ReasonOutage, Provider: jobs.ProviderTwilio, OrgID: b.ID, Count: 1},
		{Reason: store.ReasonRateLimited, Provider: jobs.ProviderPlivo, OrgID: a.ID, Count: 1},
	}
	sortCounts := cmpopts.SortSlices(func(x, y store.FailureCount) bool {
		if x.Count != y.Count {
			return x.Count > y.Count
		}
		if x.Reason != y.Reason {
			return x.Reason < y.Reason
		}
		return x.OrgID < y.OrgID
	})
	if diff := cmp.Diff(want, mine, sortCounts); diff != "" {
		t.Errorf("CountFailures mismatch (-want +got):\n%s", diff)
	}
	if len(mine) > 0 && mine[0].Count != 2 {
		t.Errorf("CountFailures starts with %+v, want the largest group first", mine[0])
	}
}

func testAdminActions(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := now().Add(-time.Minute)
	first, err := s.RecordAdminAction(ctx, store.AdminAction{At: at, Actor: "ops", Action: "retry", Target: "job add-1.a", Count: 1, Detail: "retried"})
	if err != nil {
		t.Fatalf("RecordAdminAction: %v", err)
	}
	second, err := s.RecordAdminAction(ctx, store.AdminAction{Actor: "ops", Action: "retry-reason", Target: "provider_outage", Count: 3})
	if err != nil {
		t.Fatalf("RecordAdminAction: %v", err)
	}
	if first.ID == 0 || second.ID <= first.ID {
		t.Errorf("ids %d then %d, want increasing", first.ID, second.ID)
	}
	if second.At.IsZero() || second.At.Before(at) {
		t.Errorf("At left zero = %v, want now", second.At)
	}
	got, err := s.ListAdminActions(ctx, 10)
	if err != nil {
		t.Fatalf("ListAdminActions: %v", err)
	}
	if diff := cmp.Diff([]store.AdminAction{second, first}, got, cmpopts.EquateApproxTime(time.Millisecond)); diff != "" {
		t.Errorf("ListAdminActions mismatch (-want +got):\n%s", diff)
	}
	if _, err := s.RecordAdminAction(ctx, store.AdminAction{Actor: "ops", Action: "retry", Target: "x", Count: -1}); err == nil {
		t.Error("RecordAdminAction with a negative count succeeded, want an error")
	}
	if got, err := s.ListAdminActions(ctx, 1); err != nil || len(got) != 1 {
		t.Errorf("ListAdminActions(1) = %d actions, %v; want 1", len(got), err)
	}
}
