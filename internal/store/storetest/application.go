package storetest

import (
	"testing"

	"github.com/switchboardhq/switchboard/internal/store"
)

func testApplication(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	c1, c2 := newConnection(t, s, o.ID), newConnection(t, s, o.ID)

	wantApp := func(connectionID, name, want string) {
		t.Helper()
		got, err := s.GetApplication(ctx, connectionID, name)
		if err != nil {
			t.Fatalf("GetApplication(%s): %v", name, err)
		}
		if got != want {
			t.Errorf("GetApplication(%s) = %q, want %q", name, got, want)
		}
	}
	save := func(connectionID, name, appID string) {
		t.Helper()
		if err := s.SaveApplication(ctx, connectionID, name, appID); err != nil {
			t.Fatalf("SaveApplication(%s, %s): %v", name, appID, err)
		}
	}

	_, err := s.GetApplication(ctx, c1.ID, "switchboard")
	wantErr(t, "GetApplication(unknown)", err, store.ErrNotFound)

	save(c1.ID, "switchboard", "AP1")
	wantApp(c1.ID, "switchboard", "AP1")
	// Saving again replaces the id.
	save(c1.ID, "switchboard", "AP2")
	wantApp(c1.ID, "switchboard", "AP2")

	// The id belongs to (connection, name).
	_, err = s.GetApplication(ctx, c1.ID, "fallback")
	wantErr(t, "GetApplication(other name)", err, store.ErrNotFound)
	_, err = s.GetApplication(ctx, c2.ID, "switchboard")
	wantErr(t, "GetApplication(other connection)", err, store.ErrNotFound)
	save(c2.ID, "switchboard", "AP3")
	save(c1.ID, "fallback", "AP4")
	wantApp(c1.ID, "switchboard", "AP2")
	wantApp(c1.ID, "fallback", "AP4")
	wantApp(c2.ID, "switchboard", "AP3")

	err = s.SaveApplication(ctx, newID(), "switchboard", "AP5")
	wantErr(t, "SaveApplication(unknown connection)", err, store.ErrNotFound)
}
