package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

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

func testUpdateNumberVoice(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	u := newUser(t, s, a.ID)
	old := now().Add(-time.Hour)
	in := number(u, "+14155550100")
	in.Original = json.RawMessage(`{"voice_url":"https://old.example/"}`)
	in.CreatedAt, in.UpdatedAt = old, old
	n, err := s.CreateNumber(ctx, in)
	if err != nil {
		t.Fatalf("CreateNumber: %v", err)
	}

	voice := json.RawMessage(`{"voice_url":"https://sb.example/answer","voice_method":"POST"}`)
	if err := s.UpdateNumberVoice(ctx, a.ID, n.ID, voice); err != nil {
		t.Fatalf("UpdateNumberVoice: %v", err)
	}
	got, err := s.GetNumber(ctx, a.ID, n.E164)
	if err != nil {
		t.Fatalf("GetNumber: %v", err)
	}
	want := n
	want.Voice = voice
	if diff := cmp.Diff(want, got, jsonEqual(), cmpopts.IgnoreFields(store.Number{}, "UpdatedAt")); diff != "" {
		t.Errorf("GetNumber after UpdateNumberVoice mismatch (-want +got):\n%s", diff)
	}
	checkCreated(t, "UpdatedAt", got.UpdatedAt) // moved from an hour ago to now

	// Another org's id, or an unknown one, changes nothing.
	err = s.UpdateNumberVoice(ctx, b.ID, n.ID, json.RawMessage(`{"voice_url":"https://evil.example/"}`))
	wantErr(t, "UpdateNumberVoice(other org)", err, store.ErrNotFound)
	err = s.UpdateNumberVoice(ctx, a.ID, newID(), voice)
	wantErr(t, "UpdateNumberVoice(unknown)", err, store.ErrNotFound)
	after, err := s.GetNumber(ctx, a.ID, n.E164)
	if err != nil {
		t.Fatalf("GetNumber: %v", err)
	}
	if diff := cmp.Diff(got, after, jsonEqual()); diff != "" {
		t.Errorf("GetNumber after refused updates mismatch (-want +got):\n%s", diff)
	}
}

func testListNumbers(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	ua, ub := newUser(t, s, a.ID), newUser(t, s, b.ID)
	// Random ids, so id order mixes the orgs.
	var all, inA []store.Number
	for i := range 5 {
		e164 := fmt.Sprintf("+1415555%04d", i)
		na, nb := newNumber(t, s, ua, e164), newNumber(t, s, ub, e164)
		all = append(all, na, nb)
		inA = append(inA, na)
	}
	// With or without a link.
	newLink(t, s, store.Link{OrgID: a.ID, NumberID: inA[0].ID, TargetID: newTarget(t, s, a.ID).ID, Status: store.LinkActive})
	byID := func(x, y store.Number) int { return strings.Compare(x.ID, y.ID) }
	slices.SortFunc(all, byID)
	slices.SortFunc(inA, byID)

	for _, tc := range []struct {
		name  string
		f     store.NumberFilter
		want  []store.Number
		pages int
	}{
		{"every org", store.NumberFilter{Limit: 3}, all, 4},
		{"one org", store.NumberFilter{OrgID: a.ID, Limit: 2}, inA, 3},
		{"one org, one page", store.NumberFilter{OrgID: a.ID}, inA, 1},
		{"after the middle", store.NumberFilter{AfterID: all[4].ID, Limit: 4}, all[5:], 2},
		{"unknown org", store.NumberFilter{OrgID: b.ID + 1000}, nil, 0},
	} {
		got, pages := listAllNumbers(t, s, tc.f)
		if diff := cmp.Diff(tc.want, got, jsonEqual()); diff != "" {
			t.Errorf("ListNumbers %s mismatch (-want +got):\n%s", tc.name, diff)
		}
		if pages != tc.pages {
			t.Errorf("ListNumbers %s: %d pages, want %d", tc.name, pages, tc.pages)
		}
	}

	// Without a limit, pages hold 100.
	c := newOrg(t, s)
	uc := newUser(t, s, c.ID)
	for i := range 101 {
		newNumber(t, s, uc, fmt.Sprintf("+1415556%04d", i))
	}
	page, err := s.ListNumbers(ctx, store.NumberFilter{OrgID: c.ID})
	if err != nil {
		t.Fatalf("ListNumbers: %v", err)
	}
	if len(page) != 100 {
		t.Errorf("ListNumbers (no limit) returned %d numbers, want 100", len(page))
	}
}

