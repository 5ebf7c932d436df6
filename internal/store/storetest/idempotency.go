package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/store"
)

// Idempotency keys: every test moves its own clock, t0, since the store
// takes every time from the caller.

const (
	testLease = time.Minute
	testTTL   = 24 * time.Hour
)

// claim is a claim on key at now with the test lease and TTL.
func claim(orgID int64, key, fingerprint string, now time.Time) store.IdempotencyClaim {
	return store.IdempotencyClaim{
		OrgID: orgID, Key: key, Fingerprint: []byte(fingerprint), Token: "tok-" + newID(),
		Now: now, LeaseUntil: now.Add(testLease), ExpiresAt: now.Add(testTTL),
	}
}

// begin calls BeginIdempotent and fails the test unless it claimed the key
// as wantClaimed says.
func begin(t *testing.T, s store.Store, c store.IdempotencyClaim, wantClaimed bool) store.IdempotencyRecord {
	t.Helper()
	rec, claimed, err := s.BeginIdempotent(t.Context(), c)
	if err != nil {
		t.Fatalf("BeginIdempotent(%s at %v): %v", c.Key, c.Now, err)
	}
	if claimed != wantClaimed {
		t.Fatalf("BeginIdempotent(%s at %v) claimed = %v, want %v (record %+v)", c.Key, c.Now, claimed, wantClaimed, rec)
	}
	return rec
}

// running is the record a claim makes.
func running(c store.IdempotencyClaim) store.IdempotencyRecord {
	return store.IdempotencyRecord{OrgID: c.OrgID, Key: c.Key, Fingerprint: c.Fingerprint, Token: c.Token,
		CreatedAt: c.Now, LeaseUntil: c.LeaseUntil, ExpiresAt: c.ExpiresAt}
}

func testIdempotency(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	t0 := now()

	first := claim(o.ID, "key-1", "request A", t0)
	rec := begin(t, s, first, true)
	if diff := cmp.Diff(running(first), rec); diff != "" {
		t.Errorf("claimed record (-want +got):\n%s", diff)
	}

	// While it runs, the key answers the running record, whatever the
	// request: the caller tells a retry from a different request.
	for _, fp := range []string{"request A", "request B"} {
		rec = begin(t, s, claim(o.ID, "key-1", fp, t0.Add(time.Second)), false)
		if diff := cmp.Diff(running(first), rec); diff != "" {
			t.Errorf("running record for %s (-want +got):\n%s", fp, diff)
		}
	}

	resp := store.IdempotentResponse{
		Status: 201,
		Header: map[string][]string{"Content-Type": {"application/json; charset=utf-8"}, "Location": {"/v1/jobs/j1"}},
		Body:   []byte("{\"data\":{\"id\":\"x\"},  \"message\":\"success\"}\n"),
	}
	err := s.CompleteIdempotent(ctx, o.ID, "key-1", "tok-wrong", resp)
	wantErr(t, "CompleteIdempotent(wrong token)", err, store.ErrNotFound)
	if err := s.CompleteIdempotent(ctx, o.ID, "key-1", first.Token, resp); err != nil {
		t.Fatalf("CompleteIdempotent: %v", err)
	}
	done := running(first)
	done.Response = &resp
	rec = begin(t, s, claim(o.ID, "key-1", "request A", t0.Add(2*time.Second)), false)
	// Byte for byte: the body is not JSON to the store.
	if diff := cmp.Diff(done, rec); diff != "" {
		t.Errorf("completed record (-want +got):\n%s", diff)
	}

	// A completed record is final: no second response, no release, and
	// its lease no longer matters.
	err = s.CompleteIdempotent(ctx, o.ID, "key-1", first.Token, store.IdempotentResponse{Status: 200, Body: []byte("{}")})
	wantErr(t, "CompleteIdempotent(completed)", err, store.ErrNotFound)
	err = s.ReleaseIdempotent(ctx, o.ID, "key-1", first.Token)
	wantErr(t, "ReleaseIdempotent(completed)", err, store.ErrNotFound)
	rec = begin(t, s, claim(o.ID, "key-1", "request A", t0.Add(2*testLease)), false)
	if diff := cmp.Diff(done, rec); diff != "" {
		t.Errorf("completed record after its lease (-want +got):\n%s", diff)
	}

	// The key is the org's: another org's same key is its own.
	other := newOrg(t, s)
	theirs := claim(other.ID, "key-1", "request A", t0)
	begin(t, s, theirs, true)
	err = s.CompleteIdempotent(ctx, other.ID, "key-1", first.Token, resp)
	wantErr(t, "CompleteIdempotent(another org's token)", err, store.ErrNotFound)

	// An empty body and no headers come back as such.
	empty := claim(o.ID, "key-2", "request C", t0)
	begin(t, s, empty, true)
	if err := s.CompleteIdempotent(ctx, o.ID, "key-2", empty.Token, store.IdempotentResponse{Status: 204}); err != nil {
		t.Fatalf("CompleteIdempotent(empty): %v", err)
	}
	rec = begin(t, s, claim(o.ID, "key-2", "request C", t0), false)
	if rec.Response == nil || rec.Response.Status != 204 || len(rec.Response.Body) != 0 || len(rec.Response.Header) != 0 {
		t.Errorf("empty response = %+v", rec.Response)
	}

	_, _, err = s.BeginIdempotent(ctx, claim(newID0(), "key-1", "request A", t0))
	wantErr(t, "BeginIdempotent(unknown org)", err, store.ErrNotFound)
}

