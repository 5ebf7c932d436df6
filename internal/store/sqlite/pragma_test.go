package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestPragmasOnEveryConnection holds several pooled connections at once,
// so the pool must open new ones, and checks each has the DSN's settings:
// a PRAGMA run once after Open would reach only the first.
func TestPragmasOnEveryConnection(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "switchboard.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	want := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000"}
	var conns []*sql.Conn
	for range 3 {
		c, err := s.db.Conn(t.Context())
		if err != nil {
			t.Fatalf("Conn: %v", err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns {
		for pragma, v := range want {
			var got string
			if err := c.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("connection %d: PRAGMA %s: %v", i, pragma, err)
			}
			if got != v {
				t.Errorf("connection %d: %s = %s, want %s", i, pragma, got, v)
			}
		}
	}
}
