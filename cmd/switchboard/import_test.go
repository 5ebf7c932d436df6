package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/jobs"
)

const importUser = "64e5f12345abcdef12345678"

// importDB is a migrated database with an org "acme", a user and one
// Twilio connection, and a Redis for the bulk queue.
func importDB(t *testing.T) (*rekeyDB, string, *asynq.Inspector) {
	t.Helper()
	db := newRekeyDB(t)
	org := db.org(t, "acme")
	ctx := t.Context()
	if _, err := db.store.CreateUser(ctx, store.User{ID: importUser, OrgID: org, Name: "Ada"}); err != nil {
		t.Fatal(err)
	}
	sealed, err := keyRing(t, ringKey(t, "k1")).SealCredentials(jobs.Credentials{AccountID: "AC1", Secret: "token"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.store.UpsertConnection(ctx, store.Connection{ID: store.NewID(), OrgID: org, Provider: "twilio", AccountID: "AC1", Credentials: sealed}); err != nil {
		t.Fatal(err)
	}
	redisURL := testenv.RedisURL(t)
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return db, redisURL, asynq.NewInspectorFromRedisClient(rdb)
}

func runImportCmd(t *testing.T, db *rekeyDB, redisURL string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), append([]string{"import", "--org", "acme", "--database", db.url, "--redis", redisURL}, args...),
		env(nil), &out, &out)
	return out.String(), err
}

func TestImportCommand(t *testing.T) {
	db, redisURL, insp := importDB(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "numbers.csv")
	content := "phone_number,user_id\n+12125550001," + importUser + "\n+12125550002," + importUser + "\nnot a number," + importUser + "\n+12125550001," + importUser + "\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	// A dry run refuses the bad row and enqueues nothing.
	out, err := runImportCmd(t, db, redisURL, "--provider", "twilio", "--dry-run", file)
	if err == nil || !strings.Contains(out, "dry run: nothing recorded or enqueued; 1 rows would be refused") {
		t.Errorf("dry run: err %v, output:\n%s", err, out)
	}
	if n := pendingBulk(t, insp); n != 0 {
		t.Errorf("dry run enqueued %d tasks", n)
	}

	out, err = runImportCmd(t, db, redisURL, "--provider", "twilio", file)
	if err == nil || err.Error() != "1 rows did not go in" {
		t.Errorf("import: err = %v, want 1 rows did not go in", err)
	}
	for _, want := range []string{
		"import: 4 rows read, 2 valid, 2 refused, 2 enqueued", // the plain line: stdout is not a terminal
		"succeeded 0, failed 0, refused 1, skipped 1 (repeats), still queued 2, canceled 0",
		"1 invalid_number",
		"failed rows, with their reasons: " + filepath.Join(dir, "numbers.failures.csv"),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	failures, err := os.ReadFile(filepath.Join(dir, "numbers.failures.csv"))
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := "phone_number,provider,account,user_id,target_id,line,status,column,code,reason\n" +
		"not a number,,," + importUser + ",,4,invalid,phone_number,invalid_number,\"invalid number: \"\"not a number\"\": letters are not allowed, found 'n'\"\n"
	if string(failures) != wantCSV {
		t.Errorf("failures file:\n%s\nwant:\n%s", failures, wantCSV)
	}
	if n := pendingBulk(t, insp); n != 2 {
		t.Errorf("%d tasks in the bulk queue, want 2", n)
	}

	// The same file again is the same batch: nothing more is enqueued.
	out2, _ := runImportCmd(t, db, redisURL, "--provider", "twilio", file)
	if batchLine(out) != batchLine(out2) || batchLine(out) == "" {
		t.Errorf("second import is batch %q, first %q", batchLine(out2), batchLine(out))
	}
	if n := pendingBulk(t, insp); n != 2 {
		t.Errorf("after importing again, %d tasks in the bulk queue, want 2", n)
	}
}

func pendingBulk(t *testing.T, insp *asynq.Inspector) int {
	t.Helper()
	tasks, err := insp.ListPendingTasks(jobs.QueueBulk, asynq.PageSize(1000))
	if err != nil && !strings.Contains(err.Error(), "queue not found") {
		t.Fatal(err)
	}
	return len(tasks)
}

func batchLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "batch ") {
			return l
		}
	}
	return ""
}
