package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboardhq/switchboard/internal/store"
)

func testLink(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	u := newUser(t, s, a.ID)
	n := newNumber(t, s, u, "+14155550100")
	t1, t2 := newTarget(t, s, a.ID), newTarget(t, s, a.ID)

	want := store.Link{OrgID: a.ID, NumberID: n.ID, TargetID: t1.ID, Status: store.LinkActive, JobID: "job-1"}
	l, err := s.CreateLink(ctx, want)
	if err != nil {
		t.Fatalf("CreateLink: %v", err)
	}
	if diff := cmp.Diff(want, l, cmpopts.IgnoreFields(store.Link{}, "CreatedAt")); diff != "" {
		t.Errorf("CreateLink mismatch (-want +got):\n%s", diff)
	}
	checkCreated(t, "CreatedAt", l.CreatedAt)

	got, err := s.GetLink(ctx, a.ID, n.ID)
	if err != nil {
		t.Fatalf("GetLink: %v", err)
	}
	if diff := cmp.Diff(l, got); diff != "" {
		t.Errorf("GetLink mismatch (-want +got):\n%s", diff)
	}

	// At most one link per number, whatever the target.
	_, err = s.CreateLink(ctx, store.Link{OrgID: a.ID, NumberID: n.ID, TargetID: t2.ID, Status: store.LinkActive})
	wantErr(t, "CreateLink(number linked, other target)", err, store.ErrConflict)
	_, err = s.CreateLink(ctx, store.Link{OrgID: a.ID, NumberID: n.ID, TargetID: t1.ID, Status: store.LinkActive})
	wantErr(t, "CreateLink(number linked, same target)", err, store.ErrConflict)
	got, err = s.GetLink(ctx, a.ID, n.ID)
	if err != nil {
		t.Fatalf("GetLink: %v", err)
	}
	if diff := cmp.Diff(l, got); diff != "" {
		t.Errorf("GetLink after refused links mismatch (-want +got):\n%s", diff)
	}

	_, err = s.GetLink(ctx, b.ID, n.ID)
	wantErr(t, "GetLink(other org)", err, store.ErrNotFound)
	unlinked := newNumber(t, s, u, "+14155550101")
	_, err = s.GetLink(ctx, a.ID, unlinked.ID)
	wantErr(t, "GetLink(number without link)", err, store.ErrNotFound)

	// The number and the target must exist, in the link's org.
	_, err = s.CreateLink(ctx, store.Link{OrgID: a.ID, NumberID: newID(), TargetID: t1.ID, Status: store.LinkActive})
	wantErr(t, "CreateLink(unknown number)", err, store.ErrNotFound)
	_, err = s.CreateLink(ctx, store.Link{OrgID: a.ID, NumberID: unlinked.ID, TargetID: newID(), Status: store.LinkActive})
	wantErr(t, "CreateLink(unknown target)", err, store.ErrNotFound)
	foreign := newTarget(t, s, b.ID)
	_, err = s.CreateLink(ctx, store.Link{OrgID: a.ID, NumberID: unlinked.ID, TargetID: foreign.ID, Status: store.LinkActive})
	wantErr(t, "CreateLink(other org's target)", err, store.ErrNotFound)

	// Timestamps given by the caller are kept.
	created, updated := now().Add(-time.Hour), now()
	want = store.Link{OrgID: a.ID, NumberID: unlinked.ID, TargetID: t2.ID, Status: store.LinkActive,
		JobID: "job-2", CreatedAt: created, UpdatedAt: &updated}
	if _, err := s.CreateLink(ctx, want); err != nil {
		t.Fatalf("CreateLink: %v", err)
	}
	got, err = s.GetLink(ctx, a.ID, unlinked.ID)
	if err != nil {
		t.Fatalf("GetLink: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetLink mismatch (-want +got):\n%s", diff)
	}
	if got.UpdatedAt.Location() != time.UTC {
		t.Errorf("UpdatedAt = %v, want UTC", got.UpdatedAt)
	}
}

