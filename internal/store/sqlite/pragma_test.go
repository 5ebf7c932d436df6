package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/switchboardhq/switchboard/internal/store"
)

// TestPragmasOnEveryConnection holds several of the reader's connections
// at once, so the pool must open new ones, and checks each, and the
// writer's one connection, has the DSN's settings: a PRAGMA run once after
// Open would reach only the first.
func TestPragmasOnEveryConnection(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "switchboard.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	common := map[string]string{
		"journal_mode": "wal",
		"synchronous":  "1", // NORMAL
		"foreign_keys": "1",
		"busy_timeout": "10000",
	}
	check := func(pool string, i int, c *sql.Conn, want map[string]string) {
		t.Helper()
		for pragma, v := range want {
			var got string
			if err := c.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s connection %d: PRAGMA %s: %v", pool, i, pragma, err)
			}
			if got != v {
				t.Errorf("%s connection %d: %s = %s, want %s", pool, i, pragma, got, v)
			}
		}
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range common {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}

	var conns []*sql.Conn
	for range 3 {
		c, err := s.reader.Conn(t.Context())
		if err != nil {
			t.Fatalf("reader Conn: %v", err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns {
		check("reader", i, c, with(map[string]string{"query_only": "1"}))
	}

	w, err := s.writer.Conn(t.Context())
	if err != nil {
		t.Fatalf("writer Conn: %v", err)
	}
	check("writer", 0, w, with(map[string]string{"query_only": "0"}))
	w.Close()
}

// TestOneWriter checks every write and every transaction use the writer's
// single connection, and plain reads the reader.
func TestOneWriter(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "switchboard.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if n := s.writer.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", n)
	}

	// A write sent to the reader is refused.
	if _, err := s.reader.ExecContext(ctx, `INSERT INTO orgs (name, created_at) VALUES ('x', '')`); err == nil {
		t.Errorf("INSERT on the reader pool succeeded, want query_only to refuse it")
	}

	o, err := s.CreateOrg(ctx, "acme")
	if err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	err = s.InTx(ctx, func(tx store.Store) error {
		if n := s.writer.Stats().InUse; n != 1 {
			t.Errorf("inside InTx, writer connections in use = %d, want 1", n)
		}
		// Reads outside the transaction go on beside it.
		if _, err := s.GetOrg(ctx, o.ID); err != nil {
			t.Errorf("GetOrg beside a transaction: %v", err)
		}
		_, err := tx.CreateOrg(ctx, "globex")
		return err
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if n := s.writer.Stats().InUse; n != 0 {
		t.Errorf("after InTx, writer connections in use = %d, want 0", n)
	}
}