// newID0 is an org id no store hands out.
func newID0() int64 { return 1 << 60 }

// testIdempotencyRelease: a released claim frees the key at once.
func testIdempotencyRelease(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	t0 := now()
	first := claim(o.ID, "key", "request A", t0)
	begin(t, s, first, true)
	err := s.ReleaseIdempotent(ctx, o.ID, "key", "tok-wrong")
	wantErr(t, "ReleaseIdempotent(wrong token)", err, store.ErrNotFound)
	if err := s.ReleaseIdempotent(ctx, o.ID, "key", first.Token); err != nil {
		t.Fatalf("ReleaseIdempotent: %v", err)
	}
	err = s.ReleaseIdempotent(ctx, o.ID, "key", first.Token)
	wantErr(t, "ReleaseIdempotent(again)", err, store.ErrNotFound)
	err = s.CompleteIdempotent(ctx, o.ID, "key", first.Token, store.IdempotentResponse{Status: 200})
	wantErr(t, "CompleteIdempotent(released)", err, store.ErrNotFound)

	// Even a different request may take the key now.
	second := claim(o.ID, "key", "request B", t0.Add(time.Second))
	if diff := cmp.Diff(running(second), begin(t, s, second, true)); diff != "" {
		t.Errorf("claim after release (-want +got):\n%s", diff)
	}
}

// testIdempotencyLease: a running claim whose request died is taken over
// once its lease ends, and the dead request can no longer complete it.
func testIdempotencyLease(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	t0 := now()
	dead := claim(o.ID, "key", "request A", t0)
	begin(t, s, dead, true)
	begin(t, s, claim(o.ID, "key", "request A", dead.LeaseUntil.Add(-time.Microsecond)), false)

	next := claim(o.ID, "key", "request A", dead.LeaseUntil)
	if diff := cmp.Diff(running(next), begin(t, s, next, true)); diff != "" {
		t.Errorf("take-over (-want +got):\n%s", diff)
	}
	resp := store.IdempotentResponse{Status: 201, Body: []byte(`{"late":true}`)}
	err := s.CompleteIdempotent(ctx, o.ID, "key", dead.Token, resp)
	wantErr(t, "CompleteIdempotent(taken over)", err, store.ErrNotFound)
	err = s.ReleaseIdempotent(ctx, o.ID, "key", dead.Token)
	wantErr(t, "ReleaseIdempotent(taken over)", err, store.ErrNotFound)
	if err := s.CompleteIdempotent(ctx, o.ID, "key", next.Token, resp); err != nil {
		t.Fatalf("CompleteIdempotent(new holder): %v", err)
	}
}

