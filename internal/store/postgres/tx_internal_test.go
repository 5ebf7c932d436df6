package postgres

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// countingStore is a Store on a pool of one connection that counts what
// the client writes to PostgreSQL (one write per round trip) and the
// connections it opens.
func countingStore(t *testing.T) (s *Store, writes, dials *atomic.Int64) {
	t.Helper()
	ctx := t.Context()
	url := testenv.PostgresURL(t)
	migrated, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { migrated.Close() })
	if err := migrated.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	writes, dials = new(atomic.Int64), new(atomic.Int64)
	var d net.Dialer
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		c, err := d.DialContext(ctx, network, addr)
		return &countingConn{Conn: c, writes: writes}, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &Store{pool: pool, q: pool}, writes, dials
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// TestTxRoundTrips: a transaction's BEGIN travels with its first
// statement, so two statements and the COMMIT are three round trips.
func TestTxRoundTrips(t *testing.T) {
	s, writes, _ := countingStore(t)
	ctx := t.Context()
	org, err := s.CreateOrg(ctx, "round-trips")
	if err != nil {
		t.Fatal(err)
	}
	tx := func() error {
		return s.InTx(ctx, func(tx store.Store) error {
			if _, err := tx.GetOrg(ctx, org.ID); err != nil {
				return err
			}
			_, err := tx.ListJobs(ctx, store.JobFilter{OrgID: org.ID})
			return err
		})
	}
	if err := tx(); err != nil { // prepares the statements
		t.Fatal(err)
	}
	writes.Store(0)
	if err := tx(); err != nil {
		t.Fatal(err)
	}
	if n := writes.Load(); n != 3 {
		t.Errorf("a transaction of two statements took %d round trips, want 3", n)
	}
}

// TestTxFirstStatementFails: when the statement sent with the BEGIN fails,
// InTx answers its error, nothing is written, and the connection is rolled
// back and serves the next transaction (the pool would close one left in a
// transaction).
func TestTxFirstStatementFails(t *testing.T) {
	s, _, dials := countingStore(t)
	ctx := t.Context()
	org, err := s.CreateOrg(ctx, "first-fails")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		err := s.InTx(ctx, func(tx store.Store) error {
			_, err := tx.CreateOrg(ctx, org.Name)
			return err
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("InTx(a duplicate org first) = %v, want ErrConflict", err)
		}
	}
	var u store.User
	err = s.InTx(ctx, func(tx store.Store) error {
		if _, err := tx.GetUser(ctx, org.ID, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUser(unknown) first = %v, want ErrNotFound", err)
		}
		u, err = tx.CreateUser(ctx, store.User{ID: "64e5f12345abcdef12345678", OrgID: org.ID, Name: "Ada"})
		return err
	})
	if err != nil {
		t.Fatalf("InTx after the failures: %v", err)
	}
	if _, err := s.GetUser(ctx, org.ID, u.ID); err != nil {
		t.Errorf("GetUser after the commit: %v", err)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("the pool opened %d connections, want 1: a rolled back one is reused", n)
	}
}

// TestReadAddPhoneRoundTrips: ReadAddPhone's three reads are one round
// trip.
func TestReadAddPhoneRoundTrips(t *testing.T) {
	s, writes, _ := countingStore(t)
	ctx := t.Context()
	org, err := s.CreateOrg(ctx, "read-add-phone")
	if err != nil {
		t.Fatal(err)
	}
	q := store.AddPhoneQuery{OrgID: org.ID, JobID: "task-1", E164: "+14155550100", Provider: "twilio", AccountID: "AC1"}
	s.ReadAddPhone(ctx, q) // prepares the statements
	writes.Store(0)
	r := s.ReadAddPhone(ctx, q)
	if n := writes.Load(); n != 1 {
		t.Errorf("ReadAddPhone took %d round trips, want 1", n)
	}
	if !errors.Is(r.JobErr, store.ErrNotFound) || !errors.Is(r.NumberErr, store.ErrNotFound) || !errors.Is(r.ConnectionErr, store.ErrNotFound) {
		t.Errorf("ReadAddPhone(nothing there) errors = %v, %v, %v; want ErrNotFound each", r.JobErr, r.NumberErr, r.ConnectionErr)
	}
}
