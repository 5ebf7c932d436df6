package sqlite_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/store/sqlite"
	"github.com/switchboardhq/switchboard/internal/store/storetest"
	"github.com/switchboardhq/switchboard/jobs"
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

// TestConcurrentWriters has 50 goroutines write at once, in single
// statements and in transactions that read before they write, while others
// read: with one writer connection none may see SQLITE_BUSY, or any error.
func TestConcurrentWriters(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "switchboard.db"))
	o, err := s.CreateOrg(ctx, "acme")
	if err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	u, err := s.CreateUser(ctx, store.User{ID: store.NewID(), OrgID: o.ID, Name: "Ada"})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	const n = 50
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, 3*n)
	for i := range n {
		wg.Go(func() {
			<-start
			e164 := fmt.Sprintf("+1415555%04d", i)
			errs <- s.InTx(ctx, func(tx store.Store) error {
				if _, err := tx.GetUser(ctx, o.ID, u.ID); err != nil {
					return err
				}
				n, err := tx.CreateNumber(ctx, store.Number{ID: store.NewID(), OrgID: o.ID, UserID: u.ID,
					E164: e164, Provider: "twilio", ProviderRef: "PN" + store.NewID(), JobID: "job"})
				if err != nil {
					return err
				}
				return tx.UpdateNumberVoice(ctx, o.ID, n.ID, json.RawMessage(`{"voice_url":"https://sb.example/"}`))
			})
		})
		wg.Go(func() {
			<-start
			errs <- s.SaveJob(ctx, store.JobRecord{ID: fmt.Sprintf("task-%d", i), OrgID: o.ID,
				Type: jobs.TypeAddPhone, State: jobs.StatePending})
		})
		wg.Go(func() {
			<-start
			_, err := s.ListNumbers(ctx, store.NumberFilter{OrgID: o.ID})
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent call: %v", err)
		}
	}
	got, err := s.ListNumbers(ctx, store.NumberFilter{OrgID: o.ID})
	if err != nil {
		t.Fatalf("ListNumbers: %v", err)
	}
	if len(got) != n {
		t.Errorf("ListNumbers = %d numbers, want %d", len(got), n)
	}
	for _, num := range got {
		if num.Voice == nil {
			t.Errorf("number %s has no voice: its transaction half applied", num.E164)
		}
	}
}

// TestFilesArePrivate: the database and the -wal and -shm files SQLite
// makes beside it are readable by their owner only, whatever the umask:
// they hold sealed credentials and API key hashes.
func TestFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "private.db")
	s := open(t, path)
	if _, err := s.CreateOrg(t.Context(), "acme"); err != nil { // a write, so the WAL exists
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(f), mode)
		}
	}
}
