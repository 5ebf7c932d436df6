package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/internal/store"
)

// race runs n calls of f at once, as near together as goroutines allow,
// and reports how many succeeded and how many answered refused (an error
// errors.Is finds). Any other error fails the test.
func race(t *testing.T, n int, refused error, f func(i int) error) (ok, refusals int) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-start
			err := f(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, refused):
				refusals++
			default:
				t.Errorf("call %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return ok, refusals
}

// testLinkRace links one number to 50 targets at once: the database must
// let exactly one link through.
func testLinkRace(t *testing.T, s store.Store) {
	const n = 50
	o := newOrg(t, s)
	num := newNumber(t, s, newUser(t, s, o.ID), "+14155550100")
	targets := make([]store.Target, n)
	for i := range targets {
		targets[i] = newTarget(t, s, o.ID)
	}
	var (
		mu     sync.Mutex
		winner string
	)
	ok, conflict := race(t, n, store.ErrConflict, func(i int) error {
		_, err := s.CreateLink(t.Context(), store.Link{
			OrgID: o.ID, NumberID: num.ID, TargetID: targets[i].ID, Status: store.LinkActive,
		})
		if err == nil {
			mu.Lock()
			winner = targets[i].ID
			mu.Unlock()
		}
		return err
	})
	if ok != 1 || conflict != n-1 {
		t.Fatalf("%d concurrent CreateLink: %d succeeded, %d ErrConflict; want 1 and %d", n, ok, conflict, n-1)
	}
	l, err := s.GetLink(t.Context(), o.ID, num.ID)
	if err != nil {
		t.Fatalf("GetLink: %v", err)
	}
	if l.TargetID != winner {
		t.Errorf("GetLink TargetID = %q, want the winner %q", l.TargetID, winner)
	}
}

// testNumberRace adds one e164 to an org 20 times at once: exactly one
// row may result.
func testNumberRace(t *testing.T, s store.Store) {
	const n = 20
	o := newOrg(t, s)
	u := newUser(t, s, o.ID)
	ok, conflict := race(t, n, store.ErrConflict, func(int) error {
		_, err := s.CreateNumber(t.Context(), number(u, "+14155550100"))
		return err
	})
	if ok != 1 || conflict != n-1 {
		t.Fatalf("%d concurrent CreateNumber: %d succeeded, %d ErrConflict; want 1 and %d", n, ok, conflict, n-1)
	}
}

// testManagedElsewhereRace adds one provider number to 10 orgs at once:
// exactly one org may get it, and the others hear it is managed elsewhere.
func testManagedElsewhereRace(t *testing.T, s store.Store) {
	const n = 10
	users := make([]store.User, n)
	for i := range users {
		users[i] = newUser(t, s, newOrg(t, s).ID)
	}
	ref := "PN" + newID()
	ok, refused := race(t, n, store.ErrManagedElsewhere, func(i int) error {
		in := number(users[i], "+14155550100")
		in.ProviderRef = ref
		_, err := s.CreateNumber(t.Context(), in)
		if errors.Is(err, store.ErrConflict) {
			t.Errorf("call %d: %v is ErrConflict too", i, err)
		}
		return err
	})
	if ok != 1 || refused != n-1 {
		t.Fatalf("%d concurrent CreateNumber in %d orgs: %d succeeded, %d ErrManagedElsewhere; want 1 and %d", n, n, ok, refused, n-1)
	}
}
