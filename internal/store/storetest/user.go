package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboardhq/switchboard/internal/store"
)

func testUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	want := store.User{ID: newID(), OrgID: a.ID, Name: "Ada"}
	u, err := s.CreateUser(ctx, want)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if diff := cmp.Diff(want, u, cmpopts.IgnoreFields(store.User{}, "CreatedAt")); diff != "" {
		t.Errorf("CreateUser mismatch (-want +got):\n%s", diff)
	}
	checkCreated(t, "CreatedAt", u.CreatedAt)

	got, err := s.GetUser(ctx, a.ID, u.ID)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if diff := cmp.Diff(u, got); diff != "" {
		t.Errorf("GetUser mismatch (-want +got):\n%s", diff)
	}

	_, err = s.GetUser(ctx, b.ID, u.ID)
	wantErr(t, "GetUser(other org)", err, store.ErrNotFound)
	_, err = s.GetUser(ctx, a.ID, newID())
	wantErr(t, "GetUser(unknown)", err, store.ErrNotFound)
	_, err = s.CreateUser(ctx, store.User{ID: u.ID, OrgID: b.ID, Name: "Bob"})
	wantErr(t, "CreateUser(duplicate id)", err, store.ErrConflict)
	_, err = s.CreateUser(ctx, store.User{ID: newID(), OrgID: b.ID + 1000, Name: "Eve"})
	wantErr(t, "CreateUser(unknown org)", err, store.ErrNotFound)
}