// testIdempotencyExpiry: a record stops counting at its ExpiresAt, whether
// completed or running.
func testIdempotencyExpiry(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	t0 := now()
	first := claim(o.ID, "key", "request A", t0)
	begin(t, s, first, true)
	if err := s.CompleteIdempotent(ctx, o.ID, "key", first.Token, store.IdempotentResponse{Status: 201, Body: []byte("{}")}); err != nil {
		t.Fatalf("CompleteIdempotent: %v", err)
	}
	rec := begin(t, s, claim(o.ID, "key", "request B", first.ExpiresAt.Add(-time.Microsecond)), false)
	if rec.Response == nil {
		t.Fatalf("record just before expiry has no response: %+v", rec)
	}
	fresh := claim(o.ID, "key", "request B", first.ExpiresAt)
	if diff := cmp.Diff(running(fresh), begin(t, s, fresh, true)); diff != "" {
		t.Errorf("claim at expiry (-want +got):\n%s", diff)
	}

	// A running claim with a lease longer than its life expires too.
	long := claim(o.ID, "long", "request A", t0)
	long.LeaseUntil = t0.Add(2 * testTTL)
	begin(t, s, long, true)
	begin(t, s, claim(o.ID, "long", "request A", long.ExpiresAt), true)
}

// testIdempotencyPurge deletes expired records, oldest first and at most
// as many as asked, across orgs, and keeps the others.
func testIdempotencyPurge(t *testing.T, s store.Store) {
	ctx := t.Context()
	o1, o2 := newOrg(t, s), newOrg(t, s)
	t0 := now()
	// Records of earlier tests on a shared database must not count: clear
	// everything that expires before the test's records.
	if _, err := s.PurgeIdempotent(ctx, t0.Add(-testTTL), 1<<30); err != nil {
		t.Fatalf("PurgeIdempotent: %v", err)
	}
	// Expired at t0-3h, t0-2h (running) and t0-1h; alive, and completed,
	// until t0+1h.
	for i, c := range []store.IdempotencyClaim{
		claim(o1.ID, "old-1", "a", t0.Add(-testTTL-3*time.Hour)),
		claim(o2.ID, "old-2", "b", t0.Add(-testTTL-2*time.Hour)),
		claim(o1.ID, "old-3", "c", t0.Add(-testTTL-time.Hour)),
		claim(o2.ID, "alive", "d", t0.Add(-testTTL+time.Hour)),
	} {
		begin(t, s, c, true)
		if i != 1 {
			if err := s.CompleteIdempotent(ctx, c.OrgID, c.Key, c.Token, store.IdempotentResponse{Status: 200, Body: []byte("{}")}); err != nil {
				t.Fatalf("CompleteIdempotent: %v", err)
			}
		}
	}
	for _, step := range []struct {
		limit, want int
	}{{2, 2}, {2, 1}, {2, 0}} {
		n, err := s.PurgeIdempotent(ctx, t0, step.limit)
		if err != nil {
			t.Fatalf("PurgeIdempotent: %v", err)
		}
		if n != step.want {
			t.Errorf("PurgeIdempotent(limit %d) = %d, want %d", step.limit, n, step.want)
		}
	}
	// Purged records are gone (a claim at their own time succeeds); the
	// one alive is still there.
	begin(t, s, claim(o1.ID, "old-1", "z", t0.Add(-testTTL-3*time.Hour)), true)
	begin(t, s, claim(o2.ID, "alive", "d", t0), false)
}

// testIdempotencyRace: of 20 requests claiming one key at once, exactly
// one gets it and every other sees the winner's running claim.
func testIdempotencyRace(t *testing.T, s store.Store) {
	const n = 20
	o := newOrg(t, s)
	t0 := now()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		start   = make(chan struct{})
		winners []string
		seen    = map[string]int{}
	)
	for range n {
		wg.Go(func() {
			<-start
			rec, claimed, err := s.BeginIdempotent(t.Context(), claim(o.ID, "key", "request A", t0))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("BeginIdempotent: %v", err)
			case claimed:
				winners = append(winners, rec.Token)
			default:
				seen[rec.Token]++
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d concurrent BeginIdempotent: %d claimed the key, want 1", n, len(winners))
	}
	if diff := cmp.Diff(map[string]int{winners[0]: n - 1}, seen); diff != "" {
		t.Errorf("records the losers saw, by token (-want +got):\n%s", diff)
	}
}
