package storetest

import (
	"errors"
	"fmt"
	"sync"
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
		if err := s.SaveApplication(ctx, connectionID, name, appID, 0); err != nil {
			t.Fatalf("SaveApplication(%s, %s): %v", name, appID, err)
		}
	}

	_, err := s.GetApplication(ctx, c1.ID, "switchboard")
	wantErr(t, "GetApplication(unknown)", err, store.ErrNotFound)

	save(c1.ID, "switchboard", "AP1")
	wantApp(c1.ID, "switchboard", "AP1")
	// Saving again replaces the id (fence 0 over fence 0).
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

	err = s.SaveApplication(ctx, newID(), "switchboard", "AP5", 0)
	wantErr(t, "SaveApplication(unknown connection)", err, store.ErrNotFound)
}

// testApplicationFence saves with fencing tokens, in both orders: a lower
// fence than the stored one changes nothing and answers ErrStale.
func testApplicationFence(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	c := newConnection(t, s, o.ID)
	wantApp := func(name, want string) {
		t.Helper()
		got, err := s.GetApplication(ctx, c.ID, name)
		if err != nil || got != want {
			t.Errorf("GetApplication(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
	type save struct {
		appID string
		fence int64
		stale bool
	}
	for _, tc := range []struct {
		name  string
		saves []save
		want  string
	}{
		{"rising", []save{{"AP1", 3, false}, {"AP2", 5, false}}, "AP2"},
		{"falling", []save{{"AP1", 5, false}, {"AP2", 3, true}}, "AP1"},
		{"equal fences replace", []save{{"AP1", 5, false}, {"AP2", 5, false}}, "AP2"},
		{"0 loses to a fence", []save{{"AP1", 1, false}, {"AP2", 0, true}}, "AP1"},
		{"a fence wins over 0", []save{{"AP1", 0, false}, {"AP2", 1, false}}, "AP2"},
		{"stale in between", []save{{"AP1", 2, false}, {"AP2", 7, false}, {"AP3", 4, true}, {"AP4", 8, false}}, "AP4"},
	} {
		name := "app-" + newID()
		for _, sv := range tc.saves {
			err := s.SaveApplication(ctx, c.ID, name, sv.appID, sv.fence)
			if sv.stale {
				wantErr(t, fmt.Sprintf("%s: SaveApplication(%s, fence %d)", tc.name, sv.appID, sv.fence), err, store.ErrStale)
				if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s: SaveApplication: %v is another store error too", tc.name, err)
				}
			} else if err != nil {
				t.Errorf("%s: SaveApplication(%s, fence %d): %v", tc.name, sv.appID, sv.fence, err)
			}
		}
		wantApp(name, tc.want)
	}

	err := s.SaveApplication(ctx, newID(), "switchboard", "AP9", 3)
	wantErr(t, "SaveApplication(unknown connection, fence 3)", err, store.ErrNotFound)

	// Saves racing with fences 1 to n: the highest ends up stored,
	// whatever order they land in, and every other is saved or stale.
	const n = 20
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := s.SaveApplication(ctx, c.ID, "raced", fmt.Sprintf("AP%d", i+1), int64(i+1))
			if err != nil && !errors.Is(err, store.ErrStale) {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		t.Errorf("concurrent SaveApplication: %v", err)
	}
	wantApp("raced", fmt.Sprintf("AP%d", n))
}

// testApplicationRecorded: every id ever saved on a connection stays
// recorded, replaced or saved stale, and only on that connection.
func testApplicationRecorded(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	c1, c2 := newConnection(t, s, o.ID), newConnection(t, s, o.ID)
	recorded := func(connectionID, appID string) bool {
		t.Helper()
		ok, err := s.ApplicationRecorded(ctx, connectionID, appID)
		if err != nil {
			t.Fatalf("ApplicationRecorded(%s): %v", appID, err)
		}
		return ok
	}
	if recorded(c1.ID, "AP1") {
		t.Error("AP1 recorded before any save")
	}
	for _, sv := range []struct {
		name, appID string
		fence       int64
	}{{"switchboard-org1-default", "AP1", 0}, {"switchboard-org1-default", "AP2", 5}, {"switchboard-org1-default", "AP3", 1}} {
		err := s.SaveApplication(ctx, c1.ID, sv.name, sv.appID, sv.fence)
		if err != nil && !errors.Is(err, store.ErrStale) {
			t.Fatal(err)
		}
	}
	// AP1 was replaced, AP3's save was stale: all three stay recorded.
	for _, id := range []string{"AP1", "AP2", "AP3"} {
		if !recorded(c1.ID, id) {
			t.Errorf("%s not recorded on its connection", id)
		}
		if recorded(c2.ID, id) {
			t.Errorf("%s recorded on another connection", id)
		}
	}
	if got, _ := s.GetApplication(ctx, c1.ID, "switchboard-org1-default"); got != "AP2" {
		t.Errorf("current application %q, want AP2", got)
	}
	// Saving the same id again, under another name, is no error.
	if err := s.SaveApplication(ctx, c1.ID, "switchboard-org1-other", "AP1", 0); err != nil {
		t.Fatal(err)
	}
	err := s.SaveApplication(ctx, newID(), "switchboard", "AP9", 0)
	wantErr(t, "SaveApplication(unknown connection)", err, store.ErrNotFound)
}