// listAllNumbers pages through ListNumbers from f until an empty page,
// checking each page respects f.Limit.
func listAllNumbers(t *testing.T, s store.Store, f store.NumberFilter) (all []store.Number, pages int) {
	t.Helper()
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	for {
		page, err := s.ListNumbers(t.Context(), f)
		if err != nil {
			t.Fatalf("ListNumbers(%+v): %v", f, err)
		}
		if len(page) > limit {
			t.Fatalf("ListNumbers(%+v) returned %d numbers, over the limit", f, len(page))
		}
		if len(page) == 0 {
			return all, pages // nil when there are none
		}
		if pages++; pages > 20 {
			t.Fatalf("ListNumbers: paging does not end")
		}
		all = append(all, page...)
		f.AfterID = page[len(page)-1].ID
	}
}

func testListAvailableNumbers(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b, empty := newOrg(t, s), newOrg(t, s), newOrg(t, s)
	ua := newUser(t, s, a.ID)
	// Stored out of E.164 order, with ids in storage order.
	ids := ascendingIDs(5)
	n3 := newNumberID(t, s, ua, "+14155550103", ids[0])
	n1 := newNumberID(t, s, ua, "+14155550101", ids[1])
	n4 := newNumberID(t, s, ua, "+14155550104", ids[2])
	n0 := newNumberID(t, s, ua, "+14155550100", ids[3])
	n2 := newNumberID(t, s, ua, "+14155550102", ids[4])
	newNumber(t, s, newUser(t, s, b.ID), "+14155550099") // another org's, unlinked
	tg := newTarget(t, s, a.ID)
	// A pending link claims the number as much as an active one.
	newLink(t, s, store.Link{OrgID: a.ID, NumberID: n1.ID, TargetID: tg.ID, Status: store.LinkPending})
	newLink(t, s, store.Link{OrgID: a.ID, NumberID: n3.ID, TargetID: tg.ID, Status: store.LinkActive})

	check := func(what string, want []store.Number) {
		t.Helper()
		got, err := s.ListAvailableNumbers(ctx, a.ID)
		if err != nil {
			t.Fatalf("ListAvailableNumbers: %v", err)
		}
		if diff := cmp.Diff(want, got, jsonEqual()); diff != "" {
			t.Errorf("ListAvailableNumbers %s mismatch (-want +got):\n%s", what, diff)
		}
	}
	check("", []store.Number{n0, n2, n4})

	// Unlinking frees the number; a deleted target's links still hold
	// theirs until they are removed.
	if err := s.DeleteLink(ctx, a.ID, n1.ID, tg.ID); err != nil {
		t.Fatalf("DeleteLink: %v", err)
	}
	if err := s.DeleteTarget(ctx, a.ID, tg.ID); err != nil {
		t.Fatalf("DeleteTarget: %v", err)
	}
	check("after unlinking one and deleting the target", []store.Number{n0, n1, n2, n4})

	got, err := s.ListAvailableNumbers(ctx, empty.ID)
	if err != nil || len(got) != 0 {
		t.Errorf("ListAvailableNumbers (org without numbers) = %v, %v; want none", got, err)
	}
}

