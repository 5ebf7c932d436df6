package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// TestImportResumesAfterKill runs the real binary on a 30,000-row file,
// SIGKILLs it half-way (rows recorded and jobs enqueued, others not yet),
// then imports the same file again: the second run resumes the same batch,
// and at the end every good row has exactly one job and the counters are
// exact.
func TestImportResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	db, redisURL, insp := importDB(t)
	bin := filepath.Join(t.TempDir(), "switchboard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// Enough rows that the kill lands half-way: the pipelined enqueue
	// (jobs.Client.EnqueueAddPhones) goes through 5,000 in less time than
	// the first poll of the counters and the kill take.
	const rows = 30000
	var b strings.Builder
	b.WriteString("phone_number,user_id\n")
	bad := 0
	for i := range rows {
		if i%100 == 0 {
			b.WriteString("12ab," + importUser + "\n")
			bad++
			continue
		}
		fmt.Fprintf(&b, "+1212%07d,%s\n", i, importUser)
	}
	file := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	org, err := db.store.GetOrgByName(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	f := importFlags{provider: "twilio"}
	sum := sha256.Sum256([]byte(b.String()))
	batchID := fileBatchID(org.ID, sum[:], f)

	cmd := exec.Command(bin, "import", "--org", "acme", "--provider", "twilio", "--workers", "1",
		"--database", db.url, "--redis", redisURL, file)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var before store.BatchCounts
	deadline := time.Now().Add(time.Minute)
	for {
		before, err = db.store.CountBatchRows(t.Context(), org.ID, batchID)
		if err == nil && before.ByStatus[store.RowQueued] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import recorded nothing in a minute: %v, %v", before, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	recorded := 0
	for _, n := range before.ByStatus {
		recorded += n
	}
	before, _ = db.store.CountBatchRows(t.Context(), org.ID, batchID)
	if recorded >= rows || before.ByStatus[store.RowQueued] >= rows-bad {
		t.Fatalf("killed too late to test a resume: %v", before.ByStatus)
	}
	t.Logf("killed with %v", before.ByStatus)

	out, err := runImportCmd(t, db, redisURL, "--provider", "twilio", file)
	if err == nil || err.Error() != fmt.Sprintf("%d rows did not go in", bad) {
		t.Errorf("resume: %v\n%s", err, out)
	}
	if got := batchLine(out); got != "batch "+batchID {
		t.Errorf("resumed %q, want batch %s", got, batchID)
	}
	after, err := db.store.CountBatchRows(t.Context(), org.ID, batchID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{store.RowQueued: rows - bad, store.RowInvalid: bad}
	if fmt.Sprint(after.ByStatus) != fmt.Sprint(want) {
		t.Errorf("counts after the resume = %v, want %v", after.ByStatus, want)
	}
	// One task per good row, under its row's id: nothing enqueued twice.
	seen := map[string]bool{}
	for page := 1; ; page++ {
		tasks, err := insp.ListPendingTasks(jobs.QueueBulk, asynq.PageSize(5000), asynq.Page(page))
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) == 0 {
			break
		}
		for _, ti := range tasks {
			if seen[ti.ID] || !strings.HasPrefix(ti.ID, batchID+"-") || !strings.HasSuffix(ti.ID, ".0") {
				t.Errorf("task %s: repeated or not a row's first run", ti.ID)
			}
			seen[ti.ID] = true
		}
	}
	if len(seen) != rows-bad {
		t.Errorf("%d tasks, want %d", len(seen), rows-bad)
	}
}