func testSetLinkStatus(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	n := newNumber(t, s, newUser(t, s, a.ID), "+14155550100")
	t1, t2 := newTarget(t, s, a.ID), newTarget(t, s, a.ID)
	l := newLink(t, s, store.Link{OrgID: a.ID, NumberID: n.ID, TargetID: t1.ID, Status: store.LinkPending, JobID: "job-1"})

	got, err := s.SetLinkStatus(ctx, a.ID, n.ID, t1.ID, store.LinkActive)
	if err != nil {
		t.Fatalf("SetLinkStatus: %v", err)
	}
	want := l
	want.Status = store.LinkActive
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.Link{}, "UpdatedAt")); diff != "" {
		t.Errorf("SetLinkStatus mismatch (-want +got):\n%s", diff)
	}
	if got.UpdatedAt == nil {
		t.Fatalf("SetLinkStatus UpdatedAt = nil, want set")
	}
	checkCreated(t, "UpdatedAt", *got.UpdatedAt)
	stored, err := s.GetLink(ctx, a.ID, n.ID)
	if err != nil {
		t.Fatalf("GetLink: %v", err)
	}
	if diff := cmp.Diff(got, stored); diff != "" {
		t.Errorf("GetLink after SetLinkStatus mismatch (-want +got):\n%s", diff)
	}

	// The number is linked, but not to t2: nothing changes.
	_, err = s.SetLinkStatus(ctx, a.ID, n.ID, t2.ID, store.LinkPending)
	wantErr(t, "SetLinkStatus(other target)", err, store.ErrNotFound)
	_, err = s.SetLinkStatus(ctx, b.ID, n.ID, t1.ID, store.LinkPending)
	wantErr(t, "SetLinkStatus(other org)", err, store.ErrNotFound)
	_, err = s.SetLinkStatus(ctx, a.ID, newID(), t1.ID, store.LinkPending)
	wantErr(t, "SetLinkStatus(unknown number)", err, store.ErrNotFound)
	after, err := s.GetLink(ctx, a.ID, n.ID)
	if err != nil {
		t.Fatalf("GetLink: %v", err)
	}
	if diff := cmp.Diff(stored, after); diff != "" {
		t.Errorf("GetLink after refused SetLinkStatus mismatch (-want +got):\n%s", diff)
	}
}

func testDeleteLink(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	n := newNumber(t, s, newUser(t, s, a.ID), "+14155550100")
	t1, t2 := newTarget(t, s, a.ID), newTarget(t, s, a.ID)
	l := newLink(t, s, store.Link{OrgID: a.ID, NumberID: n.ID, TargetID: t1.ID, Status: store.LinkActive})

	err := s.DeleteLink(ctx, a.ID, n.ID, t2.ID)
	wantErr(t, "DeleteLink(other target)", err, store.ErrNotFound)
	err = s.DeleteLink(ctx, b.ID, n.ID, t1.ID)
	wantErr(t, "DeleteLink(other org)", err, store.ErrNotFound)
	got, err := s.GetLink(ctx, a.ID, n.ID)
	if err != nil {
		t.Fatalf("GetLink after refused DeleteLink: %v", err)
	}
	if diff := cmp.Diff(l, got); diff != "" {
		t.Errorf("GetLink after refused DeleteLink mismatch (-want +got):\n%s", diff)
	}

	if err := s.DeleteLink(ctx, a.ID, n.ID, t1.ID); err != nil {
		t.Fatalf("DeleteLink: %v", err)
	}
	_, err = s.GetLink(ctx, a.ID, n.ID)
	wantErr(t, "GetLink(deleted)", err, store.ErrNotFound)
	err = s.DeleteLink(ctx, a.ID, n.ID, t1.ID)
	wantErr(t, "DeleteLink(already deleted)", err, store.ErrNotFound)

	// The number is free for another link.
	newLink(t, s, store.Link{OrgID: a.ID, NumberID: n.ID, TargetID: t2.ID, Status: store.LinkPending})
}

