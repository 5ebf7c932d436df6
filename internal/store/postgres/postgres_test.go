package postgres_test

import (
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/store/postgres"
	"github.com/switchboardhq/switchboard/internal/store/storetest"
	"github.com/switchboardhq/switchboard/internal/testenv"
)

// open opens the database at url, closing it when the test ends.
func open(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) store.Store {
		s := open(t, testenv.PostgresURL(t))
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return s
	})
}

func TestMigrateTwice(t *testing.T) {
	s := open(t, testenv.PostgresURL(t))
	for i := range 2 {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	if _, err := s.CreateOrg(t.Context(), "acme"); err != nil {
		t.Fatalf("CreateOrg after migrating twice: %v", err)
	}
}

// TestMigrateConcurrently is two processes starting at once against a new
// database: goose's advisory lock must let one migrate while the other
// waits, and neither may fail.
func TestMigrateConcurrently(t *testing.T) {
	url := testenv.PostgresURL(t)
	stores := []*postgres.Store{open(t, url), open(t, url), open(t, url)}
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			if err := s.Migrate(t.Context()); err != nil {
				t.Errorf("Migrate #%d: %v", i+1, err)
			}
		})
	}
	wg.Wait()
	if _, err := stores[0].CreateOrg(t.Context(), "acme"); err != nil {
		t.Fatalf("CreateOrg after concurrent migrations: %v", err)
	}
}
