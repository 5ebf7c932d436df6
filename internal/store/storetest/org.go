package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/store"
)

func testOrg(t *testing.T, s store.Store) {
	ctx := t.Context()
	o, err := s.CreateOrg(ctx, "acme")
	if err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	if o.ID == 0 || o.Name != "acme" {
		t.Errorf("CreateOrg = %+v, want a generated id and name acme", o)
	}
	checkCreated(t, "CreatedAt", o.CreatedAt)

	got, err := s.GetOrg(ctx, o.ID)
	if err != nil {
		t.Fatalf("GetOrg: %v", err)
	}
	if diff := cmp.Diff(o, got); diff != "" {
		t.Errorf("GetOrg mismatch (-want +got):\n%s", diff)
	}
	got, err = s.GetOrgByName(ctx, "acme")
	if err != nil {
		t.Fatalf("GetOrgByName: %v", err)
	}
	if diff := cmp.Diff(o, got); diff != "" {
		t.Errorf("GetOrgByName mismatch (-want +got):\n%s", diff)
	}

	_, err = s.GetOrg(ctx, o.ID+1000)
	wantErr(t, "GetOrg(unknown)", err, store.ErrNotFound)
	_, err = s.GetOrgByName(ctx, "globex")
	wantErr(t, "GetOrgByName(unknown)", err, store.ErrNotFound)
	_, err = s.CreateOrg(ctx, "acme")
	wantErr(t, "CreateOrg(duplicate name)", err, store.ErrConflict)

	other, err := s.CreateOrg(ctx, "globex")
	if err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	if other.ID == o.ID {
		t.Errorf("two orgs share id %d", o.ID)
	}
}

func testAPIKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	hash := sha256.Sum256([]byte("sb_key_secret"))
	k := store.APIKey{ID: "sb_" + newID(), OrgID: o.ID, Hash: hash[:], CreatedAt: now()}
	if err := s.CreateAPIKey(ctx, k); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	got, err := s.GetAPIKey(ctx, k.ID)
	if err != nil {
		t.Fatalf("GetAPIKey: %v", err)
	}
	if diff := cmp.Diff(k, got); diff != "" {
		t.Errorf("GetAPIKey mismatch (-want +got):\n%s", diff)
	}

	err = s.CreateAPIKey(ctx, store.APIKey{ID: k.ID, OrgID: o.ID, Hash: hash[:]})
	wantErr(t, "CreateAPIKey(duplicate id)", err, store.ErrConflict)
	_, err = s.GetAPIKey(ctx, "sb_unknown")
	wantErr(t, "GetAPIKey(unknown)", err, store.ErrNotFound)
	err = s.CreateAPIKey(ctx, store.APIKey{ID: "sb_" + newID(), OrgID: o.ID + 1000, Hash: hash[:]})
	wantErr(t, "CreateAPIKey(unknown org)", err, store.ErrNotFound)

	// Left zero, CreatedAt is filled in.
	unset := store.APIKey{ID: "sb_" + newID(), OrgID: o.ID, Hash: hash[:]}
	if err := s.CreateAPIKey(ctx, unset); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	got, err = s.GetAPIKey(ctx, unset.ID)
	if err != nil {
		t.Fatalf("GetAPIKey: %v", err)
	}
	checkCreated(t, "CreatedAt", got.CreatedAt)
}

func testListDeleteAPIKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	hash := sha256.Sum256([]byte("k"))
	var want []store.APIKey
	for i := range 3 {
		k := store.APIKey{ID: "sb_" + newID(), OrgID: a.ID, Hash: hash[:], CreatedAt: now().Add(time.Duration(i) * time.Second)}
		if err := s.CreateAPIKey(ctx, k); err != nil {
			t.Fatalf("CreateAPIKey: %v", err)
		}
		want = append(want, k)
	}
	other := store.APIKey{ID: "sb_" + newID(), OrgID: b.ID, Hash: hash[:], CreatedAt: now()}
	if err := s.CreateAPIKey(ctx, other); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	got, err := s.ListAPIKeys(ctx, a.ID)
	if err != nil {
		t.Fatalf("ListAPIKeys: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListAPIKeys (-want +got):\n%s", diff)
	}
	if err := s.DeleteAPIKey(ctx, want[1].ID); err != nil {
		t.Fatalf("DeleteAPIKey: %v", err)
	}
	_, err = s.GetAPIKey(ctx, want[1].ID)
	wantErr(t, "GetAPIKey(revoked)", err, store.ErrNotFound)
	err = s.DeleteAPIKey(ctx, want[1].ID)
	wantErr(t, "DeleteAPIKey(again)", err, store.ErrNotFound)
	if got, err := s.ListAPIKeys(ctx, a.ID); err != nil || len(got) != 2 {
		t.Errorf("ListAPIKeys after revoking one: %v, %v; want 2", got, err)
	}
	if got, err := s.ListAPIKeys(ctx, b.ID); err != nil || len(got) != 1 {
		t.Errorf("ListAPIKeys(other org): %v, %v; want its 1", got, err)
	}
}