// testNumberState adds a claim (NumberAdding) and activates it: the claim
// is a number for GetNumber and ListNumbers, but not available to link
// until it is active.
func testNumberState(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	u := newUser(t, s, a.ID)

	// No state is an active number, as before there were states.
	unset := number(u, "+14155550100")
	unset.State = ""
	n, err := s.CreateNumber(ctx, unset)
	if err != nil {
		t.Fatalf("CreateNumber: %v", err)
	}
	if n.State != store.NumberActive {
		t.Errorf("CreateNumber(no state) State = %q, want %q", n.State, store.NumberActive)
	}

	old := now().Add(-time.Hour)
	in := number(u, "+14155550101")
	in.State = store.NumberAdding
	in.Original = json.RawMessage(`{"voice_url":"https://old.example/"}`)
	in.CreatedAt, in.UpdatedAt = old, old
	claim, err := s.CreateNumber(ctx, in)
	if err != nil {
		t.Fatalf("CreateNumber(adding): %v", err)
	}
	if diff := cmp.Diff(in, claim, jsonEqual()); diff != "" {
		t.Errorf("CreateNumber(adding) mismatch (-want +got):\n%s", diff)
	}
	got, err := s.GetNumber(ctx, a.ID, in.E164)
	if err != nil {
		t.Fatalf("GetNumber: %v", err)
	}
	if diff := cmp.Diff(claim, got, jsonEqual()); diff != "" {
		t.Errorf("GetNumber(adding) mismatch (-want +got):\n%s", diff)
	}
	listed, _ := listAllNumbers(t, s, store.NumberFilter{OrgID: a.ID})
	if len(listed) != 2 {
		t.Errorf("ListNumbers = %d numbers, want both states (2)", len(listed))
	}
	available := func() []string {
		t.Helper()
		ns, err := s.ListAvailableNumbers(ctx, a.ID)
		if err != nil {
			t.Fatalf("ListAvailableNumbers: %v", err)
		}
		var e164s []string
		for _, n := range ns {
			e164s = append(e164s, n.E164)
		}
		return e164s
	}
	if diff := cmp.Diff([]string{n.E164}, available()); diff != "" {
		t.Errorf("ListAvailableNumbers with a claim (-want +got):\n%s", diff)
	}

	voice := json.RawMessage(`{"voice_url":"https://sb.example/answer"}`)
	err = s.ActivateNumber(ctx, b.ID, claim.ID, voice)
	wantErr(t, "ActivateNumber(other org)", err, store.ErrNotFound)
	err = s.ActivateNumber(ctx, a.ID, newID(), voice)
	wantErr(t, "ActivateNumber(unknown)", err, store.ErrNotFound)
	if err := s.ActivateNumber(ctx, a.ID, claim.ID, voice); err != nil {
		t.Fatalf("ActivateNumber: %v", err)
	}
	got, err = s.GetNumber(ctx, a.ID, in.E164)
	if err != nil {
		t.Fatalf("GetNumber: %v", err)
	}
	want := claim
	want.State = store.NumberActive
	want.Voice = voice
	if diff := cmp.Diff(want, got, jsonEqual(), cmpopts.IgnoreFields(store.Number{}, "UpdatedAt")); diff != "" {
		t.Errorf("GetNumber after ActivateNumber mismatch (-want +got):\n%s", diff)
	}
	checkCreated(t, "UpdatedAt", got.UpdatedAt) // moved from an hour ago to now
	if diff := cmp.Diff([]string{n.E164, in.E164}, available()); diff != "" {
		t.Errorf("ListAvailableNumbers after ActivateNumber (-want +got):\n%s", diff)
	}
	// Activating again is harmless.
	if err := s.ActivateNumber(ctx, a.ID, claim.ID, voice); err != nil {
		t.Errorf("ActivateNumber (again): %v", err)
	}

	// UpdateNumberVoice leaves the state alone.
	in2 := number(u, "+14155550102")
	in2.State = store.NumberAdding
	claim2, err := s.CreateNumber(ctx, in2)
	if err != nil {
		t.Fatalf("CreateNumber(adding): %v", err)
	}
	if err := s.UpdateNumberVoice(ctx, a.ID, claim2.ID, voice); err != nil {
		t.Fatalf("UpdateNumberVoice: %v", err)
	}
	if got, err := s.GetNumber(ctx, a.ID, in2.E164); err != nil || got.State != store.NumberAdding {
		t.Errorf("GetNumber after UpdateNumberVoice = state %q, %v; want %q", got.State, err, store.NumberAdding)
	}

	// The state is one of the two, checked by the database.
	bad := number(u, "+14155550103")
	bad.State = "DELETED"
	_, err = s.CreateNumber(ctx, bad)
	if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateNumber(state DELETED): error = %v, want a constraint error", err)
	}
}