func testListLinks(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	u := newUser(t, s, a.ID)
	t1, t2 := newTarget(t, s, a.ID), newTarget(t, s, a.ID)
	start := now().Add(-time.Hour)

	// Linked in an order that is not created_at order, with number ids in
	// link order; one number is Plivo's, to show Provider is the number's.
	ids := ascendingIDs(3)
	plivo := number(u, "+14155550102")
	plivo.ID = ids[2]
	plivo.Provider = "plivo"
	if _, err := s.CreateNumber(ctx, plivo); err != nil {
		t.Fatalf("CreateNumber: %v", err)
	}
	var linked []store.LinkedNumber // t1's, oldest first
	for _, tc := range []struct {
		n       store.Number
		status  string
		minutes int
	}{
		{newNumberID(t, s, u, "+14155550100", ids[0]), store.LinkActive, 3},
		{newNumberID(t, s, u, "+14155550101", ids[1]), store.LinkPending, 1},
		{plivo, store.LinkActive, 2},
	} {
		l := newLink(t, s, store.Link{OrgID: a.ID, NumberID: tc.n.ID, TargetID: t1.ID, Status: tc.status,
			JobID: "job-" + newID(), CreatedAt: start.Add(time.Duration(tc.minutes) * time.Minute)})
		linked = append(linked, store.LinkedNumber{Link: l, E164: tc.n.E164, Provider: tc.n.Provider})
	}
	slices.SortFunc(linked, func(x, y store.LinkedNumber) int { return x.CreatedAt.Compare(y.CreatedAt) })
	n2 := newNumber(t, s, u, "+14155550103")
	l2 := newLink(t, s, store.Link{OrgID: a.ID, NumberID: n2.ID, TargetID: t2.ID, Status: store.LinkActive})

	for _, tc := range []struct {
		name   string
		org    int64
		target string
		status string
		want   []store.LinkedNumber
	}{
		{"all", a.ID, t1.ID, "", linked},
		{"active", a.ID, t1.ID, store.LinkActive, []store.LinkedNumber{linked[1], linked[2]}},
		{"pending", a.ID, t1.ID, store.LinkPending, []store.LinkedNumber{linked[0]}},
		{"other target", a.ID, t2.ID, "", []store.LinkedNumber{{Link: l2, E164: n2.E164, Provider: n2.Provider}}},
		{"other target, pending", a.ID, t2.ID, store.LinkPending, nil},
		{"other org", b.ID, t1.ID, "", nil},
		{"unknown target", a.ID, newID(), "", nil},
	} {
		got, err := s.ListLinks(ctx, tc.org, tc.target, tc.status)
		if err != nil {
			t.Fatalf("ListLinks %s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ListLinks %s mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
}

func testActivateLink(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	n := newNumber(t, s, newUser(t, s, a.ID), "+14155550100")
	t1, t2 := newTarget(t, s, a.ID), newTarget(t, s, a.ID)
	l := newLink(t, s, store.Link{OrgID: a.ID, NumberID: n.ID, TargetID: t1.ID, Status: store.LinkPending, JobID: "job-1"})

	got, err := s.ActivateLink(ctx, a.ID, n.ID, t1.ID)
	if err != nil {
		t.Fatalf("ActivateLink: %v", err)
	}
	want := l
	want.Status = store.LinkActive // and UpdatedAt still nil: never updated
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ActivateLink mismatch (-want +got):\n%s", diff)
	}
	if stored, err := s.GetLink(ctx, a.ID, n.ID); err != nil || !cmp.Equal(got, stored) {
		t.Errorf("GetLink after ActivateLink = %+v, %v; want %+v", stored, err, got)
	}
	_, err = s.ActivateLink(ctx, a.ID, n.ID, t2.ID)
	wantErr(t, "ActivateLink(other target)", err, store.ErrNotFound)
	_, err = s.ActivateLink(ctx, b.ID, n.ID, t1.ID)
	wantErr(t, "ActivateLink(other org)", err, store.ErrNotFound)
}
