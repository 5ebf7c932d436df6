package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboardhq/switchboard/internal/store"
)

func testConnection(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	first := store.Connection{
		ID:          newID(),
		OrgID:       a.ID,
		Provider:    "twilio",
		AccountID:   "AC123",
		Credentials: "v1:first",
	}
	c, err := s.UpsertConnection(ctx, first)
	if err != nil {
		t.Fatalf("UpsertConnection: %v", err)
	}
	ignoreTimes := cmpopts.IgnoreFields(store.Connection{}, "CreatedAt", "UpdatedAt")
	if diff := cmp.Diff(first, c, ignoreTimes); diff != "" {
		t.Errorf("UpsertConnection mismatch (-want +got):\n%s", diff)
	}
	checkCreated(t, "CreatedAt", c.CreatedAt)
	checkCreated(t, "UpdatedAt", c.UpdatedAt)

	// The same account again: the existing row keeps its id and
	// created_at and takes the new credentials.
	second := first
	second.ID = newID()
	second.Credentials = "v1:second"
	second.UpdatedAt = c.UpdatedAt.Add(time.Second)
	c2, err := s.UpsertConnection(ctx, second)
	if err != nil {
		t.Fatalf("UpsertConnection (again): %v", err)
	}
	want := c
	want.Credentials = "v1:second"
	want.UpdatedAt = second.UpdatedAt
	if diff := cmp.Diff(want, c2); diff != "" {
		t.Errorf("UpsertConnection (again) mismatch (-want +got):\n%s", diff)
	}

	got, err := s.GetConnection(ctx, a.ID, c.ID)
	if err != nil {
		t.Fatalf("GetConnection: %v", err)
	}
	if diff := cmp.Diff(c2, got); diff != "" {
		t.Errorf("GetConnection mismatch (-want +got):\n%s", diff)
	}
	_, err = s.GetConnection(ctx, a.ID, second.ID)
	wantErr(t, "GetConnection(id of the replaced upsert)", err, store.ErrNotFound)
	_, err = s.GetConnection(ctx, b.ID, c.ID)
	wantErr(t, "GetConnection(other org)", err, store.ErrNotFound)

	// Another org may connect the same provider account.
	inB := first
	inB.ID = newID()
	inB.OrgID = b.ID
	cb, err := s.UpsertConnection(ctx, inB)
	if err != nil {
		t.Fatalf("UpsertConnection (other org): %v", err)
	}
	if cb.ID != inB.ID {
		t.Errorf("UpsertConnection (other org) ID = %q, want %q", cb.ID, inB.ID)
	}

	// Telnyx has no account id.
	telnyx := store.Connection{ID: newID(), OrgID: a.ID, Provider: "telnyx", Credentials: "v1:t"}
	if _, err := s.UpsertConnection(ctx, telnyx); err != nil {
		t.Fatalf("UpsertConnection (empty account): %v", err)
	}

	// A new connection taking an id already in use is refused.
	taken := store.Connection{ID: c.ID, OrgID: a.ID, Provider: "plivo", AccountID: "MA1", Credentials: "v1:p"}
	_, err = s.UpsertConnection(ctx, taken)
	wantErr(t, "UpsertConnection(id taken)", err, store.ErrConflict)
}

func testListConnections(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b, empty := newOrg(t, s), newOrg(t, s), newOrg(t, s)
	// Stored newest first, with ids in storage order, so only created_at
	// can put them in order.
	start := now().Add(-time.Hour)
	ids := ascendingIDs(3)
	var want []store.Connection
	for i, provider := range []string{"telnyx", "plivo", "twilio"} {
		c, err := s.UpsertConnection(ctx, store.Connection{
			ID:          ids[i],
			OrgID:       a.ID,
			Provider:    provider,
			AccountID:   "acct-" + newID(),
			Credentials: "v1:sealed",
			CreatedAt:   start.Add(time.Duration(3-i) * time.Minute),
		})
		if err != nil {
			t.Fatalf("UpsertConnection: %v", err)
		}
		want = append([]store.Connection{c}, want...)
	}
	inB := newConnection(t, s, b.ID)

	got, err := s.ListConnections(ctx, a.ID)
	if err != nil {
		t.Fatalf("ListConnections: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListConnections mismatch (-want +got):\n%s", diff)
	}
	got, err = s.ListConnections(ctx, b.ID)
	if err != nil {
		t.Fatalf("ListConnections (other org): %v", err)
	}
	if diff := cmp.Diff([]store.Connection{inB}, got); diff != "" {
		t.Errorf("ListConnections (other org) mismatch (-want +got):\n%s", diff)
	}
	got, err = s.ListConnections(ctx, empty.ID)
	if err != nil || len(got) != 0 {
		t.Errorf("ListConnections (org without connections) = %v, %v; want none", got, err)
	}
}
