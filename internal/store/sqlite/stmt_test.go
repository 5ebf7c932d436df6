package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/switchboardhq/switchboard/internal/store"
)

// TestStatementsKept: statements are prepared once and kept, those run
// outside a transaction and those a transaction ran first (prepared once it
// ended, as the writer's one connection is the transaction's until then),
// and a kept statement serves later transactions.
func TestStatementsKept(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "switchboard.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	org, err := s.CreateOrg(ctx, "kept")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		err := s.InTx(ctx, func(tx store.Store) error {
			_, err := tx.CreateUser(ctx, store.User{ID: "64e5f12345abcdef1234567" + string(rune('0'+i)), OrgID: org.ID, Name: "Ada"})
			return err
		})
		if err != nil {
			t.Fatalf("InTx %d: %v", i, err)
		}
		if _, err := s.GetOrg(ctx, org.ID); err != nil {
			t.Fatal(err)
		}
	}
	s.ws.mu.Lock()
	writer, missed := len(s.ws.stmts), len(s.ws.missed)
	s.ws.mu.Unlock()
	s.rs.mu.Lock()
	reader := len(s.rs.stmts)
	s.rs.mu.Unlock()
	// The writer: CreateOrg, and CreateUser as the transactions ran it.
	if writer != 2 || missed != 0 {
		t.Errorf("writer keeps %d statements (%d to prepare), want 2 (0)", writer, missed)
	}
	if reader != 1 { // GetOrg
		t.Errorf("reader keeps %d statements, want 1", reader)
	}
}
