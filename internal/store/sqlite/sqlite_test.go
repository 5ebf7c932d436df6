package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/store/sqlite"
	"github.com/switchboardhq/switchboard/internal/store/storetest"
)

// open opens a migrated store on a new file in the test's temporary
// directory.
func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "switchboard.db"))
	})
}

func TestMigrateTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	s := open(t, path)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	// And from another process's point of view: a second Open of the
	// same, already migrated file.
	again := open(t, path)
	if _, err := again.CreateOrg(t.Context(), "acme"); err != nil {
		t.Fatalf("CreateOrg after migrating twice: %v", err)
	}
}

// TestOpenURI opens a file: URI that has parameters of its own, which the
// store's DSN parameters must join rather than replace.
func TestOpenURI(t *testing.T) {
	uri := "file:" + filepath.Join(t.TempDir(), "switchboard.db") + "?mode=rwc"
	s := open(t, uri)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if _, err := s.CreateOrg(t.Context(), "acme"); err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
}
