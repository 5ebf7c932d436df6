package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// testReadAddPhone: ReadAddPhone answers what GetJob, GetNumber and
// GetConnectionByAccount answer, each read on its own, found or not, in
// a transaction or not.
func testReadAddPhone(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	u := newUser(t, s, a.ID)
	conn := newConnection(t, s, a.ID)
	num := newNumber(t, s, u, "+14155550100")
	rec := store.JobRecord{ID: "task-" + newID(), OrgID: a.ID, Type: jobs.TypeAddPhone, Request: "req-" + newID(),
		State: jobs.StateRetrying, CreatedAt: now(), UpdatedAt: now()}
	if err := s.SaveJob(ctx, rec); err != nil {
		t.Fatalf("SaveJob: %v", err)
	}
	found := store.AddPhoneQuery{OrgID: a.ID, JobID: rec.ID, E164: num.E164, Provider: conn.Provider, AccountID: conn.AccountID}
	for _, tc := range []struct {
		name string
		q    store.AddPhoneQuery
	}{
		{"all found", found},
		{"none found", store.AddPhoneQuery{OrgID: b.ID, JobID: rec.ID, E164: num.E164, Provider: conn.Provider, AccountID: conn.AccountID}},
		{"job only", store.AddPhoneQuery{OrgID: a.ID, JobID: rec.ID, E164: "+14155550199", Provider: "plivo", AccountID: conn.AccountID}},
		{"number only", store.AddPhoneQuery{OrgID: a.ID, JobID: "task-" + newID(), E164: num.E164, Provider: conn.Provider, AccountID: "other"}},
		{"connection only", store.AddPhoneQuery{OrgID: a.ID, JobID: "task-" + newID(), E164: "+14155550199", Provider: conn.Provider, AccountID: conn.AccountID}},
	} {
		var want store.AddPhoneReads
		want.Job, want.JobErr = s.GetJob(ctx, tc.q.OrgID, tc.q.JobID)
		want.Number, want.NumberErr = s.GetNumber(ctx, tc.q.OrgID, tc.q.E164)
		want.Connection, want.ConnectionErr = s.GetConnectionByAccount(ctx, tc.q.OrgID, tc.q.Provider, tc.q.AccountID)
		check := func(where string, got store.AddPhoneReads) {
			t.Helper()
			for _, e := range []struct {
				what      string
				got, want error
			}{{"job", got.JobErr, want.JobErr}, {"number", got.NumberErr, want.NumberErr}, {"connection", got.ConnectionErr, want.ConnectionErr}} {
				if (e.got == nil) != (e.want == nil) || (e.want != nil && !errors.Is(e.got, store.ErrNotFound)) {
					t.Errorf("%s %s: %s error = %v, want %v", tc.name, where, e.what, e.got, e.want)
				}
			}
			got.JobErr, got.NumberErr, got.ConnectionErr = want.JobErr, want.NumberErr, want.ConnectionErr
			if diff := cmp.Diff(want, got, jsonEqual(), cmp.Comparer(func(x, y error) bool { return true })); diff != "" {
				t.Errorf("%s %s mismatch (-single reads +ReadAddPhone):\n%s", tc.name, where, diff)
			}
		}
		check("outside a transaction", s.ReadAddPhone(ctx, tc.q))
		err := s.InTx(ctx, func(tx store.Store) error {
			check("in a transaction", tx.ReadAddPhone(ctx, tc.q))
			return nil
		})
		if err != nil {
			t.Fatalf("InTx: %v", err)
		}
	}
	if got := s.ReadAddPhone(ctx, found); got.Job.ID != rec.ID || got.Number.ID != num.ID || got.Connection.ID != conn.ID {
		t.Errorf("ReadAddPhone(all found) = job %q, number %q, connection %q; want %q, %q, %q",
			got.Job.ID, got.Number.ID, got.Connection.ID, rec.ID, num.ID, conn.ID)
	}
}
