package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboardhq/switchboard/internal/store"
)

func testTarget(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	for _, want := range []store.Target{
		{ID: newID(), OrgID: a.ID, Kind: store.TargetApp, Name: "IVR",
			AnswerURL: "https://app.example/answer", HangupURL: "https://app.example/hangup"},
		{ID: newID(), OrgID: a.ID, Kind: store.TargetAgent, Name: "Receptionist",
			AnswerURL: "wss://agent.example/stream"},
	} {
		tg, err := s.CreateTarget(ctx, want)
		if err != nil {
			t.Fatalf("CreateTarget(%s): %v", want.Kind, err)
		}
		if diff := cmp.Diff(want, tg, cmpopts.IgnoreFields(store.Target{}, "CreatedAt")); diff != "" {
			t.Errorf("CreateTarget(%s) mismatch (-want +got):\n%s", want.Kind, diff)
		}
		checkCreated(t, "CreatedAt", tg.CreatedAt)
		got, err := s.GetTarget(ctx, a.ID, tg.ID)
		if err != nil {
			t.Fatalf("GetTarget: %v", err)
		}
		if diff := cmp.Diff(tg, got); diff != "" {
			t.Errorf("GetTarget(%s) mismatch (-want +got):\n%s", want.Kind, diff)
		}
		_, err = s.GetTarget(ctx, b.ID, tg.ID)
		wantErr(t, "GetTarget(other org)", err, store.ErrNotFound)
		_, err = s.CreateTarget(ctx, store.Target{ID: tg.ID, OrgID: b.ID, Kind: store.TargetApp})
		wantErr(t, "CreateTarget(duplicate id)", err, store.ErrConflict)
	}

	_, err := s.GetTarget(ctx, a.ID, newID())
	wantErr(t, "GetTarget(unknown)", err, store.ErrNotFound)

	// The kind is checked by the database.
	_, err = s.CreateTarget(ctx, store.Target{ID: newID(), OrgID: a.ID, Kind: "trunk"})
	if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateTarget(kind trunk): error = %v, want a constraint error", err)
	}
}

func testDeleteTarget(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	n := newNumber(t, s, newUser(t, s, a.ID), "+14155550100")
	tg, other := newTarget(t, s, a.ID), newTarget(t, s, a.ID)
	l := newLink(t, s, store.Link{OrgID: a.ID, NumberID: n.ID, TargetID: tg.ID, Status: store.LinkActive, JobID: "job-1"})

	err := s.DeleteTarget(ctx, b.ID, tg.ID)
	wantErr(t, "DeleteTarget(other org)", err, store.ErrNotFound)
	if _, err := s.GetTarget(ctx, a.ID, tg.ID); err != nil {
		t.Fatalf("GetTarget after DeleteTarget(other org): %v", err)
	}

	if err := s.DeleteTarget(ctx, a.ID, tg.ID); err != nil {
		t.Fatalf("DeleteTarget: %v", err)
	}
	_, err = s.GetTarget(ctx, a.ID, tg.ID)
	wantErr(t, "GetTarget(deleted)", err, store.ErrNotFound)
	err = s.DeleteTarget(ctx, a.ID, tg.ID)
	wantErr(t, "DeleteTarget(already deleted)", err, store.ErrNotFound)
	err = s.DeleteTarget(ctx, a.ID, newID())
	wantErr(t, "DeleteTarget(unknown)", err, store.ErrNotFound)
	if _, err := s.GetTarget(ctx, a.ID, other.ID); err != nil {
		t.Errorf("GetTarget(the target not deleted): %v", err)
	}

	// The links stay, for the unlink jobs to find.
	got, err := s.GetLink(ctx, a.ID, n.ID)
	if err != nil {
		t.Fatalf("GetLink: %v", err)
	}
	if diff := cmp.Diff(l, got); diff != "" {
		t.Errorf("GetLink of a deleted target mismatch (-want +got):\n%s", diff)
	}
	links, err := s.ListLinks(ctx, a.ID, tg.ID, "")
	if err != nil {
		t.Fatalf("ListLinks: %v", err)
	}
	want := []store.LinkedNumber{{Link: l, E164: n.E164, Provider: n.Provider}}
	if diff := cmp.Diff(want, links); diff != "" {
		t.Errorf("ListLinks of a deleted target mismatch (-want +got):\n%s", diff)
	}

	// A deleted target's id stays taken.
	_, err = s.CreateTarget(ctx, store.Target{ID: tg.ID, OrgID: a.ID, Kind: store.TargetApp})
	wantErr(t, "CreateTarget(id of a deleted target)", err, store.ErrConflict)
}
