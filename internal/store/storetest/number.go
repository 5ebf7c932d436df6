package storetest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboardhq/switchboard/internal/store"
)

func testNumber(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	ua, ub := newUser(t, s, a.ID), newUser(t, s, b.ID)
	conn := newConnection(t, s, a.ID)

	want := number(ua, "+14155550100")
	want.ConnectionID = conn.ID
	want.Voice = json.RawMessage(`{"voice_url": "https://sb.example/answer", "voice_method": "POST"}`)
	want.Original = json.RawMessage(`{"voice_url":"https://old.example/","voice_method":"GET","sip":null}`)
	n, err := s.CreateNumber(ctx, want)
	if err != nil {
		t.Fatalf("CreateNumber: %v", err)
	}
	ignoreTimes := cmpopts.IgnoreFields(store.Number{}, "CreatedAt", "UpdatedAt")
	if diff := cmp.Diff(want, n, jsonEqual(), ignoreTimes); diff != "" {
		t.Errorf("CreateNumber mismatch (-want +got):\n%s", diff)
	}
	checkCreated(t, "CreatedAt", n.CreatedAt)
	checkCreated(t, "UpdatedAt", n.UpdatedAt)

	got, err := s.GetNumber(ctx, a.ID, want.E164)
	if err != nil {
		t.Fatalf("GetNumber: %v", err)
	}
	if diff := cmp.Diff(n, got, jsonEqual()); diff != "" {
		t.Errorf("GetNumber mismatch (-want +got):\n%s", diff)
	}

	// (org, e164) is unique; the same e164 in another org is fine.
	_, err = s.CreateNumber(ctx, number(ua, want.E164))
	wantErr(t, "CreateNumber(duplicate e164)", err, store.ErrConflict)
	sameID := number(ua, "+14155550199")
	sameID.ID = n.ID
	_, err = s.CreateNumber(ctx, sameID)
	wantErr(t, "CreateNumber(duplicate id)", err, store.ErrConflict)
	nb, err := s.CreateNumber(ctx, number(ub, want.E164))
	if err != nil {
		t.Fatalf("CreateNumber (same e164, other org): %v", err)
	}
	got, err = s.GetNumber(ctx, b.ID, want.E164)
	if err != nil {
		t.Fatalf("GetNumber (other org): %v", err)
	}
	if got.ID != nb.ID {
		t.Errorf("GetNumber (other org) ID = %q, want %q", got.ID, nb.ID)
	}

	// The user and the connection must exist, in the number's org.
	unknownUser := number(ua, "+14155550101")
	unknownUser.UserID = newID()
	_, err = s.CreateNumber(ctx, unknownUser)
	wantErr(t, "CreateNumber(unknown user)", err, store.ErrNotFound)
	_, err = s.CreateNumber(ctx, number(store.User{ID: ua.ID, OrgID: b.ID}, "+14155550102"))
	wantErr(t, "CreateNumber(other org's user)", err, store.ErrNotFound)
	unknownConn := number(ua, "+14155550103")
	unknownConn.ConnectionID = newID()
	_, err = s.CreateNumber(ctx, unknownConn)
	wantErr(t, "CreateNumber(unknown connection)", err, store.ErrNotFound)

	_, err = s.GetNumber(ctx, a.ID, "+14155550999")
	wantErr(t, "GetNumber(unknown)", err, store.ErrNotFound)
	_, err = s.GetNumber(ctx, b.ID+1000, want.E164)
	wantErr(t, "GetNumber(other org)", err, store.ErrNotFound)

	// No voice configuration and no connection: NULLs, read back as nil
	// and "".
	bare := newNumber(t, s, ua, "+14155550104")
	got, err = s.GetNumber(ctx, a.ID, bare.E164)
	if err != nil {
		t.Fatalf("GetNumber: %v", err)
	}
	if got.Voice != nil || got.Original != nil || got.ConnectionID != "" {
		t.Errorf("GetNumber = Voice %q, Original %q, ConnectionID %q; want nil, nil, empty",
			got.Voice, got.Original, got.ConnectionID)
	}
}