// testDeleteNumber releases claims: only the job that made one, only
// while no link holds the number.
func testDeleteNumber(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	u := newUser(t, s, a.ID)
	in := number(u, "+14155550100")
	in.State = store.NumberAdding
	claim, err := s.CreateNumber(ctx, in)
	if err != nil {
		t.Fatalf("CreateNumber: %v", err)
	}

	err = s.DeleteNumber(ctx, a.ID, claim.ID, "job-other")
	wantErr(t, "DeleteNumber(other job)", err, store.ErrNotFound)
	err = s.DeleteNumber(ctx, b.ID, claim.ID, claim.JobID)
	wantErr(t, "DeleteNumber(other org)", err, store.ErrNotFound)
	err = s.DeleteNumber(ctx, a.ID, newID(), claim.JobID)
	wantErr(t, "DeleteNumber(unknown)", err, store.ErrNotFound)
	if _, err := s.GetNumber(ctx, a.ID, claim.E164); err != nil {
		t.Fatalf("GetNumber after refused deletes: %v", err)
	}

	if err := s.DeleteNumber(ctx, a.ID, claim.ID, claim.JobID); err != nil {
		t.Fatalf("DeleteNumber: %v", err)
	}
	_, err = s.GetNumber(ctx, a.ID, claim.E164)
	wantErr(t, "GetNumber(deleted)", err, store.ErrNotFound)
	err = s.DeleteNumber(ctx, a.ID, claim.ID, claim.JobID)
	wantErr(t, "DeleteNumber(already deleted)", err, store.ErrNotFound)

	// The number and the provider's number are free again, for any org.
	again := number(newUser(t, s, b.ID), claim.E164)
	again.ProviderRef = claim.ProviderRef
	if _, err := s.CreateNumber(ctx, again); err != nil {
		t.Errorf("CreateNumber after the claim was released: %v", err)
	}

	// A linked number stays, whatever its state. The refusal is no
	// failed statement: a transaction it happens in goes on.
	linked := newNumber(t, s, u, "+14155550101")
	tg := newTarget(t, s, a.ID)
	newLink(t, s, store.Link{OrgID: a.ID, NumberID: linked.ID, TargetID: tg.ID, Status: store.LinkPending})
	err = s.InTx(ctx, func(tx store.Store) error {
		err := tx.DeleteNumber(ctx, a.ID, linked.ID, linked.JobID)
		wantErr(t, "DeleteNumber(linked)", err, store.ErrNotFound)
		_, err = tx.CreateTarget(ctx, store.Target{ID: newID(), OrgID: a.ID, Kind: store.TargetApp})
		return err
	})
	if err != nil {
		t.Errorf("InTx(DeleteNumber(linked), then a write): %v", err)
	}
	if _, err := s.GetNumber(ctx, a.ID, linked.E164); err != nil {
		t.Errorf("GetNumber of the linked number: %v", err)
	}
}

// testManagedElsewhere adds one provider number (provider, ProviderRef) to
// two orgs: the second is refused with ErrManagedElsewhere, which is not
// ErrConflict, the org's own duplicate.
func testManagedElsewhere(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	ua, ub := newUser(t, s, a.ID), newUser(t, s, b.ID)
	first := newNumber(t, s, ua, "+14155550100")

	inB := number(ub, first.E164)
	inB.ProviderRef = first.ProviderRef
	_, err := s.CreateNumber(ctx, inB)
	wantErr(t, "CreateNumber(provider number in another org)", err, store.ErrManagedElsewhere)
	if errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateNumber(provider number in another org): %v is ErrConflict too", err)
	}
	_, err = s.GetNumber(ctx, b.ID, first.E164)
	wantErr(t, "GetNumber of the refused number", err, store.ErrNotFound)

	// The org's own duplicate is ErrConflict, not ErrManagedElsewhere,
	// though it has the same provider number too; so is a taken id.
	for _, tc := range []struct {
		name string
		n    store.Number
	}{
		{"same e164 and provider number", func() store.Number {
			n := number(ua, first.E164)
			n.ProviderRef = first.ProviderRef
			return n
		}()},
		{"same e164", number(ua, first.E164)},
		{"taken id, provider number in another org", func() store.Number {
			n := number(ub, "+14155550199")
			n.ID = first.ID
			n.ProviderRef = first.ProviderRef
			return n
		}()},
	} {
		_, err := s.CreateNumber(ctx, tc.n)
		wantErr(t, "CreateNumber("+tc.name+")", err, store.ErrConflict)
		if errors.Is(err, store.ErrManagedElsewhere) {
			t.Errorf("CreateNumber(%s): %v is ErrManagedElsewhere too", tc.name, err)
		}
	}

	// The same id on another provider is another number.
	plivo := number(ub, first.E164)
	plivo.Provider = "plivo"
	plivo.ProviderRef = first.ProviderRef
	if _, err := s.CreateNumber(ctx, plivo); err != nil {
		t.Errorf("CreateNumber(same provider_ref, other provider): %v", err)
	}

	// An unknown provider id never collides, within an org or across.
	for i, u := range []store.User{ua, ua, ub} {
		n := number(u, fmt.Sprintf("+1415555020%d", i))
		n.ProviderRef = ""
		if _, err := s.CreateNumber(ctx, n); err != nil {
			t.Errorf("CreateNumber(empty provider_ref #%d): %v", i, err)
		}
	}
}
