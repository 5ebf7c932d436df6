package storetest

import (
	"errors"
	"testing"

	"github.com/switchboardhq/switchboard/internal/store"
)

// testTxCommit writes in a transaction: the transaction reads its own
// writes, no one else sees them before the commit, everyone after.
func testTxCommit(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	var u store.User
	var n store.Number
	err := s.InTx(ctx, func(tx store.Store) error {
		u = newUser(t, tx, o.ID)
		n = newNumber(t, tx, u, "+14155550100")
		if _, err := tx.GetNumber(ctx, o.ID, n.E164); err != nil {
			t.Errorf("GetNumber inside the transaction: %v", err)
		}
		_, err := s.GetUser(ctx, o.ID, u.ID)
		wantErr(t, "GetUser outside the transaction, before it commits", err, store.ErrNotFound)
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if _, err := s.GetUser(ctx, o.ID, u.ID); err != nil {
		t.Errorf("GetUser after the commit: %v", err)
	}
	if _, err := s.GetNumber(ctx, o.ID, n.E164); err != nil {
		t.Errorf("GetNumber after the commit: %v", err)
	}
}

// testTxRollback returns an error from fn after writing: InTx answers it
// as is and nothing is left.
func testTxRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	var u store.User
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx store.Store) error {
		u = newUser(t, tx, o.ID)
		newNumber(t, tx, u, "+14155550100")
		return boom
	})
	if err != boom {
		t.Errorf("InTx = %v, want fn's error as is", err)
	}
	_, err = s.GetUser(ctx, o.ID, u.ID)
	wantErr(t, "GetUser after the rollback", err, store.ErrNotFound)
	_, err = s.GetNumber(ctx, o.ID, "+14155550100")
	wantErr(t, "GetNumber after the rollback", err, store.ErrNotFound)
}

// testTxConflict hits a constraint inside a transaction: returning the
// conflict rolls back the transaction's earlier writes.
func testTxConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	taken := newUser(t, s, o.ID)
	var u store.User
	err := s.InTx(ctx, func(tx store.Store) error {
		u = newUser(t, tx, o.ID)
		_, err := tx.CreateUser(ctx, store.User{ID: taken.ID, OrgID: o.ID, Name: "Bob"})
		return err
	})
	wantErr(t, "InTx(a conflict inside)", err, store.ErrConflict)
	_, err = s.GetUser(ctx, o.ID, u.ID)
	wantErr(t, "GetUser of the write before the conflict", err, store.ErrNotFound)
}

// testTxAborted carries on after a failed statement and returns nil, which
// PostgreSQL does not allow: both stores refuse the later statements and
// roll back.
func testTxAborted(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	taken := newUser(t, s, o.ID)
	var u store.User
	err := s.InTx(ctx, func(tx store.Store) error {
		u = newUser(t, tx, o.ID)
		_, err := tx.CreateUser(ctx, store.User{ID: taken.ID, OrgID: o.ID, Name: "Bob"})
		wantErr(t, "CreateUser(duplicate id)", err, store.ErrConflict)
		_, err = tx.GetOrg(ctx, o.ID)
		if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
			t.Errorf("GetOrg after a failed statement: error = %v, want the transaction's abort", err)
		}
		return nil // swallowing the failure
	})
	if err == nil {
		t.Errorf("InTx(fn ignored a failed statement) = nil, want an error")
	}
	_, err = s.GetUser(ctx, o.ID, u.ID)
	wantErr(t, "GetUser of the write before the failure", err, store.ErrNotFound)
	if _, err := s.GetOrg(ctx, o.ID); err != nil {
		t.Errorf("GetOrg after the aborted transaction: %v", err)
	}
}

// testTxNoRow finds nothing inside a transaction: that is no failure, and
// the transaction commits.
func testTxNoRow(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	var u store.User
	err := s.InTx(ctx, func(tx store.Store) error {
		_, err := tx.GetUser(ctx, o.ID, newID())
		wantErr(t, "GetUser(unknown)", err, store.ErrNotFound)
		err = tx.UpdateNumberVoice(ctx, o.ID, newID(), nil)
		wantErr(t, "UpdateNumberVoice(unknown)", err, store.ErrNotFound)
		u = newUser(t, tx, o.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if _, err := s.GetUser(ctx, o.ID, u.ID); err != nil {
		t.Errorf("GetUser after the commit: %v", err)
	}
}

// testTxNested calls InTx on the transaction's Store: fn runs in the same
// transaction, so the outer rollback takes the inner writes with it, and
// the inner error reaches the outer fn as is.
func testTxNested(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	var inner store.User
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx store.Store) error {
		err := tx.InTx(ctx, func(tx2 store.Store) error {
			inner = newUser(t, tx2, o.ID)
			return nil
		})
		if err != nil {
			t.Errorf("inner InTx: %v", err)
		}
		if _, err := tx.GetUser(ctx, o.ID, inner.ID); err != nil {
			t.Errorf("GetUser of the inner write, in the outer fn: %v", err)
		}
		if err := tx.InTx(ctx, func(store.Store) error { return boom }); err != boom {
			t.Errorf("inner InTx = %v, want fn's error as is", err)
		}
		return boom
	})
	if err != boom {
		t.Errorf("InTx = %v, want %v", err, boom)
	}
	_, err = s.GetUser(ctx, o.ID, inner.ID)
	wantErr(t, "GetUser of the inner write after the outer rollback", err, store.ErrNotFound)
}

// testTxPanic panics in fn: the transaction rolls back, the panic goes on,
// and the store still takes writes (its connection went back).
func testTxPanic(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := newOrg(t, s)
	var u store.User
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the panic from fn", r)
			}
		}()
		s.InTx(ctx, func(tx store.Store) error {
			u = newUser(t, tx, o.ID)
			panic("boom")
		})
	}()
	_, err := s.GetUser(ctx, o.ID, u.ID)
	wantErr(t, "GetUser after the panic", err, store.ErrNotFound)
	newUser(t, s, o.ID)
	if err := s.InTx(ctx, func(tx store.Store) error { newUser(t, tx, o.ID); return nil }); err != nil {
		t.Errorf("InTx after the panic: %v", err)
	}
}

// testTxNumberConflict has CreateNumber refused inside a transaction, for
// either reason: neither ends the transaction, so the job can look at the
// row in the way and go on.
func testTxNumberConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, s), newOrg(t, s)
	ua, ub := newUser(t, s, a.ID), newUser(t, s, b.ID)
	first := newNumber(t, s, ua, "+14155550100")
	var u store.User
	err := s.InTx(ctx, func(tx store.Store) error {
		_, err := tx.CreateNumber(ctx, number(ua, first.E164))
		wantErr(t, "CreateNumber(own duplicate)", err, store.ErrConflict)
		elsewhere := number(ub, first.E164)
		elsewhere.ProviderRef = first.ProviderRef
		_, err = tx.CreateNumber(ctx, elsewhere)
		wantErr(t, "CreateNumber(another org's)", err, store.ErrManagedElsewhere)
		if _, err := tx.GetNumber(ctx, a.ID, first.E164); err != nil {
			t.Errorf("GetNumber after the conflicts: %v", err)
		}
		u = newUser(t, tx, b.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if _, err := s.GetUser(ctx, b.ID, u.ID); err != nil {
		t.Errorf("GetUser after the commit: %v", err)
	}
}
