package storetest

import (
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

// testResealConnections walks more connections than two pages (the stores
// read 100 at a time), spread over several orgs: every one is offered
// once, in id order, and only those reseal answers true for change.
func testResealConnections(t *testing.T, s store.Store) {
	ctx := t.Context()
	orgs := []store.Org{newOrg(t, s), newOrg(t, s), newOrg(t, s)}
	const n = 230
	before := map[string]store.Connection{}
	var ids []string
	stale := 0
	for i := range n {
		creds := jobs.Sealed(fmt.Sprintf("new:%d", i))
		if i%4 != 0 {
			creds = jobs.Sealed(fmt.Sprintf("old:%d", i))
			stale++
		}
		c, err := s.UpsertConnection(ctx, store.Connection{
			ID:          newID(),
			OrgID:       orgs[i%len(orgs)].ID,
			Provider:    "twilio",
			AccountID:   "AC" + newID(),
			Credentials: creds,
			CreatedAt:   now().Add(-time.Hour),
		})
		if err != nil {
			t.Fatalf("UpsertConnection: %v", err)
		}
		before[c.ID] = c
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)

	var offered []string
	changed, err := s.ResealConnections(ctx, func(c store.Connection) (jobs.Sealed, bool, error) {
		offered = append(offered, c.ID)
		if diff := cmp.Diff(before[c.ID], c); diff != "" {
			t.Errorf("reseal offered a connection unlike the stored one (-want +got):\n%s", diff)
		}
		if c.Credentials.KeyID() == "new" {
			return "", false, nil
		}
		_, rest, _ := strings.Cut(string(c.Credentials), ":")
		return jobs.Sealed("new:" + rest), true, nil
	})
	if err != nil {
		t.Fatalf("ResealConnections: %v", err)
	}
	if changed != stale {
		t.Errorf("ResealConnections changed %d, want %d", changed, stale)
	}
	if diff := cmp.Diff(ids, offered); diff != "" {
		t.Errorf("ResealConnections offered (-want +got):\n%s", diff)
	}

	for _, o := range orgs {
		got, err := s.ListConnections(ctx, o.ID)
		if err != nil {
			t.Fatalf("ListConnections: %v", err)
		}
		for _, c := range got {
			was := before[c.ID]
			if was.Credentials.KeyID() == "new" {
				if diff := cmp.Diff(was, c); diff != "" {
					t.Errorf("connection reseal declined changed (-want +got):\n%s", diff)
				}
				continue
			}
			want := was
			_, rest, _ := strings.Cut(string(was.Credentials), ":")
			want.Credentials = jobs.Sealed("new:" + rest)
			if diff := cmp.Diff(want, c, cmpopts.IgnoreFields(store.Connection{}, "UpdatedAt")); diff != "" {
				t.Errorf("resealed connection mismatch (-want +got):\n%s", diff)
			}
			if !c.UpdatedAt.After(was.UpdatedAt) {
				t.Errorf("resealed connection UpdatedAt = %v, want it moved on from %v", c.UpdatedAt, was.UpdatedAt)
			}
			checkCreated(t, "resealed UpdatedAt", c.UpdatedAt)
		}
	}

	// Nothing is left to change the second time.
	changed, err = s.ResealConnections(ctx, func(c store.Connection) (jobs.Sealed, bool, error) {
		if c.Credentials.KeyID() != "new" {
			t.Errorf("connection %s still has %q", c.ID, c.Credentials)
		}
		return "", false, nil
	})
	if err != nil || changed != 0 {
		t.Errorf("ResealConnections (again) = %d, %v; want 0, nil", changed, err)
	}
}

// testResealConnectionsChanged replaces a connection's credentials after
// ResealConnections read it and before it writes: the conditional update
// must leave the newer value alone. An error from reseal stops the walk.
func testResealConnectionsChanged(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	ids := ascendingIDs(3)
	var conns []store.Connection
	for i, id := range ids {
		c, err := s.UpsertConnection(ctx, store.Connection{
			ID:          id,
			OrgID:       o.ID,
			Provider:    "plivo",
			AccountID:   fmt.Sprintf("MA%d", i),
			Credentials: jobs.Sealed(fmt.Sprintf("old:%d", i)),
		})
		if err != nil {
			t.Fatalf("UpsertConnection: %v", err)
		}
		conns = append(conns, c)
	}
	raced := conns[1]
	changed, err := s.ResealConnections(ctx, func(c store.Connection) (jobs.Sealed, bool, error) {
		if c.ID == raced.ID {
			// Another writer (a worker adding a number with this
			// account) stores fresh credentials meanwhile.
			again := raced
			again.ID = newID()
			again.Credentials = "new:fresh"
			again.CreatedAt, again.UpdatedAt = time.Time{}, time.Time{}
			if _, err := s.UpsertConnection(ctx, again); err != nil {
				t.Fatalf("UpsertConnection (meanwhile): %v", err)
			}
		}
		return jobs.Sealed("new:" + c.ID), true, nil
	})
	if err != nil {
		t.Fatalf("ResealConnections: %v", err)
	}
	if changed != 2 {
		t.Errorf("ResealConnections changed %d, want 2 (the replaced one skipped)", changed)
	}
	for _, c := range conns {
		got, err := s.GetConnection(ctx, o.ID, c.ID)
		if err != nil {
			t.Fatalf("GetConnection: %v", err)
		}
		want := jobs.Sealed("new:" + c.ID)
		if c.ID == raced.ID {
			want = "new:fresh"
		}
		if got.Credentials != want {
			t.Errorf("connection %d credentials = %q, want %q", slices.Index(ids, c.ID), got.Credentials, want)
		}
	}

	stop := errors.New("stop")
	offered := 0
	changed, err = s.ResealConnections(ctx, func(c store.Connection) (jobs.Sealed, bool, error) {
		offered++
		if offered == 2 {
			return "", false, stop
		}
		return jobs.Sealed("newer:" + c.ID), true, nil
	})
	if !errors.Is(err, stop) || changed != 1 || offered != 2 {
		t.Errorf("ResealConnections (reseal fails on the 2nd) = %d, %v after %d offered; want 1, %v after 2", changed, err, offered, stop)
	}
	got, err := s.GetConnection(ctx, o.ID, ids[2])
	if err != nil {
		t.Fatalf("GetConnection: %v", err)
	}
	if got.Credentials != jobs.Sealed("new:"+ids[2]) {
		t.Errorf("connection after the failure = %q, want it unchanged", got.Credentials)
	}
}

// testGetConnectionByAccount finds connections by provider account, within
// the org only.
func testGetConnectionByAccount(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	tw := newConnection(t, s, a.ID)
	telnyx, err := s.UpsertConnection(ctx, store.Connection{ID: newID(), OrgID: a.ID, Provider: "telnyx", Credentials: "v1:t"})
	if err != nil {
		t.Fatalf("UpsertConnection: %v", err)
	}
	// The same account in another org is another connection.
	inB := tw
	inB.ID, inB.OrgID = newID(), b.ID
	inB.CreatedAt, inB.UpdatedAt = time.Time{}, time.Time{}
	twB, err := s.UpsertConnection(ctx, inB)
	if err != nil {
		t.Fatalf("UpsertConnection (other org): %v", err)
	}

	for _, tc := range []struct {
		name              string
		org               int64
		provider, account string
		want              store.Connection
	}{
		{"twilio", a.ID, "twilio", tw.AccountID, tw},
		{"telnyx, no account id", a.ID, "telnyx", "", telnyx},
		{"other org, same account", b.ID, "twilio", tw.AccountID, twB},
	} {
		got, err := s.GetConnectionByAccount(ctx, tc.org, tc.provider, tc.account)
		if err != nil {
			t.Fatalf("GetConnectionByAccount(%s): %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("GetConnectionByAccount(%s) mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
	for _, tc := range []struct {
		name              string
		org               int64
		provider, account string
	}{
		{"other provider", a.ID, "plivo", tw.AccountID},
		{"unknown account", a.ID, "twilio", "AC" + newID()},
		{"org without it", b.ID, "telnyx", ""},
		{"unknown org", b.ID + 1000, "twilio", tw.AccountID},
	} {
		_, err := s.GetConnectionByAccount(ctx, tc.org, tc.provider, tc.account)
		wantErr(t, "GetConnectionByAccount("+tc.name+")", err, store.ErrNotFound)
	}
}
