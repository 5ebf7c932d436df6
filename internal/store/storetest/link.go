package storetest

import (
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
